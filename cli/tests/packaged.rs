//! The published path, from the PACKAGED crates as a user gets them: `scripts/package
//! --no-verify` makes the `.crate` files, which are unpacked beside the workspace's registry
//! dependencies (`cargo vendor`, once per Cargo.lock, cached in `~/.cache/kuberpc/vendor/`)
//! into a directory source that replaces crates.io in a scratch `CARGO_HOME` — no `[patch]`,
//! no path into this checkout. From it `cargo install kuberpc-cli` (debug) installs the
//! binary; the README's quick start, exactly as written, builds and its server answers its
//! client; `kuberpc new` crates of both kinds pass their own test, `kuberpc check` finds them
//! up to date and hadolint accepts their Dockerfile; once committed, a field renumbered in
//! the proto crate's API fails its `compatible` test.
//!
//! Everything builds in the scratch target directory outside the clone
//! (`~/.cache/kuberpc/scratch-target`, or `KUBERPC_SCRATCH_TARGET`). Replaced sources keep
//! crates.io's package ids, so cargo trusts a kuberpc crate by its version: their fingerprints
//! are removed first, and they rebuild from the fresh packages on every run.

mod common;

use common::text;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `command` to completion; a command that cannot start, or fails, fails the test with
/// what it printed.
fn run(command: &mut Command, what: &str) -> Output {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    assert!(output.status.success(), "{what} failed ({}):\n{}", output.status, text(&output));
    output
}

/// The SHA-256 of `file`, in hex (coreutils' `sha256sum`).
fn sha256(file: &Path) -> String {
    let output = run(Command::new("sha256sum").arg(file), "sha256sum");
    String::from_utf8_lossy(&output.stdout).split_whitespace().next().unwrap_or_default().to_string()
}

/// The workspace's registry dependencies, vendored once per Cargo.lock (keyed by its hash):
/// a directory of `<name>-<version>/` crates with their `.cargo-checksum.json`.
fn vendored_dependencies() -> PathBuf {
    let root = common::repo_root();
    let vendor = common::cache_dir().join("vendor").join(sha256(&root.join("Cargo.lock")));
    if vendor.is_dir() {
        return vendor;
    }
    // Into a temporary name first: an interrupted run leaves nothing that looks complete.
    let partial = vendor.with_extension("partial");
    let _ = std::fs::remove_dir_all(&partial);
    std::fs::create_dir_all(vendor.parent().unwrap()).unwrap();
    let mut vendoring = Command::new(env!("CARGO"));
    vendoring.args(["vendor", "--locked", "--versioned-dirs", "--quiet"]).arg(&partial).current_dir(&root);
    run(&mut vendoring, "cargo vendor");
    std::fs::rename(&partial, &vendor).unwrap();
    vendor
}

/// `scripts/package --no-verify` into `target`: the `.crate` file of every publishable member.
fn package_the_workspace(target: &Path) -> Vec<PathBuf> {
    let root = common::repo_root();
    let mut packaging = Command::new(root.join("scripts/package"));
    packaging.args(["--no-verify", "--allow-dirty", "--quiet", "--target-dir"]).arg(target).current_dir(&root);
    run(&mut packaging, "scripts/package");
    let mut crates: Vec<PathBuf> = std::fs::read_dir(target.join("package"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "crate"))
        .collect();
    crates.sort();
    crates
}

/// A directory source holding the vendored dependencies (linked) and the unpacked `.crate`
/// files, each with the checksum of its `.crate` (what a registry's Cargo.lock records).
/// Returns the source and the packaged crates' names.
fn directory_source(dir: &Path, vendor: &Path, crates: &[PathBuf]) -> Vec<String> {
    std::fs::create_dir_all(dir).unwrap();
    for entry in std::fs::read_dir(vendor).unwrap() {
        let entry = entry.unwrap();
        std::os::unix::fs::symlink(entry.path(), dir.join(entry.file_name())).unwrap();
    }
    let mut names = Vec::new();
    for file in crates {
        run(Command::new("tar").arg("-xzf").arg(file).arg("-C").arg(dir), "tar");
        let unpacked = dir.join(file.file_stem().unwrap());
        let checksum = format!("{{\"files\":{{}},\"package\":\"{}\"}}", sha256(file));
        std::fs::write(unpacked.join(".cargo-checksum.json"), checksum).unwrap();
        let stem = file.file_stem().unwrap().to_string_lossy().into_owned();
        names.push(stem.rsplit_once('-').map_or(stem.as_str(), |(name, _version)| name).to_string());
    }
    names
}

