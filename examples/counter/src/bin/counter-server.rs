//! Runs the counter with `kuberpc::Server`: on the port from the trait's attribute (or
//! `KUBERPC_PORT` / `KUBERPC_ADDR`), with health, reflection, logs and OTLP spans
//! (`kuberpc::telemetry`) and the drain on SIGTERM.

#[tokio::main]
async fn main() -> Result<(), kuberpc::ServerError> {
    let _telemetry = kuberpc::telemetry::init()?;
    counter::server().serve().await
}
