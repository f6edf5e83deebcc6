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

use greeter::pb::HelloRequest;
use otlp::{chain, chained, check_chain, client_of, collect, export_to, receiver, HOP};
use serde_json::Value;

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
    telemetry.flush();

    let spans = collect(&received, 4 * HOP);
    drop(receiver.stdin.take());
    let _ = receiver.wait();
    let mut traces: HashMap<&str, Vec<&Value>> = HashMap::new();
    for span in &spans {
        traces.entry(span["trace_id"].as_str().unwrap()).or_default().push(span);
    }
    assert_eq!(traces.len(), 2, "one trace per call: {spans:#?}");
    for trace in traces.values() {
        let chain = chain(trace);
        let ok = chain[2 * HOP - 1]["attributes"]["rpc.grpc.status_code"] == 0;
        check_chain(&chain, [a.addr.port(), b.addr.port()], if ok { 0 } else { 3 });
    }
}