/// A user's machine whose crates.io is the directory source: `cargo` commands get its
/// `CARGO_HOME` (offline; `cargo install` puts binaries in its `bin/`) and the scratch target
/// directory, without debug info or incremental state (nobody debugs these builds).
struct Machine {
    cargo_home: PathBuf,
    target: PathBuf,
}

impl Machine {
    fn new(dir: &Path, source: &Path) -> Self {
        let cargo_home = dir.join("cargo-home");
        std::fs::create_dir_all(&cargo_home).unwrap();
        let config = format!(
            "[source.crates-io]\nreplace-with = \"packaged\"\n\n[source.packaged]\ndirectory = {:?}\n\n[net]\noffline = true\n",
            source.display().to_string()
        );
        std::fs::write(cargo_home.join("config.toml"), config).unwrap();
        Self { cargo_home, target: common::scratch_target() }
    }

    fn cargo(&self, args: &[&str], dir: &Path) -> Command {
        let mut command = common::scratch_build(dir);
        command.args(args).env("CARGO_HOME", &self.cargo_home);
        command
    }

    fn kuberpc(&self, args: &[&str], dir: &Path) -> Output {
        Command::new(self.cargo_home.join("bin/kuberpc")).args(args).current_dir(dir).output().unwrap()
    }

    /// Makes the packaged crates `names` rebuild: their version did not change, their code may have.
    fn forget_builds_of(&self, names: &[String]) {
        for profile in ["debug", "release"] {
            let Ok(entries) = std::fs::read_dir(self.target.join(profile).join(".fingerprint")) else { continue };
            for entry in entries {
                let entry = entry.unwrap();
                let file_name = entry.file_name().to_string_lossy().into_owned();
                let package = file_name.rsplit_once('-').map_or("", |(package, _hash)| package);
                if names.iter().any(|name| name == package) {
                    std::fs::remove_dir_all(entry.path()).unwrap();
                }
            }
        }
    }
}

/// `(path, text)` of every quick-start block that names its file on its first line
/// (`# Cargo.toml`, `// build.rs`, …).
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

