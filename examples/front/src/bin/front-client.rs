//! Calls the front: `front-client [host:port|-] [name] [seconds]`. Without a target (or with
//! `-`) it balances over the front's headless Service in its namespace. With `seconds`, it
//! keeps calling for that long (the e2e's load through the whole system; `example_load`: prints
//! `calls=N failed=F {failures by code} late_max=Lms` and exits non-zero if any call failed).

use front::{front_deploy, FrontClient, WelcomeRequest};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _telemetry = kuberpc::telemetry::init()?;
    let mut args = std::env::args().skip(1);
    let mut client = kuberpc::client::Client::new(&front_deploy::DEPLOY);
    if let Some(target) = args.next().filter(|t| t != "-") {
        client = client.target_parsed(target.parse()?);
    }
    let name = args.next().unwrap_or_else(|| "world".to_string());
    let front = FrontClient::new(client.connect().await?);
    let Some(seconds) = args.next() else {
        let reply = front.clone().welcome(WelcomeRequest { name }).await?.into_inner();
        println!("{} (recorded by {} at {})", reply.message, reply.recorded_by, reply.offset);
        return Ok(());
    };
    example_load::run(seconds.parse()?, move || {
        let (mut front, name) = (front.clone(), name.clone());
        async move { front.welcome(WelcomeRequest { name }).await.map(drop) }
    })
    .await;
    Ok(())
}
