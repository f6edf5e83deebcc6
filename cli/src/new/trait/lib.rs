//! {{name}}: the API (`api.rs`, with the server and client `#[rpc_service]` makes) and the
//! handler.

mod api;

pub use api::*;
use kuberpc::Status;

/// The encoded descriptors of the emitted proto, for reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = kuberpc::include_descriptor_set!();

/// The server: the handler under `kuberpc::Server` (health, reflection, drain on SIGTERM).
pub fn server() -> kuberpc::Server {
    kuberpc::Server::new(&{{service}}_deploy::DEPLOY)
        .add_service({{Service}}Server::new(Handler))
        .file_descriptor_set(FILE_DESCRIPTOR_SET)
}

/// The handler: write your logic here.
pub struct Handler;

impl {{Service}} for Handler {
    async fn say_hello(&self, request: HelloRequest) -> Result<HelloReply, Status> {
        Ok(HelloReply { message: format!("Hello {}!", request.name) })
    }
}

/// A client of the service: balanced over its pods in the cluster, or `KUBERPC_TARGET`.
pub async fn client() -> Result<{{Client}}<kuberpc::client::PolicyChannel>, kuberpc::client::TargetError> {
    Ok({{Client}}::new(kuberpc::client::Client::new(&{{service}}_deploy::DEPLOY).connect().await?))
}
