//! Every generated file — manifests, overlays, Rust stubs — of the greeter and journal
//! examples, the front of the example system, the ledger and bank (mutual TLS) fixtures and the
//! corpus protos, as named insta snapshots under `snapshots/`. A snapshot file that no case
//! produces any more fails `no_unreferenced_snapshots`.

mod common;

use std::path::Path;

use common::{all_cases, Case};
use kuberpc_codegen::Destination;
use prost::Message as _;

/// Snapshot name and content of every file a case generates.
fn snapshots(case: &Case) -> Vec<(String, String)> {
    let generated = case.generate_into(Path::new("deploy"));
    let mut out = Vec::new();
    for file in generated.files(Destination::Manifests) {
        let name = format!("{}__deploy__{}", case.name, file.path.display()).replace('/', "__");
        out.push((name, String::from_utf8(file.content.clone()).unwrap()));
    }
    for file in generated.files(Destination::Stubs) {
        let name = format!("{}__stubs__{}", case.name, file.path.display());
        let content = if file.path.extension().is_some_and(|e| e == "bin") {
            let set = prost_types::FileDescriptorSet::decode(file.content.as_slice()).unwrap();
            set.file.iter().map(|f| format!("{}\n", f.name())).collect()
        } else {
            String::from_utf8(file.content.clone()).unwrap()
        };
        out.push((name, content));
    }
    out
}

fn assert_case(case: &Case) {
    common::assert_snapshots(snapshots(case));
}

#[test]
fn greeter_snapshots() {
    assert_case(&common::greeter());
}

#[test]
fn route_guide_snapshots() {
    assert_case(&common::route_guide());
}

#[test]
fn interop_snapshots() {
    assert_case(&common::interop());
}

#[test]
fn ledger_snapshots() {
    assert_case(&common::ledger());
}

#[test]
fn journal_snapshots() {
    assert_case(&common::journal());
}

#[test]
fn front_snapshots() {
    assert_case(&common::front());
}

#[test]
fn bank_snapshots() {
    assert_case(&common::bank());
}

#[test]
fn no_unreferenced_snapshots() {
    let prefixes: Vec<String> = all_cases().iter().map(|case| format!("{}__", case.name)).collect();
    let prefixes: Vec<&str> = prefixes.iter().map(String::as_str).collect();
    common::assert_no_unreferenced_snapshots(&prefixes, all_cases().iter().flat_map(snapshots).map(|(name, _)| name));
}

#[test]
fn route_guide_stubs_cover_all_four_call_kinds() {
    let stubs = snapshots(&common::route_guide());
    let (_, code) = stubs.iter().find(|(name, _)| name.ends_with("routeguide.rs")).unwrap();
    for kind in ["unary", "server_streaming", "client_streaming", "streaming"] {
        let client_call = format!("self.inner.{kind}(req, path, codec)");
        let server_call = format!("grpc.{kind}(method, req)");
        assert!(code.contains(&client_call), "no {client_call} in the route guide client");
        assert!(code.contains(&server_call), "no {server_call} in the route guide server");
    }
}
