//! Runs the counter with `kuberpc::Server`: on the port from the trait's attribute (or
//! `KUBERPC_PORT` / `KUBERPC_ADDR`), with health, reflection and the drain on SIGTERM.

#[tokio::main]
async fn main() -> Result<(), kuberpc::ServerError> {
    counter::server().serve().await
}
