//! The `kuberpc` binary: generate, check (fresh → 0, stale → 1 with a diff), bad input → 2
//! with nothing written, and the committed example tree is fresh.

mod common;

use std::fs;

use common::kuberpc;

fn greeter_args<'a>(include: &'a str, proto: &'a str, out: &'a str) -> Vec<&'a str> {
    vec![proto, "-I", include, "--out", out]
}

#[test]
fn generate_then_check_then_detect_a_stale_file() {
    let dir = tempfile::tempdir().unwrap();
    let case = common::greeter();
    let include = case.includes[0].to_str().unwrap();
    let proto = case.protos[0].to_str().unwrap();
    let out = dir.path().join("deploy");
    let out = out.to_str().unwrap();

    let check = kuberpc(&[&["check"], greeter_args(include, proto, out).as_slice()].concat(), dir.path());
    assert_eq!(check.status.code(), Some(1), "nothing on disk yet is stale");

    let generate = kuberpc(
        &[&["generate", "--rust-out", "stubs"], greeter_args(include, proto, out).as_slice()].concat(),
        dir.path(),
    );
    assert!(generate.status.success(), "{}", String::from_utf8_lossy(&generate.stderr));
    let printed = String::from_utf8(generate.stdout).unwrap();
    assert!(printed.contains("created") && printed.contains("greeter/base/deployment.yaml"), "{printed}");
    assert!(dir.path().join("stubs/greeter.v1.rs").is_file());

    let check = kuberpc(&[&["check"], greeter_args(include, proto, out).as_slice()].concat(), dir.path());
    assert_eq!(check.status.code(), Some(0), "{}", String::from_utf8_lossy(&check.stdout));

    let service = dir.path().join("deploy/greeter/base/service.yaml");
    let text = fs::read_to_string(&service).unwrap();
    fs::write(&service, text.replace("appProtocol: kubernetes.io/h2c", "appProtocol: http")).unwrap();
    let check = kuberpc(&[&["check"], greeter_args(include, proto, out).as_slice()].concat(), dir.path());
    assert_eq!(check.status.code(), Some(1));
    let diff = String::from_utf8(check.stdout).unwrap();
    assert!(
        diff.contains("-      appProtocol: http") && diff.contains("+      appProtocol: kubernetes.io/h2c"),
        "{diff}"
    );
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("bad.proto"),
        "syntax = \"proto3\";\nimport \"kuberpc/v1/options.proto\";\nservice S {\n  option (kuberpc.v1.service) = { port: 0 };\n}\n",
    )
    .unwrap();
    let output = kuberpc(&["generate", "bad.proto", "--out", "deploy", "--rust-out", "stubs"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("bad.proto:4:35: port 0 is out of range"), "{stderr}");
    assert!(!dir.path().join("deploy").exists() && !dir.path().join("stubs").exists());
}

/// The committed `examples/greeter/deploy` is what the proto generates today.
#[test]
fn the_committed_example_tree_is_fresh() {
    let root = common::repo_root();
    let peers = common::greeter().peer_args();
    let args = ["check", "proto/greeter/v1/greeter.proto", "-I", "proto", "--out", "deploy"];
    let args: Vec<&str> = args.into_iter().chain(peers.iter().map(String::as_str)).collect();
    let output = kuberpc(&args, &root.join("examples/greeter"));
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stdout));
}

