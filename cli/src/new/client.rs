//! Calls {{name}} once: `KUBERPC_TARGET=127.0.0.1:50051 cargo run --bin client [name]`.

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _telemetry = kuberpc::telemetry::init()?;
    let name = std::env::args().nth(1).unwrap_or_else(|| "kuberpc".to_string());
    let mut client = {{lib}}::client().await?;
    let reply = client.say_hello({{lib}}::HelloRequest { name }).await?;
    println!("{}", reply.into_inner().message);
    Ok(())
}
