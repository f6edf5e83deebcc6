//! What tonic-prost-build users configure reaches prost-build and tonic-prost-build, from the
//! command line (the build-script setters are the same calls; `switch_from_tonic.rs` proves
//! them byte for byte against tonic-prost-build itself). A malformed attribute is the user's
//! mistake, named, exit 2, nothing written.

mod common;

use std::fs;
use std::process::Output;

use common::kuberpc;

const PROTO: &str = "syntax = \"proto3\";
package shop.v1;
import \"google/protobuf/timestamp.proto\";
service Shop {
  rpc Get(Item) returns (Item);
}
message Item {
  bytes blob = 1;
  map<string, string> tags = 2;
  google.protobuf.Timestamp at = 3;
  Item parent = 4;
}
";

fn generate(extra: &[&str]) -> (tempfile::TempDir, Output) {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("shop.proto"), PROTO).unwrap();
    let args = [&["generate", "shop.proto", "--out", "deploy", "--rust-out", "stubs"], extra].concat();
    let output = kuberpc(&args, dir.path());
    (dir, output)
}

#[test]
fn stub_options_reach_the_generators() {
    let (dir, output) = generate(&[
        "--extern-path",
        ".google.protobuf.Timestamp=::my_time::Instant",
        "--type-attribute",
        ".shop.v1.Item=#[derive(Eq)]",
        "--field-attribute",
        ".shop.v1.Item.tags=#[allow(dead_code)]",
        "--bytes",
        ".shop.v1.Item.blob",
        "--btree-map",
        ".",
        "--boxed",
        ".shop.v1.Item.parent",
        "--no-client",
        "--server-mod-attribute",
        "shop.v1=#[cfg(feature = \"server\")]",
        "--include-file",
        "mod.rs",
        "--file-descriptor-set-path",
        "shop.bin",
    ]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stubs = fs::read_to_string(dir.path().join("stubs/shop.v1.rs")).unwrap();
    for expected in [
        "::my_time::Instant",
        "#[derive(Eq)]",
        "#[allow(dead_code)]\n    pub tags",
        "::prost::bytes::Bytes",
        "::prost::alloc::collections::BTreeMap",
        "::prost::alloc::boxed::Box<Item>",
        "#[cfg(feature = \"server\")]\npub mod shop_server",
        "pub mod shop_deploy",
    ] {
        assert!(stubs.contains(expected), "{expected} missing from the stubs:\n{stubs}");
    }
    assert!(!stubs.contains("pub mod shop_client"), "--no-client");
    let descriptors = fs::read(dir.path().join("stubs/shop.bin")).unwrap();
    let descriptors = <prost_types::FileDescriptorSet as prost::Message>::decode(descriptors.as_slice()).unwrap();
    let shop = descriptors.file.iter().find(|f| f.name() == "shop.proto").unwrap();
    assert!(shop.source_code_info.is_some(), "with source info, as prost-build writes it");
    // The same module tree as kuberpc's own include file, which only adds the lint allowance
    // for proto comments (`mod.rs` stays what tonic-prost-build writes).
    let include_file = fs::read_to_string(dir.path().join("stubs/mod.rs")).unwrap();
    let own = fs::read_to_string(dir.path().join("stubs/kuberpc_protos.rs")).unwrap();
    let lint_allowance = own.lines().find(|line| line.starts_with("#[allow(")).expect("kuberpc_protos.rs allows lints");
    assert_eq!(include_file, own.replace(&format!("{lint_allowance}\n"), ""));
}

#[test]
fn well_known_types_are_compiled_when_asked() {
    let (dir, output) = generate(&["--compile-well-known-types", "--no-server"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let stubs = fs::read_to_string(dir.path().join("stubs/shop.v1.rs")).unwrap();
    assert!(stubs.contains("super::super::google::protobuf::Timestamp"), "{stubs}");
    assert!(!stubs.contains("pub mod shop_server") && stubs.contains("pub mod shop_client"));
    let wkt = fs::read_to_string(dir.path().join("stubs/google.protobuf.rs")).unwrap();
    assert!(wkt.contains("pub struct Timestamp"), "{wkt}");
    let tree = fs::read_to_string(dir.path().join("stubs/kuberpc_protos.rs")).unwrap();
    assert!(tree.contains("pub mod google {\n    pub mod protobuf {"), "{tree}");
}

#[test]
fn a_malformed_attribute_is_named_and_nothing_is_written() {
    let (dir, output) = generate(&["--type-attribute", ".=#[derive(Eq)]", "--message-attribute", ".shop=#[derive(Eq"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("message_attribute(\".shop\", \"#[derive(Eq\"): not a Rust attribute"), "{stderr}");
    assert!(!stderr.contains("type_attribute"), "the good one is not reported: {stderr}");
    assert!(!dir.path().join("stubs").exists() && !dir.path().join("deploy").exists());

    let (_, output) = generate(&["--extern-path", "no-equals-sign"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("expected PATH=VALUE"));
}