/// A base file of a service that left the proto: `check` reports it, `generate` removes it —
/// only because its header names this proto; a file without the header stays.
#[test]
fn leftovers_of_a_removed_service_are_reported_then_removed() {
    let dir = tempfile::tempdir().unwrap();
    let case = common::greeter();
    let include = case.includes[0].to_str().unwrap();
    let proto = case.protos[0].to_str().unwrap();
    let generate = kuberpc(&[&["generate"], greeter_args(include, proto, "deploy").as_slice()].concat(), dir.path());
    assert!(generate.status.success());

    let base = dir.path().join("deploy/greeter/base");
    let header = fs::read_to_string(base.join("service.yaml")).unwrap().lines().next().unwrap().to_string();
    fs::write(base.join("old-grpcroute.yaml"), format!("{header}\nkind: GRPCRoute\n")).unwrap();
    fs::write(base.join("notes.yaml"), "# mine\n").unwrap();

    let check = kuberpc(&[&["check"], greeter_args(include, proto, "deploy").as_slice()].concat(), dir.path());
    assert_eq!(check.status.code(), Some(1));
    let diff = String::from_utf8(check.stdout).unwrap();
    assert!(diff.contains("old-grpcroute.yaml") && diff.contains("+++ /dev/null"), "{diff}");
    assert!(!diff.contains("notes.yaml"), "{diff}");

    let generate = kuberpc(&[&["generate"], greeter_args(include, proto, "deploy").as_slice()].concat(), dir.path());
    let printed = String::from_utf8(generate.stdout).unwrap();
    assert!(printed.contains("removed") && printed.contains("old-grpcroute.yaml"), "{printed}");
    assert!(!base.join("old-grpcroute.yaml").exists());
    assert!(base.join("notes.yaml").exists());
}

/// The trait path from the command line: the same files the counter's build script commits
/// (manifests and the emitted proto), and `check` covers the proto too.
#[test]
fn rust_sources_generate_the_committed_counter_tree() {
    let counter = common::repo_root().join("examples/counter");
    let dir = tempfile::tempdir().unwrap();
    let (out, proto_out) = (dir.path().join("deploy"), dir.path().join("proto"));
    let args = ["src/api.rs", "--out", out.to_str().unwrap(), "--proto-out", proto_out.to_str().unwrap()];
    let generate = kuberpc(&[&["generate"], args.as_slice()].concat(), &counter);
    assert!(generate.status.success(), "{}", String::from_utf8_lossy(&generate.stderr));
    assert_eq!(common::tree(&out.join("counter/base")), common::tree(&counter.join("deploy/counter/base")));
    assert_eq!(common::tree(&proto_out), common::tree(&counter.join("proto")));

    let check = kuberpc(&[&["check"], args.as_slice()].concat(), &counter);
    assert_eq!(check.status.code(), Some(0), "{}", String::from_utf8_lossy(&check.stdout));
    let emitted = proto_out.join("counter/v1/counter.proto");
    fs::write(&emitted, fs::read_to_string(&emitted).unwrap().replace("int64 delta = 2;", "int32 delta = 2;")).unwrap();
    let check = kuberpc(&[&["check"], args.as_slice()].concat(), &counter);
    assert_eq!(check.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&check.stdout).contains("+  int64 delta = 2;"));

    let mixed = kuberpc(&["generate", "src/api.rs", "../greeter/proto/greeter/v1/greeter.proto"], &counter);
    assert_eq!(mixed.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&mixed.stderr).contains("not both in one run"));
}

/// A Rust source with mistakes: exit 2, every problem at `file:line:col`, nothing written.
#[test]
fn a_bad_rust_source_exits_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let source = "#[kuberpc::rpc_service(package = \"shop.v1\", port = 0, replicas = \"2\")]
pub trait Shop {
    async fn get(&self, request: Req, extra: Req) -> Result<Rep, kuberpc::Status>;
}
";
    fs::write(dir.path().join("api.rs"), source).unwrap();
    let output = kuberpc(&["generate", "api.rs", "--out", "deploy", "--proto-out", "proto"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected = [
        "api.rs:1:66: `replicas` expects an integer",
        "api.rs:3:39: RPC method `get` takes 2 arguments",
        "api.rs:1:45: port 0 is out of range",
    ];
    for expected in expected {
        assert!(stderr.contains(expected), "{expected} missing from:\n{stderr}");
    }
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert_eq!(common::tree(dir.path()).len(), 1, "only api.rs is there");
}
