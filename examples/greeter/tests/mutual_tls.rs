//! Mutual TLS between real clients and a real server on 127.0.0.1, with certificates of a test
//! CA laid out as cert-manager's Secret is (`tls.crt`, `tls.key`, `ca.crt`): a declared caller
//! is served the methods it declares and refused the others, an undeclared one with a valid
//! certificate is refused, a plaintext client and one certified by another CA fail the
//! handshake, the plaintext health port answers the probes' question, and certificates rotated
//! under load fail no call while new connections get the new ones.

mod common;
#[path = "common/mtls.rs"]
mod mtls;

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::Fixed;
use greeter::pb::greeter_client::GreeterClient;
use greeter::pb::{greeter_deploy, HelloRequest, HelloStreamRequest};
use kuberpc::client::Client;
use kuberpc::metrics::RpcMetrics;
use mtls::{client, serve, serve_with, Ca};
use tonic::Code;

/// The count of `caller`'s `decision`s on the metrics page (a hedged call may count twice).
fn decisions(metrics: &RpcMetrics, caller: &str, decision: &str) -> u64 {
    let series = format!(r#"kuberpc_server_authorization_decisions_total{{caller="{caller}",decision="{decision}"}} "#);
    let page = metrics.encode();
    let line = page.lines().find_map(|line| line.strip_prefix(series.as_str()));
    line.unwrap_or_else(|| panic!("no {series}in\n{page}")).parse().unwrap()
}

fn hello() -> HelloRequest {
    HelloRequest { name: "mtls".to_string() }
}

#[tokio::test]
async fn a_declared_caller_is_served_its_methods_and_refused_the_others() {
    let (ca, dirs) = (Ca::new("test CA"), tempfile::tempdir().unwrap());
    ca.issue(&dirs.path().join("greeter"), "greeter");
    ca.issue(&dirs.path().join("front"), "front");
    let metrics = RpcMetrics::new();
    let served = serve(&dirs.path().join("greeter"), metrics.clone()).await;
    let mut front = client(served.addr, &dirs.path().join("front")).await;

    let reply = front.say_hello(hello()).await.unwrap().into_inner();
    assert_eq!(reply.message, "Hello mtls!");
    let refused = front.say_hello_stream(HelloStreamRequest::default()).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    assert!(refused.message().contains("/greeter.v1.Greeter/SayHelloStream"), "{}", refused.message());
    assert!(refused.message().contains("spiffe://cluster.local/ns/default/sa/front"), "{}", refused.message());

    assert!(decisions(&metrics, "front", "allowed") >= 1);
    assert!(decisions(&metrics, "front", "denied") >= 1);
}

#[tokio::test]
async fn a_valid_certificate_of_an_undeclared_caller_is_refused() {
    let (ca, dirs) = (Ca::new("test CA"), tempfile::tempdir().unwrap());
    ca.issue(&dirs.path().join("greeter"), "greeter");
    ca.issue(&dirs.path().join("stranger"), "stranger");
    let metrics = RpcMetrics::new();
    let served = serve(&dirs.path().join("greeter"), metrics.clone()).await;
    let mut stranger = client(served.addr, &dirs.path().join("stranger")).await;

    let refused = stranger.say_hello(hello()).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied, "{refused:?}");
    assert!(refused.message().contains("/greeter.v1.Greeter/SayHello"), "{}", refused.message());
    assert!(refused.message().contains("not a declared caller"), "{}", refused.message());
    assert!(!refused.message().contains("PRIVATE KEY"), "{}", refused.message());
    assert!(decisions(&metrics, "_UNDECLARED", "denied") >= 1);
    assert_eq!(decisions(&metrics, "_UNDECLARED", "allowed"), 0);
}

