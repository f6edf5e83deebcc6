//! Kills `kuberpc generate` at pseudo-random points, in a bounded loop, while it switches the
//! greeter between two versions; after every kill each manifest on disk must be the old or the
//! new complete file — never missing, empty or partial — and the next full run must leave no
//! temp file behind.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use kuberpc_codegen::{Config, Destination};

const RUNS: u64 = 60;
/// Kills land between these fractions of a full run (per mille): parsing and rendering come
/// first, the writes at the end, so most kills are aimed at the writes.
const KILL_WINDOW: (u64, u64) = (400, 1100);

/// A small deterministic generator (xorshift), so a failure can be replayed.
struct Xorshift(u64);

impl Xorshift {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound.max(1)
    }
}

/// The manifests each version generates, by path under the scratch directory.
fn expected(dir: &Path, proto_text: &str) -> BTreeMap<PathBuf, Vec<u8>> {
    fs::write(dir.join("greeter/v1/greeter.proto"), proto_text).unwrap();
    let mut config = Config::new();
    config.manifests_dir(dir.join("deploy"));
    let generated = config.generate(&[dir.join("greeter/v1/greeter.proto")], &[dir]).unwrap();
    generated
        .files(Destination::Manifests)
        .iter()
        .map(|f| (dir.join("deploy").join(&f.path), f.content.clone()))
        .collect()
}

/// Every run builds the overlays (no remembered builds), so each takes as long as the timed one.
fn run(dir: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_kuberpc"))
        .args(["generate", "greeter/v1/greeter.proto", "-I", ".", "--out", "deploy", "--rust-out", "stubs"])
        .env(kuberpc_codegen::CACHE_DIR_ENV, "")
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// Runs a generation to its end; panics with its output when it fails.
fn run_to_end(dir: &Path, context: &str) {
    let output = Command::new(env!("CARGO_BIN_EXE_kuberpc"))
        .args(["generate", "greeter/v1/greeter.proto", "-I", ".", "--out", "deploy", "--rust-out", "stubs"])
        .env(kuberpc_codegen::CACHE_DIR_ENV, "")
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(output.status.success(), "{context}: {}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn killed_runs_leave_old_or_new_complete_files() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    fs::create_dir_all(dir.join("greeter/v1")).unwrap();
    let old = fs::read_to_string(common::repo_root().join("examples/greeter/proto/greeter/v1/greeter.proto")).unwrap();
    let new = old.replace("greeter:1.4.2", "greeter:1.5.0").replace("value: \"Hello\"", "value: \"Hi\"");
    let versions = [expected(dir, &new), expected(dir, &old)];
    let texts = [new, old];

    // Start from the old version on disk; time one full run to spread the kills over it.
    run_to_end(dir, "first run");
    let start = Instant::now();
    fs::write(dir.join("greeter/v1/greeter.proto"), &texts[0]).unwrap();
    run_to_end(dir, "timed run");
    let full_run = start.elapsed();

    let mut random = Xorshift(0x9e37_79b9_7f4a_7c15);
    let (mut killed, mut completed) = (0, 0);
    for round in 0..RUNS {
        let text = &texts[(round % 2) as usize];
        fs::write(dir.join("greeter/v1/greeter.proto"), text).unwrap();
        let mut child = run(dir);
        let run_us = full_run.as_micros() as u64;
        let delay = run_us * KILL_WINDOW.0 / 1000 + random.below(run_us * (KILL_WINDOW.1 - KILL_WINDOW.0) / 1000);
        std::thread::sleep(Duration::from_micros(delay));
        let _ = child.kill();
        if child.wait().unwrap().success() {
            completed += 1;
        } else {
            killed += 1;
        }
        for (path, _) in versions[0].iter().filter(|(p, _)| p.to_string_lossy().contains("/base/")) {
            let on_disk =
                fs::read(path).unwrap_or_else(|e| panic!("round {round}: {} is missing: {e}", path.display()));
            let whole = versions.iter().any(|v| v.get(path) == Some(&on_disk));
            assert!(
                whole,
                "round {round}: {} is neither the old nor the new file ({} bytes)",
                path.display(),
                on_disk.len()
            );
        }
    }
    println!("{RUNS} runs over a {full_run:?} generation: {killed} killed, {completed} completed");
    assert!(killed > 0, "no run was killed: the test checked nothing");

    // A full run repairs everything and leaves no temp file of the killed runs behind.
    fs::write(dir.join("greeter/v1/greeter.proto"), &texts[1]).unwrap();
    run_to_end(dir, "repairing run");
    for (path, content) in &versions[1] {
        if path.to_string_lossy().contains("/base/") {
            assert_eq!(&fs::read(path).unwrap(), content, "{}", path.display());
        }
    }
    let temps: Vec<PathBuf> =
        common::tree(&dir.join("deploy")).into_keys().filter(|p| p.to_string_lossy().ends_with(".tmp")).collect();
    assert_eq!(temps, Vec::<PathBuf>::new());
}
