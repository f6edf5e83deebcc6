//! The whole real-world corpus (`examples/corpus/proto`: gRPC health, helloworld, interop,
//! channelz, grpclb, RLS, route guide, the Kubernetes CRI, and kuberpc's well-known-type
//! cases) in one run: every service gets its manifests, every package its stubs, every app's
//! base builds with `kubectl kustomize`, and the module tree names every package. (That the
//! stubs compile and the well-known types cross the wire is `examples/corpus`'s job.)

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Instant;

fn corpus_protos() -> (Vec<PathBuf>, PathBuf) {
    let root = common::repo_root().join("examples/corpus/proto");
    let mut protos = Vec::new();
    let mut pending = vec![root.clone()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "proto") {
                protos.push(path);
            }
        }
    }
    protos.sort();
    (protos, root)
}

#[test]
fn every_corpus_proto_generates_manifests_and_stubs() {
    let (protos, include) = corpus_protos();
    assert!(protos.len() >= 16, "the corpus has {} files", protos.len());
    let dir = tempfile::tempdir().unwrap();
    let mut config = kuberpc_codegen::configure();
    config.manifests_dir(dir.path().join("deploy")).out_dir(dir.path().join("stubs"));

    let started = Instant::now();
    let generated = config.generate(&protos, &[&include]).unwrap_or_else(|e| panic!("{e}"));
    let took = started.elapsed();
    config.write(&generated).unwrap();

    let services: Vec<_> = generated.packages.iter().flat_map(|p| &p.services).collect();
    let declared: usize =
        protos.iter().map(|p| std::fs::read_to_string(p).unwrap().matches("\nservice ").count()).sum();
    assert_eq!(services.len(), declared, "one app per service declared in the corpus");
    for service in &services {
        let base = dir.path().join("deploy").join(&service.deploy.app).join("base");
        let built = common::kustomize(&base);
        assert!(built.contains("kind: Deployment") && built.contains("grpc:"), "{}: {built}", service.full_name);
    }

    let packages: BTreeSet<&str> = generated.packages.iter().map(|p| p.name.as_str()).collect();
    let tree = std::fs::read_to_string(dir.path().join("stubs/kuberpc_protos.rs")).unwrap();
    for package in &packages {
        let file = dir.path().join("stubs").join(format!("{package}.rs"));
        let stubs = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(stubs.contains("_server {") && stubs.contains("_deploy {"), "{package}");
        assert!(tree.contains(&format!("include!(\"{package}.rs\");")), "{package} missing from the tree:\n{tree}");
    }
    assert!(packages.contains("runtime.v1") && packages.contains("grpc.channelz.v1") && packages.contains("wkt.v1"));
    println!(
        "corpus: {} files, {} packages with services, {} services, generated in {:.0} ms",
        protos.len(),
        packages.len(),
        services.len(),
        took.as_secs_f64() * 1000.0
    );
}
