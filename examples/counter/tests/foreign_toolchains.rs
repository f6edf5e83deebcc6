//! The emitted proto tree (`proto/`, with the vocabulary written beside the service's file)
//! is usable from other languages as it is: Python's grpcio-tools (a real `protoc`) compiles
//! it with no other include path and a Python client calls the trait-generated server over
//! 127.0.0.1; `buf lint` passes its default (STANDARD) rules except the four that judge the
//! names the user gave the trait and its types, which the emitted proto must keep. Tools come
//! from `scripts/setup-test-tools` (into `.venv`).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn tool(name: &str) -> PathBuf {
    let path = repo_root().join(".venv/bin").join(name);
    assert!(
        path.is_file(),
        "{} is missing: run scripts/setup-test-tools (the README's test command does)",
        path.display()
    );
    path
}

fn printed(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// A copy of the committed emitted tree, which the build script keeps current.
fn emitted_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let proto = Path::new(env!("CARGO_MANIFEST_DIR")).join("proto");
    for file in ["counter/v1/counter.proto", "kuberpc/v1/options.proto"] {
        let target = dir.path().join("proto").join(file);
        fs::create_dir_all(target.parent().unwrap()).unwrap();
        fs::copy(proto.join(file), target).unwrap();
    }
    dir
}

fn python_stubs(tree: &Path) -> PathBuf {
    let out = tree.join("python");
    fs::create_dir_all(&out).unwrap();
    let output = Command::new(tool("python"))
        .args(["-m", "grpc_tools.protoc", "-I", "proto", "--python_out=python", "--grpc_python_out=python"])
        .args(["counter/v1/counter.proto", "kuberpc/v1/options.proto"].map(|f| format!("proto/{f}")))
        .current_dir(tree)
        .output()
        .unwrap();
    assert!(output.status.success(), "grpcio-tools' protoc refused the emitted tree:\n{}", printed(&output));
    out
}

#[test]
fn grpcio_tools_compiles_the_emitted_tree_and_a_python_client_calls_the_trait_server() {
    let tree = emitted_tree();
    let stubs = python_stubs(tree.path());

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    runtime.spawn(counter::server().drain(Duration::ZERO).serve_with_listener(listener, async {
        let _ = stopped.await;
    }));

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python_client.py");
    let output = Command::new(tool("python")).arg(script).arg(&stubs).arg(port.to_string()).output().unwrap();
    assert!(output.status.success(), "{}", printed(&output));
    assert!(printed(&output).contains("Add, Get, Watch, Upload ok"), "{}", printed(&output));
    drop(stop);
}

/// buf's STANDARD rules minus the four about names the user chose (see `BUF_YAML`).
fn buf_lint(tree: &Path) -> Output {
    fs::write(tree.join("proto/buf.yaml"), BUF_YAML).unwrap();
    Command::new(tool("buf")).arg("lint").current_dir(tree.join("proto")).output().unwrap()
}

/// SERVICE_SUFFIX wants `CounterService`, RPC_REQUEST_STANDARD_NAME / RPC_RESPONSE_STANDARD_NAME
/// want `GetRequest`/`GetResponse` per RPC, RPC_REQUEST_RESPONSE_UNIQUE wants no message used
/// by two RPCs. All four judge the trait's and the Rust types' own names, which the emitted
/// proto must keep (they are the wire names the Rust server answers to); kuberpc cannot
/// satisfy them for a user whose types are named otherwise. Everything else is kuberpc's.
const BUF_YAML: &str = "version: v2
lint:
  use:
    - STANDARD
  except:
    - SERVICE_SUFFIX
    - RPC_REQUEST_STANDARD_NAME
    - RPC_RESPONSE_STANDARD_NAME
    - RPC_REQUEST_RESPONSE_UNIQUE
";

#[test]
fn buf_lint_passes_on_the_emitted_tree() {
    let tree = emitted_tree();
    let output = buf_lint(tree.path());
    assert!(output.status.success(), "buf lint found:\n{}", printed(&output));

    // The same lint catches what kuberpc must never emit: a camelCase field.
    let file = tree.path().join("proto/counter/v1/counter.proto");
    fs::write(&file, fs::read_to_string(&file).unwrap().replace("int64 delta = 2;", "int64 deltaValue = 2;")).unwrap();
    let output = buf_lint(tree.path());
    assert!(!output.status.success() && printed(&output).contains("deltaValue"), "{}", printed(&output));
}
