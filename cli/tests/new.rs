//! `kuberpc new` scaffolds crates that work as generated: for both kinds (a `.proto`, and a
//! trait with `--trait`) the real binary writes the crate into a temporary directory, its own
//! test passes (`cargo test --offline`, the server answering the client on 127.0.0.1), `kuberpc
//! check` finds its tree up to date (exit 0), and hadolint accepts its Dockerfile. A directory
//! that is not empty, or a name that cannot be a Kubernetes app, is refused untouched (exit 2).
//! The crates build in the scratch target directory outside the clone
//! (`~/.cache/kuberpc/scratch-target`, or `KUBERPC_SCRATCH_TARGET`) with the workspace's
//! Cargo.lock, so a warm machine only rebuilds them.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Instant;

fn kuberpc(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kuberpc")).args(args).current_dir(dir).output().unwrap()
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// Scaffolds `name` (with `extra` flags) under `root`, runs its tests and `kuberpc check`.
fn scaffold_test_and_check(root: &Path, name: &str, extra: &[&str], check: &[&str]) {
    let started = Instant::now();
    let mut args = vec!["new", name];
    args.extend(extra);
    let output = kuberpc(&args, root);
    assert!(output.status.success(), "kuberpc new {name}: {}", text(&output));
    let dir = root.join(name);
    let (test, _) = common::scratch_cargo(&dir, &["test", "--quiet"]);
    assert!(test.status.success(), "{name}: cargo test failed:\n{}", text(&test));
    assert!(text(&test).contains("1 passed"), "{name}: its test did not run:\n{}", text(&test));
    println!("{name}: scaffolded, built and tested in {:?}", started.elapsed());

    let checked = kuberpc(check, &dir);
    assert_eq!(checked.status.code(), Some(0), "{name}: kuberpc check: {}", text(&checked));
    let dockerfile = dir.join("deploy").join(name).join("Dockerfile");
    let hadolint = Command::new(common::repo_root().join(".venv/bin/hadolint")).arg(&dockerfile).output().unwrap();
    assert!(hadolint.status.success() && text(&hadolint).trim().is_empty(), "{name}: {}", text(&hadolint));
}

#[test]
fn both_kinds_of_scaffold_build_pass_their_test_and_are_up_to_date() {
    let root = tempfile::tempdir().unwrap();
    scaffold_test_and_check(
        root.path(),
        "hello-proto",
        &[],
        &["check", "proto/hello_proto/v1/hello_proto.proto", "-I", "proto", "--out", "deploy"],
    );
    scaffold_test_and_check(root.path(), "hello-trait", &["--trait"], &["check", "src/api.rs", "--out", "deploy"]);
}

#[test]
fn an_occupied_directory_or_a_bad_name_is_refused_untouched() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join("taken")).unwrap();
    std::fs::write(root.path().join("taken/notes.txt"), "mine").unwrap();
    let before = common::tree(root.path());
    let output = kuberpc(&["new", "taken"], root.path());
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(text(&output).contains("is not empty"), "{}", text(&output));
    for bad in ["Hello", "hello_world", "x-", "9lives"] {
        let output = kuberpc(&["new", bad], root.path());
        assert_eq!(output.status.code(), Some(2), "{bad}: {}", text(&output));
        assert!(text(&output).contains("lower-case letters"), "{bad}: {}", text(&output));
    }
    // Valid labels that would name a crate that is not valid Rust or shadows a dependency.
    for (bad, why) in [
        ("fn", "keyword"),
        ("async", "keyword"),
        ("self", "keyword"),
        ("kuberpc", "crate"),
        ("core", "crate"),
        ("std", "crate"),
        ("test", "crate"),
    ] {
        let output = kuberpc(&["new", bad], root.path());
        assert_eq!(output.status.code(), Some(2), "{bad}: {}", text(&output));
        assert!(text(&output).contains(why), "{bad}: {}", text(&output));
    }
    assert_eq!(common::tree(root.path()), before, "nothing was written");
}
