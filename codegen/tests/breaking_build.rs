//! `Config::breaking_against` in a build: a proto that breaks callers of the committed one
//! fails the run with the located change, and nothing is generated; an unchanged one builds.

mod common;

use std::fs;

use common::git;
use kuberpc_codegen::breaking::Category;
use kuberpc_codegen::Config;

const PROTO: &str = r#"syntax = "proto3";
package shop.v1;

import "kuberpc/v1/options.proto";

service Orders {
  option (kuberpc.v1.service) = { image: "ghcr.io/acme/orders:1" };
  rpc Get(Order) returns (Order);
}

message Order {
  string id = 1;
}
"#;

#[test]
fn a_breaking_change_fails_the_build_and_an_unchanged_proto_builds() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("shop/v1")).unwrap();
    let proto = dir.path().join("shop/v1/shop.proto");
    fs::write(&proto, PROTO).unwrap();
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "orders"]);
    let mut config = Config::new();
    config.stubs(false).breaking_against("HEAD", &[Category::Wire]);
    let generated = config.generate(&[&proto], &[dir.path()]);
    assert!(generated.is_ok(), "unchanged: {:?}", generated.err());

    fs::write(&proto, PROTO.replace("string id = 1;", "int64 id = 1;")).unwrap();
    let error = config.generate(&[&proto], &[dir.path()]).expect_err("a wire-incompatible type");
    let text = error.to_string();
    assert!(text.contains("FIELD_WIRE_COMPATIBLE_TYPE"), "{text}");
    assert!(text.contains(r#"changed type from "string" to "int64""#), "{text}");
    assert!(text.contains("shop.proto:12:3"), "located at the type: {text}");
}
