//! Spans exported over OTLP reach a real receiver (`otlp_receiver.py`, built from the
//! OpenTelemetry project's own protocol definitions) as one trace per call chain: the test's
//! client → service A → (A's client) → service B, all on 127.0.0.1, configured only by the
//! standard `OTEL_*` variables. Checked: one trace id per chain, every parent link (each hop
//! a call span, its attempt's span — SayHello is hedged — and the server's span), server and
//! client kinds, the RPC semantic-convention attributes, the resource from
//! `OTEL_SERVICE_NAME`/`OTEL_RESOURCE_ATTRIBUTES`, and the status rule — a client span errs on
//! any code but OK, a server span only on codes that are the server's fault.
//!
//! The only test in its binary: telemetry is process-global.

mod common;
#[path = "common/otlp.rs"]
mod otlp;

use std::collections::HashMap;
use std::time::Duration;

use common::{Reply, Unary};
use greeter::pb::HelloRequest;
use otlp::{chain, chained, check_chain, client_of, collect, export_to, receiver, HOP};
use serde_json::Value;
use tonic::Request;
use tracing::Instrument as _;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_chain_reaches_an_otlp_receiver_as_one_trace() {
    let (mut receiver, port, received) = receiver();
    export_to(port);
    let telemetry = kuberpc::telemetry::init().unwrap();
    assert!(telemetry.is_exporting());

    let b = common::serve("127.0.0.1:0", chained(None), Duration::ZERO).await;
    let a = common::serve("127.0.0.1:0", chained(Some(client_of(b.addr).await)), Duration::ZERO).await;
    let mut client = client_of(a.addr).await;
    let reply = client.say_hello(HelloRequest { name: "traced".into() }).await.unwrap();
    assert_eq!(reply.into_inner().message, "Hello traced!");
    let error = client.say_hello(HelloRequest { name: "bad".into() }).await.unwrap_err();
    assert_eq!(error.code(), tonic::Code::InvalidArgument);
    // C's handler calls B inside a span of its own, exported through the SDK's bridge.
    let b_client = client_of(b.addr).await;
    let forwarding = Unary(move |request: Request<HelloRequest>| {
        let mut b = b_client.clone();
        Box::pin(async move { b.say_hello(request.into_inner()).await }.instrument(tracing::info_span!("forward")))
            as Reply
    });
    let c = common::serve("127.0.0.1:0", forwarding, Duration::ZERO).await;
    client_of(c.addr).await.say_hello(HelloRequest { name: "nested".into() }).await.unwrap();
    telemetry.flush();

    let spans = collect(&received, 4 * HOP + 2 * HOP + 1);
    drop(receiver.stdin.take());
    let _ = receiver.wait();
    let mut traces: HashMap<&str, Vec<&Value>> = HashMap::new();
    for span in &spans {
        traces.entry(span["trace_id"].as_str().unwrap()).or_default().push(span);
    }
    assert_eq!(traces.len(), 3, "one trace per call: {spans:#?}");
    let (nested, chains): (Vec<_>, Vec<_>) = traces.values().partition(|trace| trace.len() > 2 * HOP);
    check_nested(nested[0]);
    for trace in chains {
        let chain = chain(trace);
        let ok = chain[2 * HOP - 1]["attributes"]["rpc.grpc.status_code"] == 0;
        check_chain(&chain, [a.addr.port(), b.addr.port()], if ok { 0 } else { 3 });
    }
}

/// The program's span `forward` is the child of C's server span and the parent of C's call
/// to B: kuberpc's spans and the program's (through the bridge) make one tree.
fn check_nested(trace: &[&Value]) {
    let named =
        |name: &str| *trace.iter().find(|span| span["name"] == name).unwrap_or_else(|| panic!("no {name}: {trace:#?}"));
    let forward = named("forward");
    let parent = trace.iter().find(|span| span["span_id"] == forward["parent_span_id"]).expect("forward has a parent");
    assert_eq!(parent["kind"], "SPAN_KIND_SERVER", "{parent:#}");
    assert_eq!(parent["scope"], "kuberpc");
    let calls: Vec<_> = trace.iter().filter(|span| span["parent_span_id"] == forward["span_id"]).collect();
    assert_eq!(calls.len(), 1, "{trace:#?}");
    assert_eq!(calls[0]["kind"], "SPAN_KIND_CLIENT");
    assert_eq!(calls[0]["name"], "greeter.v1.Greeter/SayHello");
    assert_eq!(forward["resource"], calls[0]["resource"], "one resource for both exports");
}
