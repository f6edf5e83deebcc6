//! `bank-client withdraw|audit <seconds>`: calls the vault as the teller does (its typed
//! target, over mutual TLS with the certificate mounted in this pod) from 4 tasks for
//! `seconds`, then prints `calls=N failed=F {failures by code}` and exits non-zero if any call
//! failed. Which identity calls is the pod's certificate: the e2e runs it as the teller, as a
//! service nobody declared, and with another CA's certificate.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bank::pb::vault_client::VaultClient;
use bank::pb::Payment;

const LOAD_TASKS: usize = 4;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _telemetry = kuberpc::telemetry::init()?;
    let mut args = std::env::args().skip(1);
    let (method, seconds) = match (args.next(), args.next().and_then(|s| s.parse::<f64>().ok())) {
        (Some(method), Some(seconds)) if method == "withdraw" || method == "audit" => (method, seconds),
        _ => return Err("usage: bank-client withdraw|audit <seconds>".into()),
    };
    let vault = VaultClient::new(bank::vault().await?);
    let until = Instant::now() + Duration::from_secs_f64(seconds);
    let tasks: Vec<_> = (0..LOAD_TASKS).map(|_| tokio::spawn(load(vault.clone(), method.clone(), until))).collect();
    let (mut calls, mut failed) = (0u64, BTreeMap::<String, u64>::new());
    for task in tasks {
        let (task_calls, task_failed) = task.await?;
        calls += task_calls;
        for (code, count) in task_failed {
            *failed.entry(code).or_default() += count;
        }
    }
    let failures: u64 = failed.values().sum();
    let codes: Vec<String> = failed.iter().map(|(code, count)| format!("{code:?}: {count}")).collect();
    println!("calls={calls} failed={failures} {{{}}}", codes.join(", "));
    if failures > 0 {
        std::process::exit(1);
    }
    Ok(())
}

/// Calls `method` until `until`: the calls made and the failures by code.
async fn load(
    mut vault: VaultClient<kuberpc::client::PolicyChannel>,
    method: String,
    until: Instant,
) -> (u64, BTreeMap<String, u64>) {
    let (mut calls, mut failed) = (0, BTreeMap::new());
    while Instant::now() < until {
        let payment = Payment { account: "e2e".to_string(), cents: 1 };
        let result = match method.as_str() {
            "withdraw" => vault.withdraw(payment).await,
            _ => vault.audit(payment).await,
        };
        calls += 1;
        if let Err(status) = result {
            if *failed.entry(format!("{:?}", status.code())).or_insert(0) == 0 {
                eprintln!("failed: {status:?}");
            }
            *failed.entry(format!("{:?}", status.code())).or_insert(0) += 1;
        }
    }
    (calls, failed)
}
