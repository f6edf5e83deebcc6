//! Runs the greeter on the port from the proto's `(kuberpc.v1.service).port`, on all
//! interfaces (inside its pod), until Ctrl-C or SIGTERM.

use greeter::pb::greeter_deploy;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind(("0.0.0.0", greeter_deploy::PORT)).await?;
    println!("{} listening on {}", greeter_deploy::SERVICE, listener.local_addr()?);
    greeter::serve(listener, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