#[tokio::test]
async fn plaintext_and_another_cas_certificate_fail_the_handshake() {
    let (ca, other, dirs) = (Ca::new("test CA"), Ca::new("another CA"), tempfile::tempdir().unwrap());
    ca.issue(&dirs.path().join("greeter"), "greeter");
    other.issue_trusting(&dirs.path().join("impostor"), "front", &ca);
    let served = serve(&dirs.path().join("greeter"), RpcMetrics::new()).await;

    // The impostor trusts the greeter's CA, so it accepts the greeter: the refusal is the
    // greeter's, in the handshake, and the client sees its connection closed — UNKNOWN
    // "transport error" once the request was written, UNAVAILABLE before.
    let mut impostor = client(served.addr, &dirs.path().join("impostor")).await;
    let failed = impostor.say_hello(hello()).await.unwrap_err();
    assert!(matches!(failed.code(), Code::Unavailable | Code::Unknown), "{failed:?}");
    assert!(failed.code() == Code::Unavailable || failed.message().contains("transport error"), "{failed:?}");

    // The greeter without mutual TLS: a plaintext HTTP/2 client.
    let plaintext = Client::new(&greeter_deploy::DEPLOY)
        .target("localhost", served.addr.port())
        .resolver(Fixed::new(vec![served.addr]))
        .connect()
        .await
        .unwrap();
    // The server reads the HTTP/2 preface as a broken TLS hello and closes the connection:
    // tonic reports the broken pipe as UNKNOWN "transport error", a refused one as UNAVAILABLE.
    let failed = GreeterClient::new(plaintext).say_hello(hello()).await.unwrap_err();
    assert!(matches!(failed.code(), Code::Unavailable | Code::Unknown), "{failed:?}");
    assert!(failed.message().contains("transport error") || failed.code() == Code::Unavailable, "{failed:?}");
}

#[tokio::test]
async fn the_health_port_answers_the_probes_in_plaintext() {
    let (ca, dirs) = (Ca::new("test CA"), tempfile::tempdir().unwrap());
    ca.issue(&dirs.path().join("greeter"), "greeter");
    let served = serve(&dirs.path().join("greeter"), RpcMetrics::new()).await;
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", served.health)).unwrap();
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel.connect().await.unwrap());
    for service in ["", "greeter.v1.Greeter"] {
        let request = tonic_health::pb::HealthCheckRequest { service: service.to_string() };
        let status = health.check(request).await.unwrap().into_inner().status;
        assert_eq!(status, tonic_health::pb::health_check_response::ServingStatus::Serving as i32);
    }
    // Only health: the greeter itself is not served there.
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", served.health)).unwrap();
    let unserved = GreeterClient::new(channel.connect().await.unwrap()).say_hello(hello()).await.unwrap_err();
    assert_eq!(unserved.code(), Code::Unimplemented, "{unserved:?}");
}

#[tokio::test]
async fn a_client_refuses_a_pod_of_another_name_identity_or_ca() {
    let (ca, other, dirs) = (Ca::new("test CA"), Ca::new("another CA"), tempfile::tempdir().unwrap());
    ca.issue(&dirs.path().join("front"), "front");
    let cases = [
        ("another name", ca.issue_for(&dirs.path().join("named"), "greeter", "elsewhere.example"), "named"),
        ("another identity", ca.issue(&dirs.path().join("impostor"), "impostor"), "impostor"),
        ("another CA", other.issue_trusting(&dirs.path().join("foreign"), "greeter", &ca), "foreign"),
    ];
    for (case, _, dir) in cases {
        let served = serve(&dirs.path().join(dir), RpcMetrics::new()).await;
        let mut front = client(served.addr, &dirs.path().join("front")).await;
        let refused = front.say_hello(hello()).await.unwrap_err();
        // No connection: UNAVAILABLE, or the deadline when connecting was retried past it.
        assert!(matches!(refused.code(), Code::Unavailable | Code::DeadlineExceeded), "{case}: {refused:?}");
    }
}

