//! The front's API, its one source of truth: the messages, and the `#[rpc_service]` trait
//! whose `calls` state the services it calls — the greeter's `SayHello` and the journal's
//! `Append`, nothing else. The build script reads this file (and only this file).

use kuberpc::Status;

/// Asks to welcome a visitor.
#[derive(Clone, PartialEq, prost::Message)]
pub struct WelcomeRequest {
    /// The visitor's name.
    #[prost(string, tag = "1")]
    pub name: String,
}

/// The welcome, and where the visit was recorded.
#[derive(Clone, PartialEq, prost::Message)]
pub struct WelcomeReply {
    /// The greeter's greeting.
    #[prost(string, tag = "1")]
    pub message: String,
    /// The journal pod that recorded the visit.
    #[prost(string, tag = "2")]
    pub recorded_by: String,
    /// The visit's offset in that pod's journal.
    #[prost(uint64, tag = "3")]
    pub offset: u64,
}

/// The system's entry point: greets through the greeter and records each visit in the journal.
#[kuberpc::rpc_service(
    package = "front.v1",
    image = "ghcr.io/acme/front:0.1.0",
    port = 50051,
    autoscale(min = 2, max = 6, cpu_percent = 70),
    container(binary = "front-server", package = "front"),
    // The system's one way in from outside: the ingress controller's namespace reaches it.
    ingress(host = "shop.example.com"),
    // Spans to the cluster's collector: its egress rule admits that port of that namespace.
    observability(otlp_endpoint = "http://otel-collector.monitoring:4317"),
    calls(service = "greeter.v1.Greeter", methods("SayHello")),
    calls(service = "journal", methods("Append")),
    forbid_call_cycles = true,
    environments(name = "staging", namespace = "front-staging"),
    environments(name = "prod", namespace = "front-prod", autoscale(min = 2, max = 6))
)]
pub trait Front {
    /// Greets `name` and records the visit.
    #[rpc(timeout_ms = 1000)]
    async fn welcome(&self, request: WelcomeRequest) -> Result<WelcomeReply, Status>;
}
