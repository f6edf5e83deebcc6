//! Calls the greeter once: `client [host:port] [name]`. Without a target it balances over the
//! headless Service of the greeter in its namespace, as inside the cluster.

use greeter::pb::greeter_client::GreeterClient;
use greeter::pb::{greeter_deploy, HelloRequest};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _telemetry = kuberpc::telemetry::init()?;
    let mut args = std::env::args().skip(1);
    let mut client = kuberpc::client::Client::new(&greeter_deploy::DEPLOY);
    if let Some(target) = args.next() {
        // Any form KUBERPC_TARGET takes: host:port, http://host:port, dns:///host:port, ipv4:a:p,…
        client = client.target_parsed(target.parse()?);
    }
    let name = args.next().unwrap_or_else(|| "world".to_string());
    let mut greeter = GreeterClient::new(client.connect().await?);
    let reply = greeter.say_hello(HelloRequest { name }).await?;
    println!("{}", reply.into_inner().message);
    Ok(())
}
