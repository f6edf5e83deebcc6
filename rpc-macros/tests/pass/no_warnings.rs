//! The expansion compiles without a single warning (all lints denied), for a service with
//! every call kind and for one with no method at all.
#![deny(warnings, unused, missing_docs, clippy::all)]

use kuberpc::{Request, ResponseStream, Status, Streaming};

/// A message.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Msg {
    /// Text.
    #[prost(string, tag = "1")]
    pub text: String,
}

/// Every call kind.
#[kuberpc::rpc_service(package = "lint.v1", env(MODE = "strict"), resources(cpu = "250m", memory = "64Mi"))]
pub trait Full {
    /// Unary.
    #[rpc(timeout_ms = 100)]
    async fn one(&self, request: Msg) -> Result<Msg, Status>;
    /// Server streaming, with metadata.
    async fn many(&self, request: Request<Msg>) -> Result<ResponseStream<Msg>, Status>;
    /// Client streaming.
    async fn gather(&self, request: Streaming<Msg>) -> Result<Msg, Status>;
    /// Bidirectional.
    async fn chat(&self, request: Streaming<Msg>) -> Result<ResponseStream<Msg>, Status>;
}

/// No method.
#[kuberpc::rpc_service(package = "lint.v1")]
pub trait Empty {}

fn main() {
    assert_eq!(full_deploy::DEPLOY.methods.len(), 4);
    assert_eq!(empty_deploy::SERVICE, "lint.v1.Empty");
    let _ = core::mem::size_of::<FullClient<kuberpc::tonic::transport::Channel>>();
    let _ = core::mem::size_of::<EmptyServer<()>>();
}
