//! A call chain traced over OTLP, for the tracing tests: the greeter chained through its own
//! client (the test's client → service A → A's client → service B, on 127.0.0.1), a real OTLP
//! receiver (`otlp_receiver.py`, built from the OpenTelemetry project's own protocol
//! definitions) printing each span it gets, and the checks of one call's spans. Included by
//! the tracing tests beside `common` (`#[path = "common/otlp.rs"] mod otlp;`).

#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use greeter::pb::greeter_client::GreeterClient;
use greeter::pb::{greeter_deploy, HelloRequest};
use kuberpc::client::{Client, PolicyChannel};
use serde_json::Value;
use tonic::{Request, Status};

use crate::common::{self, Reply, Unary};

/// Points the OTLP export at the receiver on `port`, with the resource `check_chain` expects
/// (process environment: call before `kuberpc::telemetry::init`).
pub fn export_to(port: u16) {
    std::env::set_var("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://127.0.0.1:{port}"));
    std::env::set_var("OTEL_SERVICE_NAME", "greeter-chain");
    std::env::set_var("OTEL_RESOURCE_ATTRIBUTES", "k8s.namespace.name=test,k8s.pod.name=greeter-0");
}

pub const HOST: &str = "greeter-headless.test.svc.cluster.local";

pub async fn client_of(addr: std::net::SocketAddr) -> GreeterClient<PolicyChannel> {
    client_with(vec![addr]).await
}

/// A greeter client over the pods at `addrs` (all on one port number's Service, by name).
pub async fn client_with(addrs: Vec<std::net::SocketAddr>) -> GreeterClient<PolicyChannel> {
    let port = addrs[0].port();
    let channel = Client::new(&greeter_deploy::DEPLOY)
        .target(HOST, port)
        .resolver(common::Fixed::new(addrs))
        .connect()
        .await
        .unwrap();
    GreeterClient::new(channel)
}

/// SayHello that calls `next` when given; at the end of the chain, "bad" is an invalid
/// argument (the caller's fault) and anything else is greeted.
pub fn chained(next: Option<GreeterClient<PolicyChannel>>) -> Unary<impl Fn(Request<HelloRequest>) -> Reply + Clone> {
    Unary(move |request: Request<HelloRequest>| {
        let next = next.clone();
        Box::pin(async move {
            match next {
                Some(mut next) => next.say_hello(request.into_inner()).await,
                None if request.get_ref().name == "bad" => Err(Status::invalid_argument("bad name")),
                None => common::hello(request).await,
            }
        }) as Reply
    })
}

/// Starts the receiver; returns it, its port and a channel of the spans it prints.
pub fn receiver() -> (std::process::Child, u16, mpsc::Receiver<Value>) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let python = dir.join("../../.venv/bin/python");
    assert!(python.is_file(), "{} is missing: run scripts/setup-test-tools", python.display());
    let mut child = Command::new(python)
        .arg(dir.join("tests/otlp_receiver.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().expect("the receiver printed nothing").unwrap();
    let port = first.strip_prefix("listening ").and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("{first}"));
    let (spans, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            let _ = spans.send(serde_json::from_str::<Value>(&line).unwrap());
        }
    });
    (child, port, received)
}

/// Collects `count` spans, waiting at most 20 s for them.
pub fn collect(received: &mpsc::Receiver<Value>, count: usize) -> Vec<Value> {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut spans = Vec::new();
    while spans.len() < count {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match received.recv_timeout(left) {
            Ok(span) => spans.push(span),
            Err(_) => panic!("{} of {count} spans arrived: {spans:#?}", spans.len()),
        }
    }
    spans
}

/// Spans per hop: the client's call span, its attempt's span (SayHello is hedged, so each
/// attempt has one, gRPC's design), the server's span.
pub const HOP: usize = 3;

/// The six spans of one call in call order: test client's call and attempt, A server, A
/// client's call and attempt, B server — each the parent of the next.
pub fn chain<'a>(trace: &[&'a Value]) -> Vec<&'a Value> {
    assert_eq!(trace.len(), 2 * HOP, "{trace:#?}");
    let root: Vec<_> = trace.iter().filter(|s| s["parent_span_id"] == "").collect();
    assert_eq!(root.len(), 1, "one root span: {trace:#?}");
    let mut chain = vec![*root[0]];
    while chain.len() < 2 * HOP {
        let parent = chain.last().unwrap()["span_id"].as_str().unwrap();
        let child = trace.iter().find(|s| s["parent_span_id"] == parent);
        chain.push(child.unwrap_or_else(|| panic!("nothing under {parent}: {trace:#?}")));
    }
    chain
}

pub fn check_chain(chain: &[&Value], [a_port, b_port]: [u16; 2], code: i64) {
    let kinds: Vec<&str> = chain.iter().map(|s| s["kind"].as_str().unwrap()).collect();
    let hop = ["SPAN_KIND_CLIENT", "SPAN_KIND_CLIENT", "SPAN_KIND_SERVER"];
    assert_eq!(kinds, [hop, hop].concat());
    let ports = [a_port, a_port, a_port, b_port, b_port, b_port];
    for (i, (span, port)) in chain.iter().zip(ports).enumerate() {
        let attributes = &span["attributes"];
        assert_eq!(span["scope"], "kuberpc");
        assert_eq!(attributes["rpc.system"], "grpc", "{span:#}");
        assert_eq!(attributes["rpc.service"], "greeter.v1.Greeter", "{span:#}");
        assert_eq!(attributes["rpc.method"], "SayHello", "{span:#}");
        assert_eq!(span["resource"]["service.name"], "greeter-chain");
        assert_eq!(span["resource"]["k8s.namespace.name"], "test");
        if i % HOP == 1 {
            check_attempt(span, port, 0);
            continue;
        }
        assert_eq!(span["name"], "greeter.v1.Greeter/SayHello", "{span:#}");
        assert_eq!(attributes["rpc.grpc.status_code"], code, "{span:#}");
        assert_eq!(attributes["server.port"], port, "{span:#}");
        let client = span["kind"] == "SPAN_KIND_CLIENT";
        if client {
            assert_eq!(attributes["server.address"], HOST, "{span:#}");
        } else {
            assert_eq!(attributes["network.peer.address"], "127.0.0.1", "{span:#}");
            assert!(attributes["network.peer.port"].as_u64().is_some_and(|p| p > 0), "{span:#}");
        }
        // INVALID_ARGUMENT is the caller's fault: an error for clients, not for servers.
        let status = if client && code != 0 { "STATUS_CODE_ERROR" } else { "STATUS_CODE_UNSET" };
        assert_eq!(span["status"], status, "{span:#}");
    }
}

/// An attempt's span: on the pod at `port`, after `previous` attempts of its call.
pub fn check_attempt(span: &Value, port: u16, previous: i64) {
    assert_eq!(span["name"], "Attempt.greeter.v1.Greeter.SayHello", "{span:#}");
    assert_eq!(span["kind"], "SPAN_KIND_CLIENT", "{span:#}");
    assert_eq!(span["attributes"]["network.peer.address"], "127.0.0.1", "{span:#}");
    assert_eq!(span["attributes"]["network.peer.port"], port, "{span:#}");
    assert_eq!(span["attributes"]["previous-rpc-attempts"], previous, "{span:#}");
}
