//! Python's protobuf (`google.protobuf.json_format`, from the repository's .venv) on the same
//! protos, through tests/json_format.py: a second implementation of the proto3 JSON mapping.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use serde_json::Value;
use tokio::io::AsyncWriteExt;

use super::{bounded, TIMEOUT};

fn python() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    assert!(path.is_file(), "{} is missing: run scripts/setup-test-tools", path.display());
    path
}

/// Runs json_format.py with `args` and `stdin`: its output, failing the test if it fails.
async fn run(args: &[&str], stdin: String) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/json_format.py");
    let mut child = tokio::process::Command::new(python())
        .arg(script)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    // Written while the output is read: neither pipe fills while the other waits.
    let mut input = child.stdin.take().unwrap();
    let writer = tokio::spawn(async move { input.write_all(stdin.as_bytes()).await });
    let output = bounded(child.wait_with_output()).await.unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "json_format.py {args:?} failed ({TIMEOUT:?} bound): {stderr}");
    bounded(writer).await.unwrap().unwrap();
    String::from_utf8(output.stdout).unwrap()
}

fn lines(output: &str) -> Vec<Value> {
    output.lines().map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"))).collect()
}

/// `MessageToJson(always_print_fields_with_no_presence=True)` of each (type, encoded message).
pub async fn to_json(messages: &[(&str, Vec<u8>)]) -> Vec<Value> {
    let input: String = messages.iter().map(|(name, bytes)| format!("{name} {}\n", hex(bytes))).collect();
    let json = lines(&run(&["to-json"], input).await);
    assert_eq!(json.len(), messages.len());
    json
}

/// Each (type, JSON text) parsed by `json_format.Parse` and written again as [`to_json`] does.
pub async fn reparse(messages: &[(&str, &str)]) -> Vec<Value> {
    let input: String = messages.iter().map(|(name, text)| format!("{name} {}\n", text.replace('\n', " "))).collect();
    let json = lines(&run(&["reparse"], input).await);
    assert_eq!(json.len(), messages.len());
    json
}

/// Each (type, JSON text) parsed by `json_format.Parse`: the hex of its encoding (map entries
/// sorted, as [`Sample::hex`]), or json_format's error.
pub async fn to_binary(messages: &[(&str, &str)]) -> Vec<Result<String, Value>> {
    let input: String = messages.iter().map(|(name, text)| format!("{name} {}\n", text.replace('\n', " "))).collect();
    let parsed = lines(&run(&["to-binary"], input).await);
    assert_eq!(parsed.len(), messages.len());
    parsed.into_iter().map(|line| line.as_str().map(str::to_string).ok_or(line)).collect()
}

/// One `wkt.v1.Everything` that Python built: its encoding and its JSON, with fields without
/// presence at their defaults (`json`) and without (`sparse`).
#[derive(Debug, serde::Deserialize)]
pub struct Sample {
    pub name: String,
    pub hex: String,
    pub json: String,
    pub sparse: String,
}

/// The samples of tests/everything.py: `""` (its `samples()`), `"known"` (those kuberpc is
/// known to differ on) or `"spelled"` (numbers kuberpc writes in other digits).
pub async fn samples(group: &str) -> Vec<Sample> {
    serde_json::from_str(&run(&["samples", group], String::new()).await).unwrap()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unhex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
}
