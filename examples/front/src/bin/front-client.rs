//! Calls the front: `front-client [host:port|-] [name] [seconds]`. Without a target (or with
//! `-`) it balances over the front's headless Service in its namespace. With `seconds`, it
//! keeps calling from 4 tasks for that long (the e2e's load through the whole system), prints
//! `calls=N failed=F` and the failures by code, and exits non-zero if any call failed.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use front::{front_deploy, FrontClient, WelcomeRequest};
use kuberpc::client::PolicyChannel;

const LOAD_TASKS: usize = 4;

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
    let until = Instant::now() + Duration::from_secs_f64(seconds.parse()?);
    let tasks: Vec<_> = (0..LOAD_TASKS).map(|_| tokio::spawn(load(front.clone(), name.clone(), until))).collect();
    let (mut calls, mut failed) = (0u64, BTreeMap::<String, u64>::new());
    for task in tasks {
        let (task_calls, task_failed) = task.await?;
        calls += task_calls;
        for (code, count) in task_failed {
            *failed.entry(code).or_default() += count;
        }
    }
    let failures: u64 = failed.values().sum();
    println!("calls={calls} failed={failures} {failed:?}");
    if failures > 0 {
        std::process::exit(1);
    }
    Ok(())
}

/// Calls until `until`; returns the calls made and the failures by code.
async fn load(mut front: FrontClient<PolicyChannel>, name: String, until: Instant) -> (u64, BTreeMap<String, u64>) {
    let (mut calls, mut failed) = (0, BTreeMap::new());
    while Instant::now() < until {
        calls += 1;
        if let Err(status) = front.welcome(WelcomeRequest { name: name.clone() }).await {
            *failed.entry(format!("{:?}", status.code())).or_default() += 1;
        }
    }
    (calls, failed)
}