#[tokio::test]
async fn tls_handshakes_wait_for_a_turn() {
    let (ca, dirs) = (Ca::new("test CA"), tempfile::tempdir().unwrap());
    ca.issue(&dirs.path().join("greeter"), "greeter");
    ca.issue(&dirs.path().join("front"), "front");
    let configure = |server: kuberpc::Server| server.max_tls_handshakes(1).handshake_timeout(Duration::from_secs(2));
    let served = serve_with(&dirs.path().join("greeter"), RpcMetrics::new(), configure).await;
    // A peer that connects and never says hello holds the one turn until its deadline.
    let silent = tokio::net::TcpStream::connect(served.addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut front = client(served.addr, &dirs.path().join("front")).await;
    let waited = front.say_hello(hello()).await.unwrap_err();
    assert_eq!(waited.code(), Code::DeadlineExceeded, "{waited:?}");
    // Its deadline passed: the turn is free, and the next handshake is served.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let reply = client(served.addr, &dirs.path().join("front")).await.say_hello(patient_hello()).await;
    assert!(reply.is_ok(), "{reply:?}");
    drop(silent);
}

/// A SayHello with a 10 s deadline: a rotation must fail no call, and SayHello's own 500 ms
/// were passed on a loaded machine by calls that had merely waited for a thread.
fn patient_hello() -> tonic::Request<HelloRequest> {
    let mut request = tonic::Request::new(hello());
    request.set_timeout(Duration::from_secs(10));
    request
}

/// The server's certificate on a new TLS connection to `addr`, made with the certificate in `dir`.
async fn presented_certificate(addr: std::net::SocketAddr, dir: &Path) -> Vec<u8> {
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(&read("ca.crt")).unwrap()).unwrap();
    let chain = vec![CertificateDer::from_pem_slice(&read("tls.crt")).unwrap()];
    let key = PrivateKeyDer::from_pem_slice(&read("tls.key")).unwrap();
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .unwrap();
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await.unwrap();
    tls.get_ref().1.peer_certificates().unwrap()[0].to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificates_rotated_under_load_fail_no_call() {
    let (ca, dirs) = (Ca::new("test CA"), tempfile::tempdir().unwrap());
    let (greeter_dir, front_dir) = (dirs.path().join("greeter"), dirs.path().join("front"));
    ca.issue(&greeter_dir, "greeter");
    ca.issue(&front_dir, "front");
    let served = serve(&greeter_dir, RpcMetrics::new()).await;
    let front = client(served.addr, &front_dir).await;

    let (calls, failures, done) =
        (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
    // Handshakes while the files change: a new client every 20 ms, one call each.
    let fresh_failures = Arc::new(AtomicUsize::new(0));
    let fresh = {
        let (failures, done, addr, dir) = (fresh_failures.clone(), done.clone(), served.addr, front_dir.clone());
        tokio::spawn(async move {
            let mut handshakes = 0;
            while !done.load(Ordering::SeqCst) {
                if let Err(error) = client(addr, &dir).await.say_hello(patient_hello()).await {
                    eprintln!("a new connection failed: {error:?}");
                    failures.fetch_add(1, Ordering::SeqCst);
                }
                handshakes += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            handshakes
        })
    };
    let load: Vec<_> = (0..4)
        .map(|_| {
            let (mut front, calls, failures, done) = (front.clone(), calls.clone(), failures.clone(), done.clone());
            tokio::spawn(async move {
                while !done.load(Ordering::SeqCst) {
                    if let Err(error) = front.say_hello(patient_hello()).await {
                        eprintln!("a call failed: {error:?}");
                        failures.fetch_add(1, Ordering::SeqCst);
                    }
                    calls.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();

    for rotation in 0..3 {
        let issued = ca.issue(&greeter_dir, "greeter");
        ca.issue(&front_dir, "front");
        // Past the store's next look: new connections present the new certificate.
        tokio::time::sleep(kuberpc::tls::RECHECK + Duration::from_millis(300)).await;
        assert_eq!(presented_certificate(served.addr, &front_dir).await, issued, "rotation {rotation}");
        // A new client handshakes with the renewed certificates on both sides.
        let mut fresh = client(served.addr, &front_dir).await;
        fresh.say_hello(hello()).await.unwrap_or_else(|e| panic!("rotation {rotation}: {e:?}"));
    }
    done.store(true, Ordering::SeqCst);
    for task in load {
        task.await.unwrap();
    }
    let handshakes = fresh.await.unwrap();
    let (calls, failures) = (calls.load(Ordering::SeqCst), failures.load(Ordering::SeqCst));
    let fresh_failures = fresh_failures.load(Ordering::SeqCst);
    println!(
        "calls={calls} failed={failures}, new connections={handshakes} failed={fresh_failures}, across 3 rotations"
    );
    assert!(calls > 100 && handshakes > 20, "calls={calls} handshakes={handshakes}");
    assert_eq!((failures, fresh_failures), (0, 0), "calls={calls} handshakes={handshakes}");
}
