//! A program with its own `tracing` subscriber adds kuberpc's span export to it
//! (`kuberpc::telemetry::layer()`) instead of calling `init`: its own layer still sees every
//! event, and the call chain (the test's client → service A → A's client → service B) reaches a
//! real OTLP receiver as one trace (a call span, an attempt span and a server span per hop), as
//! with `init`.
//!
//! The only test in its binary: telemetry is process-global.

mod common;
#[path = "common/otlp.rs"]
mod otlp;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use greeter::pb::HelloRequest;
use otlp::{chain, chained, check_chain, client_of, collect, export_to, receiver, HOP};
use serde_json::Value;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

/// The program's own layer: counts the `call finished` events it sees.
struct Counting(Arc<AtomicUsize>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Counting {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target().starts_with("kuberpc") {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_export_joins_the_programs_own_subscriber() {
    let (mut receiver, port, received) = receiver();
    export_to(port);
    let (spans, telemetry) = kuberpc::telemetry::layer().unwrap();
    assert!(spans.is_some() && telemetry.is_exporting());
    let events = Arc::new(AtomicUsize::new(0));
    tracing_subscriber::registry().with(Counting(events.clone())).with(spans).init();

    let b = common::serve("127.0.0.1:0", chained(None), Duration::ZERO).await;
    let a = common::serve("127.0.0.1:0", chained(Some(client_of(b.addr).await)), Duration::ZERO).await;
    let mut client = client_of(a.addr).await;
    let reply = client.say_hello(HelloRequest { name: "layered".into() }).await.unwrap();
    assert_eq!(reply.into_inner().message, "Hello layered!");
    telemetry.flush();

    let spans: Vec<Value> = collect(&received, 2 * HOP);
    drop(receiver.stdin.take());
    let _ = receiver.wait();
    let trace: Vec<&Value> = spans.iter().collect();
    assert!(trace.iter().all(|s| s["trace_id"] == trace[0]["trace_id"]), "one trace: {spans:#?}");
    check_chain(&chain(&trace), [a.addr.port(), b.addr.port()], 0);
    // The program's own layer saw the calls' events (two servers and two clients finished).
    assert!(events.load(Ordering::Relaxed) >= 4, "{} events", events.load(Ordering::Relaxed));
}