/// The README's quick start, written as it stands into `dir`, builds; its server answers its
/// client on 127.0.0.1.
fn the_quick_start_builds_and_its_server_answers_its_client(machine: &Machine, dir: &Path) {
    let readme = std::fs::read_to_string(common::repo_root().join("README.md")).unwrap();
    let files = quick_start_files(&readme);
    let names: Vec<&str> = files.iter().map(|(path, _)| path.as_str()).collect();
    for expected in ["Cargo.toml", "build.rs", "src/lib.rs", "src/bin/server.rs", "src/bin/client.rs"] {
        assert!(names.contains(&expected), "the quick start has no {expected} block: {names:?}");
    }
    assert!(names.iter().any(|n| n.ends_with(".proto")), "the quick start has no .proto block: {names:?}");
    for (path, text) in &files {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
    run(&mut machine.cargo(&["build", "--bins", "--quiet"], dir), "the quick start's cargo build");
    assert!(dir.join("deploy/greeter/base/deployment.yaml").is_file(), "cargo build wrote no manifests");

    let bin = machine.target.join("debug");
    let mut server =
        Command::new(bin.join("server")).env("KUBERPC_ADDR", "127.0.0.1:0").stdout(Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().rsplit(' ').next().unwrap_or_default().to_string();
    let started = Instant::now();
    let client = Command::new(bin.join("client")).env("KUBERPC_TARGET", &addr).output().unwrap();
    let _ = server.kill();
    let _ = server.wait();
    assert!(client.status.success(), "the client failed against {addr:?} ({line:?}): {}", text(&client));
    assert_eq!(String::from_utf8_lossy(&client.stdout).trim(), "Hello kuberpc!");
    assert!(started.elapsed() < Duration::from_secs(30));
}

/// `kuberpc new name` (with `extra` flags) under `root`: its test passes, `kuberpc check`
/// (`check`) exits 0, hadolint accepts its Dockerfile.
fn a_new_crate_passes_its_test_and_is_up_to_date(
    machine: &Machine,
    root: &Path,
    name: &str,
    extra: &[&str],
    check: &[&str],
) {
    let started = Instant::now();
    let output = machine.kuberpc(&[&["new", name], extra].concat(), root);
    assert!(output.status.success(), "kuberpc new {name}: {}", text(&output));
    let dir = root.join(name);
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    assert!(!manifest.contains("path ="), "{name}: an installed kuberpc names its crates by version:\n{manifest}");
    let test = run(&mut machine.cargo(&["test", "--quiet"], &dir), &format!("{name}: cargo test"));
    assert!(text(&test).contains("1 passed"), "{name}: its test did not run:\n{}", text(&test));
    println!("{name}: scaffolded, built and tested in {:?}", started.elapsed());

    let checked = machine.kuberpc(check, &dir);
    assert_eq!(checked.status.code(), Some(0), "{name}: kuberpc check: {}", text(&checked));
    let dockerfile = dir.join("deploy").join(name).join("Dockerfile");
    let hadolint = Command::new(common::repo_root().join(".venv/bin/hadolint")).arg(&dockerfile).output().unwrap();
    assert!(hadolint.status.success() && text(&hadolint).trim().is_empty(), "{name}: {}", text(&hadolint));
}

/// The new crate `name` under `root`, committed to git, then its proto changed so that a
/// caller of the committed version breaks (a field renumbered): its `compatible` test fails,
/// naming the change.
fn a_breaking_change_to_a_committed_new_crate_fails_its_test(machine: &Machine, root: &Path, name: &str) {
    let dir = root.join(name);
    common::git(&dir, &["init", "-q"]);
    common::git(&dir, &["add", "."]);
    common::git(&dir, &["commit", "-q", "-m", "the first version"]);
    let lib = name.replace('-', "_");
    let proto = dir.join(format!("proto/{lib}/v1/{lib}.proto"));
    let text_before = std::fs::read_to_string(&proto).unwrap();
    let renumbered = text_before.replacen("string name = 1;", "string name = 2;", 1);
    assert_ne!(renumbered, text_before, "{name}: the proto has no `string name = 1;`");
    std::fs::write(&proto, renumbered).unwrap();
    let test = machine.cargo(&["test", "--quiet", "--test", "compatible"], &dir).output().unwrap();
    assert!(!test.status.success(), "{name}: a renumbered field passed its compatible test:\n{}", text(&test));
    assert!(text(&test).contains("FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED"), "{name}: {}", text(&test));
}

#[test]
fn the_packaged_crates_install_the_cli_build_the_quick_start_and_both_new_crates() {
    let started = Instant::now();
    let scratch = tempfile::tempdir().unwrap();
    let crates = package_the_workspace(&scratch.path().join("package-target"));
    let names: Vec<String> = crates.iter().map(|c| c.file_name().unwrap().to_string_lossy().into_owned()).collect();
    for expected in
        ["kuberpc-0.1.0.crate", "kuberpc-cli-0.1.0.crate", "kuberpc-codegen-0.1.0.crate", "kuberpc-spec-0.1.0.crate"]
    {
        assert!(names.iter().any(|name| name == expected), "scripts/package made no {expected}: {names:?}");
    }
    let source = scratch.path().join("registry");
    let packaged = directory_source(&source, &vendored_dependencies(), &crates);
    let machine = Machine::new(scratch.path(), &source);
    machine.forget_builds_of(&packaged);
    println!("packaged and vendored in {:?}", started.elapsed());

    let install = ["install", "kuberpc-cli", "--debug", "--locked", "--quiet"];
    run(&mut machine.cargo(&install, scratch.path()), "cargo install kuberpc-cli");
    let version = machine.kuberpc(&["--version"], scratch.path());
    assert_eq!(text(&version).trim(), "kuberpc 0.1.0");
    println!("kuberpc-cli installed after {:?}", started.elapsed());

    let quick_start = scratch.path().join("hello");
    the_quick_start_builds_and_its_server_answers_its_client(&machine, &quick_start);
    println!("the quick start answered after {:?}", started.elapsed());

    let proto_check = ["check", "proto/hello_proto/v1/hello_proto.proto", "-I", "proto", "--out", "deploy"];
    a_new_crate_passes_its_test_and_is_up_to_date(&machine, scratch.path(), "hello-proto", &[], &proto_check);
    a_breaking_change_to_a_committed_new_crate_fails_its_test(&machine, scratch.path(), "hello-proto");
    let trait_check = ["check", "src/api.rs", "--out", "deploy"];
    a_new_crate_passes_its_test_and_is_up_to_date(&machine, scratch.path(), "hello-trait", &["--trait"], &trait_check);
    println!("done after {:?}", started.elapsed());
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
