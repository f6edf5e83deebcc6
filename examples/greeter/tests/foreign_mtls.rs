//! Foreign clients of a mutual-TLS service, with the certificates cert-manager's Secret holds
//! (127.0.0.1 only, bounded): grpc-go (`tools/grpc-peer`, `credentials.NewTLS`), Node's
//! @grpc/grpc-js (`tools/node-peer`, `credentials.createSsl`), grpc-java (`tools/java-peer`,
//! `TlsChannelCredentials`) and Python grpcio (`grpc.ssl_channel_credentials`) present the
//! caller's certificate and check the server's against `ca.crt`. A declared caller's calls
//! succeed; the same clients with an undeclared service's certificate get PERMISSION_DENIED,
//! and with another CA's certificate never reach the service (UNAVAILABLE).

mod common;
#[path = "common/mtls.rs"]
mod mtls;
#[path = "common/peers.rs"]
mod peers;

use std::path::PathBuf;

use kuberpc::metrics::RpcMetrics;
use mtls::{serve, Ca};
use peers::{config_with_timeout, example_config, repo, run_peer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn go_node_java_and_python_clients_call_a_mutual_tls_service_with_its_certificates() {
    let (ca, other, dirs) = (Ca::new("test CA"), Ca::new("another CA"), tempfile::tempdir().unwrap());
    let dir = |name: &str| dirs.path().join(name);
    ca.issue(&dir("greeter"), "greeter");
    ca.issue(&dir("front"), "front");
    ca.issue(&dir("stranger"), "stranger");
    other.issue_trusting(&dir("impostor"), "front", &ca);
    let served = serve(&dir("greeter"), RpcMetrics::new()).await;
    let port = served.addr.port();
    let bin = repo().join(".venv/bin");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/service_config_peer.py");
    // grpcio ends service-config deadlines about a second early (grpc/grpc#34547): Python gets
    // the config with SayHello's timeout_ms at 4000.
    let peers = [
        ("go", bin.join("grpc-peer"), None, example_config()),
        ("node", bin.join("node-peer"), None, example_config()),
        ("java", bin.join("java-peer"), None, example_config()),
        ("python", bin.join("python"), Some(script), config_with_timeout(&dirs, 4_000)),
    ];

    for (language, program, script, config) in peers {
        let run = |who: &str| {
            let (program, script, config) = (program.clone(), script.clone(), config.clone());
            let (language, tls) = (format!("{language}-{who}"), dir(who));
            async move { run_peer(program, script, config, port, &language, Some(&tls)).await }
        };
        // "retry-<language>" and "slow-<language>" are plain names to this greeter.
        let declared = run("front").await;
        println!("{language} as front: {declared:?}");
        assert_eq!((declared.retried.0.as_str(), declared.slow.0.as_str()), ("OK", "OK"), "{language}");
        let undeclared = run("stranger").await;
        println!("{language} as stranger: {undeclared:?}");
        assert_eq!(undeclared.retried.0, "PERMISSION_DENIED", "{language}");
        let impostor = run("impostor").await;
        println!("{language} with another CA's certificate: {impostor:?}");
        assert_eq!(impostor.retried.0, "UNAVAILABLE", "{language}");
    }
}
