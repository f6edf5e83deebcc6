//! Runs the greeter with `kuberpc::Server`: on the port from the proto (or `KUBERPC_PORT` /
//! `KUBERPC_ADDR`), with health, reflection, logs and OTLP spans (`kuberpc::telemetry`) and the
//! drain on SIGTERM.

use greeter::pb::greeter_deploy;
use greeter::pb::greeter_server::GreeterServer;
use greeter::GreeterService;

#[tokio::main]
async fn main() -> Result<(), kuberpc::ServerError> {
    let _telemetry = kuberpc::telemetry::init()?;
    kuberpc::Server::new(&greeter_deploy::DEPLOY)
        .add_service(GreeterServer::new(GreeterService::from_env()))
        .file_descriptor_set(greeter::FILE_DESCRIPTOR_SET)
        .serve()
        .await
}
