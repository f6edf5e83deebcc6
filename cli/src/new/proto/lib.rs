//! {{name}}: the stubs generated from `proto/{{lib}}/v1/{{lib}}.proto`, and the handler.

/// Everything generated from the protos, as a module tree named after the packages.
pub mod pb {
    kuberpc::include_protos!();
}

pub use pb::{{lib}}::v1::*;

use kuberpc::{Request, Response, Status};

/// The encoded descriptors of the protos, for reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = kuberpc::include_descriptor_set!();

/// The server: the handler under `kuberpc::Server` (health, reflection, drain on SIGTERM).
pub fn server() -> kuberpc::Server {
    kuberpc::Server::new(&{{service}}_deploy::DEPLOY)
        .add_service({{service}}_server::{{Service}}Server::new(Handler))
        .file_descriptor_set(FILE_DESCRIPTOR_SET)
}

/// The handler: write your logic here.
pub struct Handler;

#[tonic::async_trait]
impl {{service}}_server::{{Service}} for Handler {
    async fn say_hello(&self, request: Request<HelloRequest>) -> Result<Response<HelloReply>, Status> {
        Ok(Response::new(HelloReply { message: format!("Hello {}!", request.into_inner().name) }))
    }
}

/// A client of the service: balanced over its pods in the cluster, or `KUBERPC_TARGET`.
pub async fn client() -> Result<{{Client}}<kuberpc::client::PolicyChannel>, kuberpc::client::TargetError> {
    Ok({{Client}}::new(kuberpc::client::Client::new(&{{service}}_deploy::DEPLOY).connect().await?))
}
