//! A retried call is one trace with a span per attempt under the call's span (gRPC's design,
//! gRFC A72), each attempt the parent of the span of the pod that served it: calls to two
//! pods, one answering UNAVAILABLE, reach a real OTLP receiver; a call that met the failing pod
//! first shows two attempts (`previous-rpc-attempts` 0 and 1, each on its pod), and its second
//! attempt's server span is the successful one.
//!
//! The only test in its binary: telemetry is process-global.

mod common;
#[path = "common/otlp.rs"]
mod otlp;

use std::collections::HashMap;
use std::time::Duration;

use common::{Reply, Unary};
use greeter::pb::HelloRequest;
use otlp::{check_attempt, collect, export_to, receiver};
use serde_json::Value;
use tonic::{Request, Status};

const CALLS: usize = 10;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_attempt_of_a_retried_call_is_a_span_under_the_call() {
    let (mut receiver, port, received) = receiver();
    export_to(port);
    let telemetry = kuberpc::telemetry::init().unwrap();
    let down = Unary(|_: Request<HelloRequest>| Box::pin(async { Err(Status::unavailable("down")) }) as Reply);
    let failing = common::serve("127.0.0.1:0", down, Duration::ZERO).await;
    let healthy = common::serve("127.0.0.1:0", Unary(|r| Box::pin(common::hello(r)) as Reply), Duration::ZERO).await;
    let mut client = otlp::client_with(vec![failing.addr, healthy.addr]).await;
    for i in 0..CALLS {
        let reply = client.say_hello(HelloRequest { name: format!("call {i}") }).await.unwrap();
        assert_eq!(reply.into_inner().message, format!("Hello call {i}!"));
    }
    telemetry.flush();
    // Every call: its span, an attempt and a server span per attempt (at least one each).
    let spans = collect(&received, 3 * CALLS);
    let spans = [spans, collect_more(&received)].concat();
    drop(receiver.stdin.take());
    let _ = receiver.wait();

    let by_id: HashMap<&str, &Value> = spans.iter().map(|s| (s["span_id"].as_str().unwrap(), s)).collect();
    let children = |parent: &Value| -> Vec<&Value> {
        let mut found: Vec<&Value> = spans.iter().filter(|s| s["parent_span_id"] == parent["span_id"]).collect();
        found.sort_by_key(|s| s["attributes"]["previous-rpc-attempts"].as_i64());
        found
    };
    let calls: Vec<&Value> = spans.iter().filter(|s| s["parent_span_id"] == "").collect();
    assert_eq!(calls.len(), CALLS, "one trace per call: {spans:#?}");
    let mut retried = 0;
    for call in calls {
        assert_eq!(call["name"], "greeter.v1.Greeter/SayHello");
        assert_eq!(call["attributes"]["rpc.grpc.status_code"], 0, "{call:#}");
        let attempts = children(call);
        assert!(!attempts.is_empty() && attempts.len() <= 2, "{attempts:#?}");
        for (previous, attempt) in attempts.iter().enumerate() {
            let pod = attempt["attributes"]["network.peer.port"].as_u64().unwrap() as u16;
            check_attempt(attempt, pod, previous as i64);
            let served = children(attempt);
            assert_eq!(served.len(), 1, "the pod's server span under its attempt: {served:#?}");
            assert_eq!(served[0]["kind"], "SPAN_KIND_SERVER");
            assert_eq!(served[0]["attributes"]["server.port"], pod);
            let code = if pod == failing.addr.port() { 14 } else { 0 };
            assert_eq!(served[0]["attributes"]["rpc.grpc.status_code"], code, "{:#}", served[0]);
        }
        if attempts.len() == 2 {
            retried += 1;
            assert_eq!(attempts[0]["attributes"]["network.peer.port"], failing.addr.port());
            assert_eq!(attempts[1]["attributes"]["network.peer.port"], healthy.addr.port());
        }
    }
    assert!(by_id.len() == spans.len(), "no span twice");
    assert!(retried > 0, "no call met the failing pod first in {CALLS} calls");
}

/// What else arrives within a second (the retried calls' extra spans).
fn collect_more(received: &std::sync::mpsc::Receiver<Value>) -> Vec<Value> {
    std::iter::from_fn(|| received.recv_timeout(Duration::from_secs(1)).ok()).take(1_000).collect()
}
