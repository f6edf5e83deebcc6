//! Every generated file — manifests, overlays, Rust stubs — of the greeter example and the
//! corpus protos, as named insta snapshots under `snapshots/`. A snapshot file that no case
//! produces any more fails `no_unreferenced_snapshots`.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{all_cases, repo_root, Case};
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
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(repo_root().join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for (name, content) in snapshots(case) {
            insta::assert_snapshot!(name, content);
        }
    });
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
fn no_unreferenced_snapshots() {
    let expected: BTreeSet<String> =
        all_cases().iter().flat_map(snapshots).map(|(name, _)| format!("{name}.snap")).collect();
    let on_disk: BTreeSet<String> = std::fs::read_dir(repo_root().join("snapshots"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| {
            name.ends_with(".snap") && all_cases().iter().any(|c| name.starts_with(&format!("{}__", c.name)))
        })
        .collect();
    let unreferenced: Vec<_> = on_disk.difference(&expected).collect();
    assert!(unreferenced.is_empty(), "snapshots no case produces: {unreferenced:?}");
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
