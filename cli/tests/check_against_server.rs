//! `kuberpc check --against grpc://host:port` against a running server: the greeter (its
//! real server, reflection on, 127.0.0.1) is the old version; greeter.proto changed so that
//! SayHello's request type changes is refused against it, located, exit 1; the proto as it
//! is passes; no server there is a clear error, exit 2.

mod common;

use std::fs;

use common::{kuberpc, repo_root, unwrapped};
use greeter::pb::greeter_deploy;
use greeter::pb::greeter_server::GreeterServer;
use greeter::GreeterService;

/// Serves the greeter on 127.0.0.1 from a runtime of its own; returns its address.
fn serve() -> (std::net::SocketAddr, tokio::runtime::Runtime) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let address = listener.local_addr().unwrap();
    let server = kuberpc::Server::new(&greeter_deploy::DEPLOY)
        .add_service(GreeterServer::new(GreeterService::new("Hello")))
        .file_descriptor_set(greeter::FILE_DESCRIPTOR_SET);
    runtime.spawn(server.serve_with_listener(listener, std::future::pending::<()>()));
    (address, runtime)
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_changed_request_type_is_refused_against_the_running_old_server() {
    let (address, _runtime) = serve();
    let reference = format!("grpc://{address}");
    let proto_dir = repo_root().join("examples/greeter/proto");
    let original = fs::read_to_string(proto_dir.join("greeter/v1/greeter.proto")).unwrap();
    let work = tempfile::tempdir().unwrap();
    let write = |text: &str| {
        fs::create_dir_all(work.path().join("greeter/v1")).unwrap();
        fs::write(work.path().join("greeter/v1/greeter.proto"), text).unwrap();
    };
    let check = || kuberpc(&["check", "greeter/v1/greeter.proto", "--against", &reference], work.path());

    write(&original);
    let output = check();
    assert_eq!(output.status.code(), Some(0), "the proto the server was built from: {}", stderr(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains(&format!("no breaking change against {reference}")));

    let changed = original.replacen("rpc SayHello(HelloRequest)", "rpc SayHello(HelloStreamRequest)", 1);
    assert_ne!(changed, original, "greeter.proto declares SayHello(HelloRequest)");
    write(&changed);
    let output = check();
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stderr(&output);
    let flat = unwrapped(&text);
    assert!(
        flat.contains(r#"RPC_SAME_REQUEST_TYPE: RPC "SayHello" on service "Greeter" changed request type from "greeter.v1.HelloRequest" to "greeter.v1.HelloStreamRequest"."#),
        "{text}"
    );
    let line = original.lines().position(|l| l.contains("rpc SayHello(")).unwrap() + 1;
    assert!(text.contains(&format!("greeter/v1/greeter.proto:{line}:")), "at the rpc's line {line}: {text}");
}

#[test]
fn no_server_is_a_clear_error() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let work = tempfile::tempdir().unwrap();
    fs::create_dir_all(work.path().join("a")).unwrap();
    fs::write(work.path().join("a/a.proto"), "syntax = \"proto3\";\npackage a;\n").unwrap();
    let output = kuberpc(&["check", "a/a.proto", "--against", &format!("grpc://127.0.0.1:{port}")], work.path());
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("cannot connect"), "{}", stderr(&output));
}
