//! Serves {{name}} on the port from the API (or `KUBERPC_PORT` / `KUBERPC_ADDR`).

#[tokio::main]
async fn main() -> Result<(), kuberpc::ServerError> {
    {{lib}}::server().serve().await
}
