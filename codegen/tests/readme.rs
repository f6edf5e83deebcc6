//! The README's quick start, as a newcomer types it: every code block under "## Quick start"
//! whose first line names a file (`# Cargo.toml`, `// build.rs`, …) is written into a new
//! crate outside the repository, which is built against this checkout (`[patch.crates-io]`,
//! offline, versions from the workspace's Cargo.lock); then its server runs on 127.0.0.1 and
//! its client must print the greeting. A README that no longer compiles or runs fails here.
//! The build's target directory is the scratch one outside the clone
//! (`~/.cache/kuberpc/scratch-target`, or `KUBERPC_SCRATCH_TARGET`), so a warm machine
//! rebuilds only the crate.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `(path, text)` of every quick-start block that names its file on its first line.
fn quick_start_files(readme: &str) -> Vec<(String, String)> {
    let section = readme.split("\n## Quick start\n").nth(1).expect("a Quick start section");
    let section = section.split("\n## ").next().unwrap_or(section);
    let mut files = Vec::new();
    for block in section.split("\n```").skip(1).step_by(2) {
        let body = block.split_once('\n').map_or("", |(_language, body)| body);
        let first = body.lines().next().unwrap_or("");
        let path = first.strip_prefix("# ").or_else(|| first.strip_prefix("// ")).unwrap_or("");
        let is_path = !path.is_empty() && !path.contains(' ') && (path.contains('.') || path.contains('/'));
        if is_path {
            files.push((path.to_string(), format!("{body}\n")));
        }
    }
    files
}

/// Writes the quick start into `dir`, with the checkout patched in for the kuberpc crates.
fn write_crate(dir: &Path, files: &[(String, String)]) {
    let root = common::repo_root();
    for (path, text) in files {
        let mut text = text.clone();
        if path == "Cargo.toml" {
            let patch =
                |name: &str, sub: &str| format!("{name} = {{ path = {:?} }}\n", root.join(sub).display().to_string());
            text.push_str("\n[workspace]\n\n[patch.crates-io]\n");
            text.push_str(
                &(patch("kuberpc", "") + &patch("kuberpc-codegen", "codegen") + &patch("kuberpc-macros", "rpc-macros")),
            );
        }
        let target = dir.join(path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, text).unwrap();
    }
}

#[test]
fn the_quick_start_builds_and_its_server_answers_its_client() {
    let readme = std::fs::read_to_string(common::repo_root().join("README.md")).unwrap();
    let files = quick_start_files(&readme);
    let names: Vec<&str> = files.iter().map(|(path, _)| path.as_str()).collect();
    for expected in ["Cargo.toml", "build.rs", "src/lib.rs", "src/bin/server.rs", "src/bin/client.rs"] {
        assert!(names.contains(&expected), "the quick start has no {expected} block: {names:?}");
    }
    assert!(names.iter().any(|n| n.ends_with(".proto")), "the quick start has no .proto block: {names:?}");

    let dir = tempfile::tempdir().unwrap();
    write_crate(dir.path(), &files);
    let (build, target) = common::scratch_cargo(dir.path(), &["build", "--bins", "--quiet"]);
    let printed = format!("{}{}", String::from_utf8_lossy(&build.stdout), String::from_utf8_lossy(&build.stderr));
    assert!(build.status.success(), "the quick start does not build:\n{printed}");
    assert!(dir.path().join("deploy/greeter/base/deployment.yaml").is_file(), "cargo build wrote no manifests");

    let bin = target.join("debug");
    let mut server =
        Command::new(bin.join("server")).env("KUBERPC_ADDR", "127.0.0.1:0").stdout(Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().rsplit(' ').next().unwrap_or_default().to_string();
    let started = Instant::now();
    let client = Command::new(bin.join("client")).env("KUBERPC_TARGET", &addr).output().unwrap();
    let _ = server.kill();
    let _ = server.wait();
    let printed = format!("{}{}", String::from_utf8_lossy(&client.stdout), String::from_utf8_lossy(&client.stderr));
    assert!(client.status.success(), "the client failed against {addr:?} ({line:?}): {printed}");
    assert_eq!(String::from_utf8_lossy(&client.stdout).trim(), "Hello kuberpc!");
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn blocks_are_found_by_the_file_their_first_line_names() {
    let readme = "# x\n\n## Quick start\n\n```toml\n# Cargo.toml\n[package]\n```\n\ntext\n\n```sh\ncargo run\n```\n\n```rust\n// src/lib.rs\npub fn f() {}\n```\n\n## Next\n\n```rust\n// src/other.rs\n```\n";
    let files = quick_start_files(readme);
    assert_eq!(
        files,
        vec![
            ("Cargo.toml".to_string(), "# Cargo.toml\n[package]\n".to_string()),
            ("src/lib.rs".to_string(), "// src/lib.rs\npub fn f() {}\n".to_string()),
        ]
    );
}
