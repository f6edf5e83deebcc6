//! Adds to a counter and reads it back: `counter-client [host:port] [key] [delta]`. Without a target
//! it balances over the headless Service of the counter in its namespace, as in the cluster.

use counter::{counter_deploy, AddRequest, CounterClient, GetRequest};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _telemetry = kuberpc::telemetry::init()?;
    let mut args = std::env::args().skip(1);
    let mut client = kuberpc::client::Client::new(&counter_deploy::DEPLOY);
    if let Some(target) = args.next() {
        // Any form KUBERPC_TARGET takes: host:port, http://host:port, dns:///host:port, ipv4:a:p,…
        client = client.target_parsed(target.parse()?);
    }
    let key = args.next().unwrap_or_else(|| "visits".to_string());
    let delta = args.next().map(|d| d.parse()).transpose()?.unwrap_or(1);
    let mut counter = CounterClient::new(client.connect().await?);
    counter.add(AddRequest { key: key.clone(), delta }).await?;
    let value = counter.get(GetRequest { key: key.clone() }).await?.into_inner().value;
    println!("{key} = {value}");
    Ok(())
}
