//! Inputs shared by the integration tests of kuberpc-codegen and kuberpc-cli (whose
//! `tests/common` includes this file): the example protos of this repository, trees, snapshots.

#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kuberpc_codegen::{Config, Generated};

pub mod hostile;

/// One input set: a name for snapshots, the protos and their include directory, and the
/// protos of the other services of its system (`Config::peers`, with their include directory).
pub struct Case {
    pub name: &'static str,
    pub protos: Vec<PathBuf>,
    pub includes: Vec<PathBuf>,
    pub peers: Vec<(PathBuf, PathBuf)>,
}

/// `git args` in `dir` as a throwaway identity (no signing); panics unless it succeeds.
pub fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"])
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// A service's proto in `examples/<app>/proto`, as a peer: `(file, include directory)`.
pub fn example_proto(app: &str) -> (PathBuf, PathBuf) {
    let include = repo_root().join("examples").join(app).join("proto");
    (include.join(app).join("v1").join(format!("{app}.proto")), include)
}

/// The proto-first example, called by the front (its peer).
pub fn greeter() -> Case {
    let proto = repo_root().join("examples/greeter/proto");
    let peers = vec![example_proto("front")];
    Case { name: "greeter", protos: vec![proto.join("greeter/v1/greeter.proto")], includes: vec![proto], peers }
}

/// The system example's entry point (its trait's emitted proto), calling the greeter and the
/// journal (its peers).
pub fn front() -> Case {
    let (proto, include) = example_proto("front");
    let peers = vec![example_proto("greeter"), example_proto("journal")];
    Case { name: "front", protos: vec![proto], includes: vec![include], peers }
}

pub fn route_guide() -> Case {
    let proto = repo_root().join("examples/corpus/proto");
    Case {
        name: "route_guide",
        protos: vec![proto.join("routeguide/route_guide.proto")],
        includes: vec![proto],
        peers: Vec::new(),
    }
}

pub fn interop() -> Case {
    let proto = repo_root().join("examples/corpus/proto");
    Case {
        name: "interop",
        protos: vec![proto.join("grpc/testing/test.proto")],
        includes: vec![proto],
        peers: Vec::new(),
    }
}

/// Single-writer storage with autoscaling (a StatefulSet) behind a GRPCRoute.
pub fn ledger() -> Case {
    let proto = repo_root().join("codegen/tests/fixtures");
    Case {
        name: "ledger",
        protos: vec![proto.join("ledger/v1/ledger.proto")],
        includes: vec![proto],
        peers: Vec::new(),
    }
}

/// The StatefulSet example: single-writer storage, more than one replica, run by the e2e;
/// called by the front (its peer).
pub fn journal() -> Case {
    let proto = repo_root().join("examples/journal/proto");
    let peers = vec![example_proto("front")];
    Case { name: "journal", protos: vec![proto.join("journal/v1/journal.proto")], includes: vec![proto], peers }
}

/// A system under mutual TLS: a teller calling a vault, in one namespace in staging and in
/// two in prod.
pub fn bank() -> Case {
    let proto = repo_root().join("codegen/tests/fixtures");
    Case { name: "bank", protos: vec![proto.join("bank/v1/bank.proto")], includes: vec![proto], peers: Vec::new() }
}

pub fn all_cases() -> Vec<Case> {
    vec![greeter(), route_guide(), interop(), ledger(), journal(), front(), bank()]
}

impl Case {
    /// Generates in memory with the given manifests directory.
    pub fn generate_into(&self, manifests_dir: &Path) -> Generated {
        self.config(manifests_dir).generate(&self.protos, &self.includes).unwrap()
    }

    pub fn config(&self, manifests_dir: &Path) -> Config {
        let mut config = Config::new();
        config.manifests_dir(manifests_dir);
        for (proto, include) in &self.peers {
            config.peers(&[proto], &[include]);
        }
        config
    }

    /// The `--peer` and `-I` arguments of the `kuberpc` command for the peers.
    pub fn peer_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        for (proto, include) in &self.peers {
            args.extend([
                "--peer".to_string(),
                proto.display().to_string(),
                "-I".into(),
                include.display().to_string(),
            ]);
        }
        args
    }
}

/// `kubectl kustomize dir`; a missing kubectl fails with a message saying so.
pub fn kustomize(dir: &Path) -> String {
    let output = Command::new("kubectl").arg("kustomize").arg(dir).output().unwrap_or_else(|e| {
        panic!("kubectl is needed to build the overlays (`kubectl kustomize`), and could not be run: {e}")
    });
    assert!(
        output.status.success(),
        "kubectl kustomize {} failed:\n{}",
        dir.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Every file under `dir`, by path relative to it, with its content.
pub fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.insert(path.strip_prefix(dir).unwrap().to_path_buf(), fs::read(&path).unwrap_or_default());
            }
        }
    }
    files
}

/// Asserts each `(name, content)` as the named insta snapshot `snapshots/<name>.snap`.
pub fn assert_snapshots(snapshots: impl IntoIterator<Item = (String, String)>) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(repo_root().join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for (name, content) in snapshots {
            insta::assert_snapshot!(name, content);
        }
    });
}

/// Fails when `snapshots/` holds a snapshot whose name starts with one of `prefixes` (the
/// names a test file owns) and that no case in `produced` asserts any more.
pub fn assert_no_unreferenced_snapshots(prefixes: &[&str], produced: impl IntoIterator<Item = String>) {
    let expected: std::collections::BTreeSet<String> =
        produced.into_iter().map(|name| format!("{name}.snap")).collect();
    let unreferenced: Vec<String> = fs::read_dir(repo_root().join("snapshots"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".snap") && prefixes.iter().any(|prefix| name.starts_with(prefix)))
        .filter(|name| !expected.contains(name))
        .collect();
    assert!(unreferenced.is_empty(), "snapshots no case produces any more (delete them): {unreferenced:?}");
}

/// Runs `cargo <args> --offline` in the scratch crate `dir` with the workspace's Cargo.lock
/// (so versions resolve from the local registry cache) and one target directory shared by
/// every scratch crate and kept outside the clone, `$KUBERPC_SCRATCH_TARGET` or
/// `~/.cache/kuberpc/scratch-target`, so a warm machine rebuilds only the crate. Built without
/// debug info or incremental state: nobody debugs these builds, and they cost disk (CI has
/// run out of it). Returns cargo's output and that target directory.
pub fn scratch_cargo(dir: &Path, args: &[&str]) -> (Output, PathBuf) {
    std::fs::copy(repo_root().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    let output = scratch_build(dir).arg("--offline").args(args).output().unwrap();
    (output, scratch_target())
}

/// `cargo`, in `dir`, building into [`scratch_target`] without debug info or incremental
/// state and without the caller's `RUSTFLAGS`: how every scratch crate is built.
pub fn scratch_build(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO"));
    command
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", scratch_target())
        .env("CARGO_PROFILE_DEV_DEBUG", "false")
        .env("CARGO_INCREMENTAL", "0")
        .env_remove("RUSTFLAGS");
    command
}

/// What a process printed: its stdout, then its stderr.
pub fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// What the tests keep outside the clone for a warm machine: `~/.cache/kuberpc`.
pub fn cache_dir() -> PathBuf {
    PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/kuberpc")
}

/// The target directory every scratch crate shares, `$KUBERPC_SCRATCH_TARGET` or
/// `~/.cache/kuberpc/scratch-target`.
pub fn scratch_target() -> PathBuf {
    std::env::var_os("KUBERPC_SCRATCH_TARGET").map(PathBuf::from).unwrap_or_else(|| cache_dir().join("scratch-target"))
}
