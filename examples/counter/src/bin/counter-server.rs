//! Runs the counter with `kuberpc::Server`: on the port from the trait's attribute (or
//! `KUBERPC_PORT` / `KUBERPC_ADDR`), with health, reflection and the drain on SIGTERM.

use counter::{counter_deploy, CounterServer, CounterService};

#[tokio::main]
async fn main() -> Result<(), kuberpc::ServerError> {
    kuberpc::Server::new(&counter_deploy::DEPLOY)
        .add_service(CounterServer::new(CounterService::default()))
        .file_descriptor_set(counter::FILE_DESCRIPTOR_SET)
        .serve()
        .await
}
