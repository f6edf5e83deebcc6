//! Every switch of a run is honoured the same way by generating, writing and checking: what
//! is switched off is neither produced, written, nor compared; `check` compares every
//! destination that `generate` writes (stubs too, with `--rust-out`).

mod common;

use std::fs;

use common::kuberpc;
use kuberpc_codegen::{Config, Destination};

#[test]
fn check_and_write_leave_manifests_alone_when_they_are_off() {
    let dir = tempfile::tempdir().unwrap();
    let case = common::greeter();
    let deploy = dir.path().join("deploy");
    fs::create_dir_all(deploy.join("greeter/base")).unwrap();
    fs::write(deploy.join("greeter/base/deployment.yaml"), "# mine, stale\n").unwrap();

    let mut config = Config::new();
    config.manifests_dir(&deploy).manifests(false).stubs(false);
    let generated = config.generate(&case.protos, &case.includes).unwrap();
    assert!(generated.files(Destination::Manifests).is_empty());
    let (report, diff) = config.diff(&generated).unwrap();
    assert!(report.is_empty() && diff.is_empty(), "{report:?}\n{diff}");
    assert!(config.write(&generated).unwrap().is_empty());
    assert_eq!(fs::read_to_string(deploy.join("greeter/base/deployment.yaml")).unwrap(), "# mine, stale\n");

    // Switched on, the same stale file is reported (and, not being kuberpc's, refused).
    config.manifests(true);
    let generated = config.generate(&case.protos, &case.includes).unwrap();
    assert!(config.diff(&generated).is_err_and(|e| e.to_string().contains("refusing to overwrite")));
}

#[test]
fn the_trait_path_produces_no_stubs_when_they_are_off() {
    let counter = common::repo_root().join("examples/counter/src/api.rs");
    let source = fs::read_to_string(&counter).unwrap();
    let mut config = Config::new();
    let with = config.generate_rust_sources(&[("src/api.rs", &source)]).unwrap();
    assert_eq!(with.files(Destination::Stubs).len(), 1, "the descriptor set");
    let without = config.stubs(false).generate_rust_sources(&[("src/api.rs", &source)]).unwrap();
    assert!(without.files(Destination::Stubs).is_empty());
    assert_eq!(without.files(Destination::Protos), with.files(Destination::Protos));
}

#[test]
fn check_with_rust_out_compares_the_stubs_too() {
    let dir = tempfile::tempdir().unwrap();
    let case = common::greeter();
    let (include, proto) = (case.includes[0].to_str().unwrap(), case.protos[0].to_str().unwrap());
    let args = [proto, "-I", include, "--out", "deploy", "--rust-out", "stubs"];
    assert!(kuberpc(&[&["generate"], args.as_slice()].concat(), dir.path()).status.success());
    assert_eq!(kuberpc(&[&["check"], args.as_slice()].concat(), dir.path()).status.code(), Some(0));

    let stubs = dir.path().join("stubs/greeter.v1.rs");
    fs::write(&stubs, fs::read_to_string(&stubs).unwrap().replace("pub const PORT", "pub const OLD_PORT")).unwrap();
    fs::write(dir.path().join("stubs/kuberpc_descriptor.bin"), [0xff, 0xfe]).unwrap();
    let check = kuberpc(&[&["check"], args.as_slice()].concat(), dir.path());
    assert_eq!(check.status.code(), Some(1));
    let diff = String::from_utf8_lossy(&check.stdout);
    assert!(diff.contains("-    pub const OLD_PORT") && diff.contains("+    pub const PORT"), "{diff}");
    assert!(diff.contains("Binary files") && diff.contains("kuberpc_descriptor.bin differ"), "{diff}");

    // Without --rust-out the stubs are not this run's business.
    let manifests_only = [proto, "-I", include, "--out", "deploy"];
    assert_eq!(kuberpc(&[&["check"], manifests_only.as_slice()].concat(), dir.path()).status.code(), Some(0));
}

#[test]
fn include_paths_with_rust_sources_are_refused_not_dropped() {
    let counter = common::repo_root().join("examples/counter");
    let output = kuberpc(&["check", "src/api.rs", "-I", "proto", "--out", "deploy"], &counter);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("-I/--include applies to .proto inputs"));
}
