//! Sampling decided before anything is built, and kept whole across services: with
//! `OTEL_TRACES_SAMPLER=parentbased_traceidratio` and a ratio of 0.25, 200 call chains (the
//! test's client → service A → A's client → service B) reach a real OTLP receiver as about a
//! quarter of the traces, each of them complete — the client's root decision is the one every
//! hop follows (a dropped call carries "not sampled" on; a kept root span gets the trace id the
//! decision was made on, so the SDK's own sampler agrees: were it to decide again on another id,
//! only about 1/16 of the chains would arrive).
//!
//! The only test in its binary: telemetry is process-global.

mod common;
#[path = "common/otlp.rs"]
mod otlp;

use std::collections::HashMap;
use std::sync::mpsc;
use std::time::Duration;

use greeter::pb::HelloRequest;
use otlp::{chain, chained, check_chain, client_of, export_to, receiver, HOP};
use serde_json::Value;

const CALLS: usize = 200;

/// Every span the receiver prints until none has come for 3 s (at most 30 s in all).
fn collect_until_quiet(received: &mpsc::Receiver<Value>) -> Vec<Value> {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut spans = Vec::new();
    while std::time::Instant::now() < deadline {
        match received.recv_timeout(Duration::from_secs(3)) {
            Ok(span) => spans.push(span),
            Err(_) => break,
        }
    }
    spans
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ratio_keeps_whole_traces_and_drops_the_rest_everywhere() {
    let (mut receiver, port, received) = receiver();
    export_to(port);
    std::env::set_var("OTEL_TRACES_SAMPLER", "parentbased_traceidratio");
    std::env::set_var("OTEL_TRACES_SAMPLER_ARG", "0.25");
    std::env::set_var("OTEL_BSP_MAX_QUEUE_SIZE", "4096");
    let telemetry = kuberpc::telemetry::init().unwrap();
    assert!(telemetry.is_exporting());

    let b = common::serve("127.0.0.1:0", chained(None), Duration::ZERO).await;
    let a = common::serve("127.0.0.1:0", chained(Some(client_of(b.addr).await)), Duration::ZERO).await;
    let mut client = client_of(a.addr).await;
    for i in 0..CALLS {
        let reply = client.say_hello(HelloRequest { name: format!("call {i}") }).await.unwrap();
        assert_eq!(reply.into_inner().message, format!("Hello call {i}!"));
    }
    telemetry.flush();
    let spans = collect_until_quiet(&received);
    drop(receiver.stdin.take());
    let _ = receiver.wait();

    let mut traces: HashMap<&str, Vec<&Value>> = HashMap::new();
    for span in &spans {
        traces.entry(span["trace_id"].as_str().unwrap()).or_default().push(span);
    }
    // 200 chains at 0.25: 50 expected, 6.1 the standard deviation; 1/16 would be 12.5.
    assert!((20..=85).contains(&traces.len()), "{} traces of {CALLS} calls", traces.len());
    for trace in traces.values() {
        // Four spans, each the parent of the next: no hop decided otherwise.
        check_chain(&chain(trace), [a.addr.port(), b.addr.port()], 0);
    }
    assert_eq!(spans.len(), 2 * HOP * traces.len(), "nothing of a dropped call was exported");
}
