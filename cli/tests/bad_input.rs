//! The bad-input corpus (`tests/bad_input/`, plus file-system cases set up here): every case
//! exits 2, prints located diagnostics (snapshotted) and leaves the output tree
//! byte-identical. See `tests/bad_input/README.md`.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_input")
}

fn copy_dir(from: &Path, to: &Path) {
    for (relative, content) in common::tree(from) {
        let target = to.join(relative);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::write(target, content).unwrap();
    }
}

/// A scratch directory holding an existing deploy tree (the greeter example's).
fn scratch() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&common::repo_root().join("examples/greeter/deploy"), &dir.path().join("deploy"));
    dir
}

const DEFAULT_ARGS: [&str; 6] = ["-I", ".", "--out", "deploy", "--rust-out", "stubs"];

/// Runs `kuberpc generate <args>` in `dir`; checks exit code 2, an unchanged tree and no
/// panic; returns stderr.
fn run_refused(name: &str, dir: &Path, args: &[String]) -> String {
    let before = common::tree(dir);
    let output = Command::new(env!("CARGO_BIN_EXE_kuberpc"))
        .arg("generate")
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(2), "{name}: exit code {:?}\n{stderr}", output.status.code());
    assert!(!stderr.contains("panicked"), "{name} panicked:\n{stderr}");
    assert_eq!(common::tree(dir), before, "{name} changed the tree");
    stderr
}

fn snapshot(name: &str, stderr: &str) {
    common::assert_snapshots([(format!("bad_input__{name}"), stderr.to_string())]);
}

/// `file.proto:12:5` or `file.yaml.hbs:3:1` somewhere in the text.
fn has_location(text: &str) -> bool {
    text.split(|c: char| c.is_whitespace() || c == '[' || c == ']').any(|word| {
        let mut parts = word.trim_end_matches(':').rsplitn(3, ':');
        let (column, line, file) = (parts.next(), parts.next(), parts.next());
        let number = |s: Option<&str>| s.is_some_and(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()));
        number(column) && number(line) && file.is_some_and(|f| f.ends_with(".proto") || f.ends_with(".hbs"))
    })
}

fn corpus_cases() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn corpus_args(case: &Path, scratch: &Path) -> Vec<String> {
    let mut protos: Vec<String> = common::tree(case)
        .into_keys()
        .filter(|p| p.extension().is_some_and(|e| e == "proto"))
        .map(|p| p.display().to_string())
        .collect();
    protos.sort();
    let words: Vec<String> = match fs::read_to_string(case.join("args")) {
        Ok(args) => args.split_whitespace().map(str::to_string).collect(),
        Err(_) => protos,
    };
    let mut args = Vec::new();
    for word in words {
        if word == "$GREETER" {
            let proto = common::repo_root().join("examples/greeter/proto/greeter/v1/greeter.proto");
            fs::create_dir_all(scratch.join("greeter/v1")).unwrap();
            fs::copy(proto, scratch.join("greeter/v1/greeter.proto")).unwrap();
            args.push("greeter/v1/greeter.proto".to_string());
        } else {
            args.push(word);
        }
    }
    args.extend(DEFAULT_ARGS.map(String::from));
    args
}

#[test]
fn every_corpus_case_is_refused_with_located_diagnostics_and_an_unchanged_tree() {
    let cases = corpus_cases();
    assert!(cases.len() >= 30, "the corpus has {} cases", cases.len());
    for name in &cases {
        let dir = scratch();
        copy_dir(&corpus().join(name), dir.path());
        let args = corpus_args(&corpus().join(name), dir.path());
        let stderr = run_refused(name, dir.path(), &args);
        assert!(has_location(&stderr), "{name}: no file:line:col in\n{stderr}");
        snapshot(name, &stderr);
    }
}

/// A named set-up of the scratch directory, returning the CLI arguments.
type FileSystemCase = (&'static str, fn(&Path) -> Vec<String>);

/// File-system situations: each sets up the scratch directory and returns the arguments.
fn file_system_cases() -> Vec<FileSystemCase> {
    fn greeter(dir: &Path) -> Vec<String> {
        let proto = common::repo_root().join("examples/greeter/proto/greeter/v1/greeter.proto");
        fs::create_dir_all(dir.join("greeter/v1")).unwrap();
        fs::copy(proto, dir.join("greeter/v1/greeter.proto")).unwrap();
        let mut args = vec!["greeter/v1/greeter.proto".to_string()];
        args.extend(DEFAULT_ARGS.map(String::from));
        args
    }
    vec![
        ("fs_base_file_without_header", |dir| {
            fs::write(dir.join("deploy/greeter/base/service.yaml"), "# written by hand\nkind: Service\n").unwrap();
            greeter(dir)
        }),
        ("fs_output_is_a_file", |dir| {
            let args = greeter(dir);
            fs::remove_dir_all(dir.join("deploy")).unwrap();
            fs::write(dir.join("deploy"), "not a directory\n").unwrap();
            args
        }),
        ("fs_app_directory_is_a_file", |dir| {
            let args = greeter(dir);
            fs::remove_dir_all(dir.join("deploy/greeter")).unwrap();
            fs::write(dir.join("deploy/greeter"), "not a directory\n").unwrap();
            args
        }),
        ("fs_proto_missing", |_| {
            let mut args = vec!["nowhere/shop.proto".to_string()];
            args.extend(DEFAULT_ARGS.map(String::from));
            args
        }),
        ("fs_templates_dir_missing", |dir| {
            let mut args = greeter(dir);
            args.extend(["--templates".to_string(), "no-such-templates".to_string()]);
            args
        }),
    ]
}

#[test]
fn file_system_cases_are_refused_and_leave_the_tree_alone() {
    for (name, setup) in file_system_cases() {
        let dir = scratch();
        let args = setup(dir.path());
        let stderr = run_refused(name, dir.path(), &args);
        snapshot(name, &stderr);
    }
}

#[test]
fn no_unreferenced_bad_input_snapshots() {
    let mut names: Vec<String> = corpus_cases();
    names.extend(file_system_cases().into_iter().map(|(name, _)| name.to_string()));
    common::assert_no_unreferenced_snapshots(&["bad_input__"], names.iter().map(|name| format!("bad_input__{name}")));
}
