//! The server's RPC metrics, read by the Prometheus project's own parser (Python
//! `prometheus_client`, OpenMetrics): after a known mix of calls on 127.0.0.1 — unary calls
//! that succeed and that fail with UNAVAILABLE, and server-streaming calls — the call counts per
//! method and status code are exactly those calls, every histogram is consistent, and nothing is
//! left in flight; the messages of each call are counted; the process metrics are there; and
//! with the process's global metrics, the client's calls show beside the server's.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::Ordering;
use std::time::Duration;

use greeter::pb::greeter_client::GreeterClient;
use greeter::pb::greeter_deploy;
use greeter::pb::greeter_server::GreeterServer;
use greeter::pb::{HelloRequest, HelloStreamRequest};
use tokio::net::TcpListener;
use tokio_stream::StreamExt;

/// The reader's JSON: `{"counts": {"SayHello 0": 7, …}, "active": 0.0}`.
fn read_metrics(url: String) -> serde_json::Value {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/metrics_reader.py");
    let python = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    assert!(python.is_file(), "{} is missing: run scripts/setup-test-tools", python.display());
    let output = Command::new(python).arg(script).arg(url).output().unwrap();
    let printed = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "the Prometheus parser refused the page: {printed}");
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {printed}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_counts_per_method_and_status_reach_prometheus() {
    let switchable = common::switchable();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let metrics_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (addr, metrics_addr) = (listener.local_addr().unwrap(), metrics_listener.local_addr().unwrap());
    let server = kuberpc::Server::new(&greeter_deploy::DEPLOY)
        .add_service(GreeterServer::new(switchable.handler))
        .file_descriptor_set(greeter::FILE_DESCRIPTOR_SET)
        .metrics(kuberpc::metrics::RpcMetrics::new(), Some(metrics_listener));
    tokio::spawn(server.serve_with_listener(listener, std::future::pending()));

    tokio::time::timeout(Duration::from_secs(30), async {
        // A plain tonic channel: one attempt per call, so the server sees exactly these.
        let channel =
            tonic::transport::Endpoint::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
        let mut client = GreeterClient::new(channel);
        let hello = || HelloRequest { name: "metrics".into() };
        for _ in 0..7 {
            client.say_hello(hello()).await.unwrap();
        }
        switchable.down.store(true, Ordering::SeqCst);
        for _ in 0..3 {
            assert_eq!(client.say_hello(hello()).await.unwrap_err().code(), tonic::Code::Unavailable);
        }
        for _ in 0..2 {
            let mut stream =
                client.say_hello_stream(HelloStreamRequest { name: "s".into(), count: 3 }).await.unwrap().into_inner();
            let mut messages = 0;
            while let Some(reply) = stream.next().await {
                reply.unwrap();
                messages += 1;
            }
            assert_eq!(messages, 3);
        }
    })
    .await
    .unwrap();

    let url = format!("http://{metrics_addr}/metrics");
    let page = tokio::task::spawn_blocking(move || read_metrics(url)).await.unwrap();
    println!("{page}");
    let server = &page["server"];
    let count = |key: &str| server["counts"][key].as_u64().unwrap_or(0);
    assert_eq!(count("SayHello 0"), 7, "{page}");
    assert_eq!(count("SayHello 14"), 3, "{page}");
    assert_eq!(count("SayHelloStream 0"), 2, "{page}");
    let total: u64 = server["counts"].as_object().unwrap().values().filter_map(|v| v.as_u64()).sum();
    assert_eq!(total, 12, "no other call was counted: {page}");
    assert_eq!(server["active"].as_f64(), Some(0.0), "nothing in flight: {page}");
    // [calls, messages]: one request each; SayHello answers once (or not at all when it
    // fails), each stream three times.
    assert_eq!(server["requests"]["SayHello"], serde_json::json!([10, 10]), "{page}");
    assert_eq!(server["responses"]["SayHello"], serde_json::json!([10, 7]), "{page}");
    assert_eq!(server["responses"]["SayHelloStream"], serde_json::json!([2, 6]), "{page}");
    let process = &page["process"];
    for name in
        ["process_cpu_seconds", "process_resident_memory_bytes", "process_open_fds", "process_start_time_seconds"]
    {
        assert!(process[name].as_f64().is_some_and(|v| v > 0.0), "{name}: {page}");
    }
}

/// The process's global metrics carry both ends: what the server handled and what
/// `kuberpc::client::Client` called, with the messages of each stream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_and_server_calls_share_the_process_page() {
    let metrics = kuberpc::metrics::RpcMetrics::global().clone();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let metrics_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (addr, metrics_addr) = (listener.local_addr().unwrap(), metrics_listener.local_addr().unwrap());
    let server = kuberpc::Server::new(&greeter_deploy::DEPLOY)
        .add_service(GreeterServer::new(greeter::GreeterService::new("Hello")))
        .file_descriptor_set(greeter::FILE_DESCRIPTOR_SET)
        .metrics(metrics, Some(metrics_listener));
    tokio::spawn(server.serve_with_listener(listener, std::future::pending()));

    tokio::time::timeout(Duration::from_secs(30), async {
        let channel = kuberpc::client::Client::new(&greeter_deploy::DEPLOY)
            .target_parsed(format!("{addr}").parse().unwrap())
            .connect()
            .await
            .unwrap();
        let mut client = GreeterClient::new(channel);
        for _ in 0..5 {
            client.say_hello(HelloRequest { name: "both".into() }).await.unwrap();
        }
        let request = HelloStreamRequest { name: "s".into(), count: 3 };
        let replies: Vec<_> = client.say_hello_stream(request).await.unwrap().into_inner().collect().await;
        assert_eq!(replies.len(), 3);
        let names = tokio_stream::iter(["a", "b", "c", "d"].map(|name| HelloRequest { name: name.into() }));
        let replies: Vec<_> = client.say_hello_chat(names).await.unwrap().into_inner().collect().await;
        assert_eq!(replies.len(), 4);
    })
    .await
    .unwrap();

    let url = format!("http://{metrics_addr}/metrics");
    let page = tokio::task::spawn_blocking(move || read_metrics(url)).await.unwrap();
    for end in ["server", "client"] {
        let counts = &page[end]["counts"];
        let expected = serde_json::json!({ "SayHello 0": 5, "SayHelloStream 0": 1, "SayHelloChat 0": 1 });
        assert_eq!(counts, &expected, "{end}: {page}");
        assert_eq!(page[end]["requests"]["SayHelloChat"], serde_json::json!([1, 4]), "{end}: {page}");
        assert_eq!(page[end]["responses"]["SayHelloChat"], serde_json::json!([1, 4]), "{end}: {page}");
        assert_eq!(page[end]["responses"]["SayHelloStream"], serde_json::json!([1, 3]), "{end}: {page}");
        assert_eq!(page[end]["active"].as_f64(), Some(0.0), "{end}: {page}");
    }
}
