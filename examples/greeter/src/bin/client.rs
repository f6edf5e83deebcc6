//! Calls the greeter: `client [host:port|-] [name] [seconds]`. Without a target (or with `-`)
//! it balances over the headless Service of the greeter in its namespace, as inside the
//! cluster. With `seconds`, it keeps calling from 4 tasks for that long (the e2e load), prints
//! `calls=N failed=F {failures by code} late_max=Lms`, and exits non-zero if any call failed.
//!
//! A failed call is printed on stderr (when it started, how long it took, its status), and
//! `late_max` is how late, at worst, a 10 ms timer of this process fired: a process that the
//! machine did not run for a while (a starved load generator) shows it there, and its calls'
//! deadlines passed while it was not running.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use greeter::pb::greeter_client::GreeterClient;
use greeter::pb::{greeter_deploy, HelloRequest};
use kuberpc::client::PolicyChannel;

const LOAD_TASKS: usize = 4;
/// The period of the timer whose lateness is measured.
const TICK: Duration = Duration::from_millis(10);
/// Timer lateness worth a line on stderr.
const LATE_REPORTED: Duration = Duration::from_millis(100);

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
    let mut greeter = GreeterClient::new(client.connect().await?);
    let Some(seconds) = args.next() else {
        let reply = greeter.say_hello(HelloRequest { name }).await?;
        println!("{}", reply.into_inner().message);
        return Ok(());
    };
    let start = Instant::now();
    let until = start + Duration::from_secs_f64(seconds.parse()?);
    let late_max = Arc::new(AtomicU64::new(0));
    let ticker = tokio::spawn(lateness(start, until, late_max.clone()));
    let tasks: Vec<_> =
        (0..LOAD_TASKS).map(|_| tokio::spawn(load(greeter.clone(), name.clone(), start, until))).collect();
    let (mut calls, mut failed) = (0u64, BTreeMap::<String, u64>::new());
    for task in tasks {
        let (task_calls, task_failed) = task.await?;
        calls += task_calls;
        for (code, count) in task_failed {
            *failed.entry(code).or_default() += count;
        }
    }
    ticker.await?;
    let failures: u64 = failed.values().sum();
    let late_max = late_max.load(Ordering::Relaxed);
    println!("calls={calls} failed={failures} {failed:?} late_max={late_max}ms");
    if failures > 0 {
        std::process::exit(1);
    }
    Ok(())
}

/// Calls until `until`; returns the calls made and the failures by code.
async fn load(
    mut greeter: GreeterClient<PolicyChannel>,
    name: String,
    start: Instant,
    until: Instant,
) -> (u64, BTreeMap<String, u64>) {
    let (mut calls, mut failed) = (0, BTreeMap::new());
    while Instant::now() < until {
        calls += 1;
        let called = Instant::now();
        if let Err(status) = greeter.say_hello(HelloRequest { name: name.clone() }).await {
            eprintln!(
                "failed call: started at {:.3}s, took {} ms: {:?} {:?}",
                (called - start).as_secs_f64(),
                called.elapsed().as_millis(),
                status.code(),
                status.message()
            );
            *failed.entry(format!("{:?}", status.code())).or_default() += 1;
        }
    }
    (calls, failed)
}

/// Until `until`, sleeps [`TICK`] at a time and records in `late_max` (ms) how late, at worst,
/// the timer fired; a lateness of [`LATE_REPORTED`] or more is printed on stderr.
async fn lateness(start: Instant, until: Instant, late_max: Arc<AtomicU64>) {
    while Instant::now() < until {
        let due = Instant::now() + TICK;
        tokio::time::sleep_until(due.into()).await;
        let late = Instant::now().saturating_duration_since(due);
        late_max.fetch_max(late.as_millis() as u64, Ordering::Relaxed);
        if late >= LATE_REPORTED {
            eprintln!("late timer: due at {:.3}s, fired {} ms late", (due - start).as_secs_f64(), late.as_millis());
        }
    }
}
