//! The foreign peers (grpc-go's `tools/grpc-peer`, @grpc/grpc-js's `tools/node-peer`,
//! grpc-java's `tools/java-peer`, Python grpcio's `service_config_peer.py`), each making two
//! SayHello calls configured by a service config, plaintext or mutual TLS. Included beside
//! `common` (`#[path] mod peers;`).

#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::time::Duration;

/// The repository's root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The example's generated service config.
pub fn example_config() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("deploy/greeter/base/service-config.json")
}

/// The service config kuberpc generates from the example's proto with SayHello's
/// `timeout_ms` set to `ms`, written into `dir`.
pub fn config_with_timeout(dir: &tempfile::TempDir, ms: u64) -> PathBuf {
    let example = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("proto");
    let source = std::fs::read_to_string(example.join("greeter/v1/greeter.proto")).unwrap();
    let changed = source.replace("timeout_ms: 500\n", &format!("timeout_ms: {ms}\n"));
    assert_ne!(source, changed, "SayHello's timeout_ms is no longer written as expected");
    let proto = dir.path().join("greeter/v1/greeter.proto");
    std::fs::create_dir_all(proto.parent().unwrap()).unwrap();
    std::fs::write(&proto, changed).unwrap();
    let generated = kuberpc_codegen::configure().stubs(false).generate(&[&proto], &[dir.path()]).unwrap();
    let file = generated
        .files(kuberpc_codegen::Destination::Manifests)
        .iter()
        .find(|f| f.path.ends_with("service-config.json"));
    let path = dir.path().join("service-config.json");
    std::fs::write(&path, &file.expect("a service config is generated").content).unwrap();
    path
}

/// How a peer's two calls ended: status code name and milliseconds, retried then slow.
#[derive(Debug)]
pub struct Seen {
    pub retried: (String, u64),
    pub slow: (String, u64),
}

/// Parses "retried OK after 3 ms; slow DEADLINE_EXCEEDED after 501 ms".
fn parse_seen(printed: &str) -> Option<Seen> {
    let mut calls = printed.trim().split("; ").map(|call| {
        let words: Vec<&str> = call.split(' ').collect();
        Some((words.get(1)?.to_string(), words.get(3)?.parse().ok()?))
    });
    Some(Seen { retried: calls.next()??, slow: calls.next()?? })
}

/// Runs one peer with `config` against 127.0.0.1:`port`, its calls named `retry-<language>`
/// and `slow-<language>`; with `tls`, over mutual TLS with the certificate in that directory,
/// checking the server's for `localhost`.
pub async fn run_peer(
    program: PathBuf,
    script: Option<PathBuf>,
    config: PathBuf,
    port: u16,
    language: &str,
    tls: Option<&Path>,
) -> Seen {
    assert!(program.is_file(), "{} is missing: run scripts/setup-test-tools", program.display());
    let mut command = std::process::Command::new(&program);
    command.args(script).arg(config).arg(format!("127.0.0.1:{port}"));
    command.arg(format!("retry-{language}")).arg(format!("slow-{language}"));
    if let Some(dir) = tls {
        command.env("PEER_TLS_DIR", dir).env("PEER_SERVER_NAME", "localhost");
    }
    // The peer waits on the server, which runs on this runtime: wait for the peer off it.
    let output = tokio::task::spawn_blocking(move || command.output());
    let output = tokio::time::timeout(Duration::from_secs(30), output).await.unwrap().unwrap().unwrap();
    let printed = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{language} peer: {printed}");
    parse_seen(&printed).unwrap_or_else(|| panic!("{language} peer printed {printed:?}"))
}
