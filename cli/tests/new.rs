//! `kuberpc new` from this checkout: the scaffold names the checkout's crates by path (from
//! the packaged crates it names them by version: `packaged.rs` builds and tests both kinds of
//! crate that way). A directory that is not empty, or a name that cannot be a Kubernetes app,
//! is refused untouched (exit 2).

mod common;

use common::text;

use std::path::Path;
use std::process::{Command, Output};

fn kuberpc(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kuberpc")).args(args).current_dir(dir).output().unwrap()
}

#[test]
fn a_scaffold_from_this_checkout_names_the_checkouts_crates_by_path() {
    let root = tempfile::tempdir().unwrap();
    let output = kuberpc(&["new", "hello-path"], root.path());
    assert!(output.status.success(), "kuberpc new: {}", text(&output));
    let manifest = std::fs::read_to_string(root.path().join("hello-path/Cargo.toml")).unwrap();
    let checkout = common::repo_root();
    for (name, dir) in [("kuberpc", checkout.clone()), ("kuberpc-codegen", checkout.join("codegen"))] {
        let line = format!("{name} = {{ version = \"0.1\", path = {:?} }}", dir.display().to_string());
        assert!(manifest.contains(&line), "no {line:?} in:\n{manifest}");
    }
    assert!(
        root.path().join("hello-path/src/bin/server.rs").is_file() && root.path().join("hello-path/build.rs").is_file()
    );
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
