//! Runs the front with `kuberpc::Server`: its port, health, reflection, logs, spans and drain as
//! for every kuberpc service; the greeter and the journal at the addresses its pod is given.

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _telemetry = kuberpc::telemetry::init()?;
    front::server().await?.serve().await?;
    Ok(())
}
