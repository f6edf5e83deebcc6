//! Serves {{name}} on the port from the API (or `KUBERPC_PORT` / `KUBERPC_ADDR`).

#[tokio::main]
async fn main() -> Result<(), kuberpc::ServerError> {
    let _telemetry = kuberpc::telemetry::init()?;
    {{lib}}::server().serve().await
}
