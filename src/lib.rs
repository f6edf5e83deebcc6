//! kuberpc — the runtime facade of kuberpc-generated gRPC services.
//!
//! Generated code describes each service with a [`Deploy`] (the same values the manifests
//! were rendered from); the runtime takes it from there:
//!
//! - [`Server`] serves the service with grpc.health.v1 (for the native gRPC probes),
//!   reflection (v1 and v1alpha), a span per call ([`trace`]), RPC metrics for Prometheus
//!   ([`metrics`]), the drain sequence on SIGTERM, and [`Limits`] on what one peer may hold;
//! - [`client::Client`] builds a channel that balances over every address of the headless
//!   Service and applies each method's deadline and retry policy;
//! - [`telemetry::init`] sets up logging and, when an OTLP endpoint is configured, exports the
//!   spans of both.
//!
//! Macros: [`include_proto!`] (one package), [`include_protos!`] (every package) and [`include_descriptor_set!`] include what
//! `kuberpc_codegen` wrote to `OUT_DIR`; [`rpc_service`] (feature `macros`, on by default)
//! turns a Rust trait into the same server, client and `<service>_deploy` module, with no
//! `.proto` at all. [`options`] holds the annotation vocabulary.

mod accept;
mod balance;
mod budget;
pub mod client;
mod connection;
mod deadline;
pub mod limits;
pub mod metrics;
mod policy;
mod rpc;
mod server;
pub mod telemetry;
pub mod trace;

#[cfg(feature = "macros")]
pub use kuberpc_macros::rpc_service;
pub use limits::Limits;
pub use prost;
pub use rpc::ResponseStream;
pub use server::{Server, ServerError, ADDR_ENV, DRAIN_ENV, METRICS_ADDR_ENV, PORT_ENV};
pub use tonic;
pub use tonic::{Request, Response, Status, Streaming};

/// What `#[rpc_service]` expansions name, by absolute path, so they compile wherever the
/// macro is used: under a renamed `kuberpc` and under `#![no_implicit_prelude]`. Not an API.
#[doc(hidden)]
pub mod __private {
    pub use crate::rpc::*;
    pub use crate::{ClientPolicy, Deploy, MethodPolicy};
    pub use ::core;
    pub use ::std;
    pub use ::tonic;
}

/// The annotation vocabulary, `kuberpc/v1/options.proto`, as prost types.
#[allow(missing_docs)]
pub mod options {
    include!(concat!(env!("OUT_DIR"), "/kuberpc.v1.rs"));
}

/// The source text of `kuberpc/v1/options.proto`, the annotation vocabulary.
pub const OPTIONS_PROTO: &str = include_str!("../proto/kuberpc/v1/options.proto");

/// How one service is deployed: generated as `<service>_deploy::DEPLOY` from the same
/// options that rendered its manifests, so the runtime and the cluster agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deploy {
    /// App name (Deployment, Services, `deploy/<app>/`).
    pub app: &'static str,
    /// Fully qualified gRPC service name.
    pub service: &'static str,
    /// The one port: bind, containerPort, Service, probes.
    pub port: u16,
    /// The headless Service clients balance over.
    pub headless_service: &'static str,
    /// Seconds the pod keeps serving once it is told to stop.
    pub drain_seconds: u32,
    /// terminationGracePeriodSeconds of the pod.
    pub termination_grace_seconds: u32,
    /// Whether the server answers gRPC reflection (`reflection`; health is served either way):
    /// where [`Server::reflection`] starts.
    pub reflection: bool,
    /// Per-method call policy.
    pub methods: &'static [MethodPolicy],
    /// How clients call the service: default deadline, keepalive, connect timeout.
    pub client: ClientPolicy,
}

/// How [`client::Client`] calls one service, from `(kuberpc.v1.service).client`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientPolicy {
    /// Deadline of calls to methods without `timeout_ms`, when the caller sets none.
    pub default_timeout_ms: u64,
    /// HTTP/2 keepalive ping interval on every connection to a pod.
    pub keepalive_interval_ms: u32,
    /// How long a ping may go unanswered before the connection is closed.
    pub keepalive_timeout_ms: u32,
    /// How long connecting to one pod may take.
    pub connect_timeout_ms: u32,
    /// Failures in a row that eject a pod from the balancer (0: never eject).
    pub eject_after_failures: u32,
    /// How long the first ejection of a pod lasts; the n-th lasts n times as long (up to 10).
    pub base_ejection_ms: u32,
    /// At most this percentage of the pods is ejected at once (at least one pod may be).
    pub max_ejection_percent: u32,
    /// Calls in flight to one pod beyond which it is skipped; when every pod is full a call
    /// fails at once with UNAVAILABLE (0: no limit).
    pub max_concurrent_requests: u32,
    /// Retries and hedges may add at most this percentage of the calls made…
    pub retry_budget_percent: u32,
    /// …plus this many per second.
    pub min_retries_per_second: u32,
}

impl Deploy {
    /// The policy of the method at HTTP/2 `path` (`/pkg.Service/Method`).
    pub fn method(&self, path: &str) -> Option<&'static MethodPolicy> {
        self.methods.iter().find(|m| m.path == path)
    }
}

/// Call policy of one RPC, from `(kuberpc.v1.method)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodPolicy {
    /// `/pkg.Service/Method`.
    pub path: &'static str,
    /// Default deadline, when the caller sets none.
    pub timeout_ms: Option<u64>,
    /// Safe to retry on UNAVAILABLE.
    pub idempotent: bool,
    /// The client sends a stream (such calls are never retried: the stream cannot be replayed).
    pub client_streaming: bool,
    /// The server answers with a stream (such calls get no default deadline: a watch may
    /// rightly last for hours).
    pub server_streaming: bool,
    /// For idempotent calls: when the pod picked has not answered after this long, the same
    /// call is also sent to another pod and the first answer wins.
    pub hedge_delay_ms: Option<u64>,
}

/// Includes the stubs generated for one protobuf package, e.g.
/// `kuberpc::include_proto!("greeter.v1");`.
#[macro_export]
macro_rules! include_proto {
    ($package:literal) => {
        include!(concat!(env!("OUT_DIR"), "/", $package, ".rs"));
    };
}

/// Includes the stubs of every package the build script compiled, as one module tree named
/// after the packages (`google.api` → `google::api`, `shop.v1` → `shop::v1`), so no nested
/// `pub mod` blocks have to be written by hand: `kuberpc::include_protos!();`.
#[macro_export]
macro_rules! include_protos {
    () => {
        include!(concat!(env!("OUT_DIR"), "/kuberpc_protos.rs"));
    };
}

/// Evaluates to the encoded `FileDescriptorSet` (`&'static [u8]`) of every file compiled by
/// the build script, imports included.
#[macro_export]
macro_rules! include_descriptor_set {
    () => {
        include_bytes!(concat!(env!("OUT_DIR"), "/kuberpc_descriptor.bin"))
    };
}
