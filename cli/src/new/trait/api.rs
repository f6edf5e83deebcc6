//! The API of {{name}}, its one source of truth: the messages and the `#[rpc_service]` trait
//! with how it is deployed and called. The build script reads only this file.

use kuberpc::Status;

/// Asks for a greeting.
#[derive(Clone, PartialEq, prost::Message)]
pub struct HelloRequest {
    /// Who to greet.
    #[prost(string, tag = "1")]
    pub name: String,
}

/// A greeting.
#[derive(Clone, PartialEq, prost::Message)]
pub struct HelloReply {
    /// The greeting.
    #[prost(string, tag = "1")]
    pub message: String,
}

/// The service.
#[kuberpc::rpc_service(package = "{{lib}}.v1", name = "{{name}}", image = "{{name}}:0.1.0", port = 50051)]
pub trait {{Service}} {
    /// Greets one person.
    #[rpc(timeout_ms = 1000, idempotent)]
    async fn say_hello(&self, request: HelloRequest) -> Result<HelloReply, Status>;
}
