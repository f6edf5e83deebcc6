//! kuberpc — the runtime facade of kuberpc-generated gRPC services.
//!
//! Generated code describes each service with a [`Deploy`] (the same values the manifests
//! were rendered from; the type, with [`Lifecycle`], [`ClientPolicy`] and [`MethodPolicy`], is
//! `kuberpc-spec`'s, re-exported here); the runtime takes it from there:
//!
//! - [`Server`] serves the service with grpc.health.v1 (for the native gRPC probes),
//!   reflection (v1 and v1alpha), a span per call ([`trace`]), RPC metrics for Prometheus
//!   ([`metrics`]), the drain sequence on SIGTERM, [`Limits`] on what one peer may hold, and
//!   gRPC-Web for browsers when the service has `web` ([`web`]);
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
mod authorize;
mod balance;
mod budget;
mod call;
pub mod client;
mod connection;
mod deadline;
mod dispatch;
pub mod limits;
pub mod metrics;
mod otlp;
mod policy;
pub mod rest;
mod rpc;
mod sampling;
mod server;
mod span;
pub mod telemetry;
pub mod tls;
pub mod trace;
mod wake;
pub mod web;

#[cfg(feature = "macros")]
pub use kuberpc_macros::rpc_service;
pub use limits::Limits;
pub use prost;
pub use rpc::ResponseStream;
pub use server::{Server, ServerError, ADDR_ENV, DRAIN_ENV, HEALTH_ADDR_ENV, METRICS_ADDR_ENV, PORT_ENV};
pub use tonic;
pub use tonic::{Request, Response, Status, Streaming};

/// What `#[rpc_service]` expansions name, by absolute path, so they compile wherever the
/// macro is used: under a renamed `kuberpc` and under `#![no_implicit_prelude]`. Not an API.
#[doc(hidden)]
pub mod __private {
    pub use crate::rpc::*;
    pub use crate::{Callee, Caller, ClientPolicy, Deploy, Lifecycle, MethodPolicy, MutualTls, Web};
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

pub use kuberpc_spec::{
    Callee, Caller, ClientPolicy, Deploy, HttpRule, Lifecycle, MethodPolicy, MutualTls, PathTemplate, Web, CERT_DIR,
    WEB_ORIGINS_ENV,
};

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
