//! Calls the greeter: `client [host:port|-] [name] [seconds]`. Without a target (or with `-`)
//! it balances over the headless Service of the greeter in its namespace, as inside the
//! cluster. With `seconds`, it keeps calling for that long (the e2e load; `example_load`:
//! prints `calls=N failed=F {failures by code} late_max=Lms`, each failed call on stderr, and
//! exits non-zero if any call failed).

use greeter::pb::greeter_client::GreeterClient;
use greeter::pb::{greeter_deploy, HelloRequest};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _telemetry = kuberpc::telemetry::init()?;
    let mut args = std::env::args().skip(1);
    let mut client = kuberpc::client::Client::new(&greeter_deploy::DEPLOY);
    if let Some(target) = args.next().filter(|t| t != "-") {
        // Any form KUBERPC_TARGET takes: host:port, http://host:port, dns:///host:port, ipv4:a:p,…
        client = client.target_parsed(target.parse()?);
    }
    let name = args.next().unwrap_or_else(|| "world".to_string());
    let greeter = GreeterClient::new(client.connect().await?);
    let Some(seconds) = args.next() else {
        let reply = greeter.clone().say_hello(HelloRequest { name }).await?;
        println!("{}", reply.into_inner().message);
        return Ok(());
    };
    example_load::run(seconds.parse()?, move || {
        let (mut greeter, name) = (greeter.clone(), name.clone());
        async move { greeter.say_hello(HelloRequest { name }).await.map(drop) }
    })
    .await;
    Ok(())
}
