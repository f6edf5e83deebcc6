//! No panic leaves kuberpc: a panic injected into each stage of the real binary (debug
//! builds read `KUBERPC_FAULT_INJECTION`) becomes exit 2 with an "internal error" naming the
//! input and asking for a report, and the output tree — stubs, manifests, emitted protos —
//! is byte for byte what it was, although a clean run would have changed it.

mod common;

use std::fs;
use std::path::Path;
use std::process::Output;

fn kuberpc(args: &[&str], cwd: &Path, fault: Option<&str>) -> Output {
    let mut command = common::kuberpc_command(args, cwd);
    command.env_remove("KUBERPC_FAULT_INJECTION");
    if let Some(stage) = fault {
        command.env("KUBERPC_FAULT_INJECTION", stage);
    }
    command.output().unwrap()
}

const PROTO: &str = "syntax = \"proto3\";
package shop.v1;
import \"google/protobuf/timestamp.proto\";
import \"kuberpc/v1/options.proto\";
service Shop {
  option (kuberpc.v1.service) = { port: 8443 };
  rpc Get(Req) returns (google.protobuf.Timestamp);
}
message Req { string id = 1; }
";

const TRAIT: &str = "#[kuberpc::rpc_service(package = \"shop.v1\", port = 8443)]
pub trait Shop {
    async fn get(&self, request: Req) -> Result<Rep, kuberpc::Status>;
}
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Req { #[prost(string, tag = \"1\")] pub id: String }
#[derive(Clone, PartialEq, ::prost::Message)]
pub struct Rep { #[prost(string, tag = \"1\")] pub id: String }
";

fn assert_internal_error(output: &Output, input: &str, stage: &str) {
    assert_eq!(output.status.code(), Some(2), "stage {stage}");
    // miette wraps long messages at 100 columns: join the lines back.
    let stderr = String::from_utf8_lossy(&output.stderr).replace("\n  │ ", " ");
    assert!(stderr.contains(&format!("internal error while generating from {input}")), "stage {stage}: {stderr}");
    assert!(stderr.contains(&format!("fault injected into the {stage} stage")), "stage {stage}: {stderr}");
    assert!(stderr.contains("kuberpc bug") && stderr.contains("nothing was written"), "stage {stage}: {stderr}");
    assert!(!stderr.contains("panicked at"), "the default panic message leaked (stage {stage}): {stderr}");
}

#[test]
fn a_panic_in_any_proto_stage_is_an_internal_error_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("shop.proto"), PROTO).unwrap();
    let args = ["generate", "shop.proto", "--out", "deploy", "--rust-out", "stubs"];
    assert!(kuberpc(&args, dir.path(), None).status.success());
    // A clean run now would rewrite the stubs and the manifests (the port changes).
    fs::write(dir.path().join("shop.proto"), PROTO.replace("8443", "9443")).unwrap();
    let before = common::tree(dir.path());

    for stage in ["parse", "manifests", "stubs"] {
        let output = kuberpc(&args, dir.path(), Some(stage));
        assert_internal_error(&output, "shop.proto", stage);
        assert!(common::tree(dir.path()) == before, "stage {stage} changed the tree");
    }
    assert!(kuberpc(&args, dir.path(), None).status.success());
    assert!(common::tree(dir.path()) != before, "without a fault the same run writes");
}

#[test]
fn a_panic_in_the_trait_path_is_an_internal_error_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("api.rs"), TRAIT).unwrap();
    let args = ["generate", "api.rs", "--out", "deploy", "--proto-out", "proto"];
    assert!(kuberpc(&args, dir.path(), None).status.success());
    fs::write(dir.path().join("api.rs"), TRAIT.replace("8443", "9443")).unwrap();
    let before = common::tree(dir.path());

    for stage in ["traits", "manifests"] {
        let output = kuberpc(&args, dir.path(), Some(stage));
        assert_internal_error(&output, "api.rs", stage);
        assert!(common::tree(dir.path()) == before, "stage {stage} changed the tree");
    }
}
