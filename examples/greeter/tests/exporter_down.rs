//! The collector is down (its port refuses): the server binary, exporting spans to it, answers
//! every call as before, logs the failed exports at a bounded rate (not once per call or per
//! span), and its memory stops growing once the export queue is full. Bounded: 3 rounds of
//! 8,000 calls on 127.0.0.1, each under 60 s.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use greeter::pb::greeter_client::GreeterClient;
use greeter::pb::HelloRequest;

const TASKS: usize = 8;
const CALLS_PER_ROUND: usize = 8_000;
const ROUNDS: usize = 3;

/// Resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

/// `CALLS_PER_ROUND` calls over `TASKS` connections; every one must succeed.
async fn round(addr: std::net::SocketAddr) {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let mut client = GreeterClient::new(channel.clone());
            tokio::spawn(async move {
                for _ in 0..CALLS_PER_ROUND / TASKS {
                    client.say_hello(HelloRequest { name: "down".into() }).await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collector_that_is_down_costs_no_call_and_no_growing_memory() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let logs = tempfile::NamedTempFile::new().unwrap();
    let mut server = Command::new(env!("CARGO_BIN_EXE_server"))
        .env("KUBERPC_ADDR", "127.0.0.1:0")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{closed}"))
        .env("OTEL_BSP_SCHEDULE_DELAY", "100")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(logs.reopen().unwrap())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().rsplit(' ').next().and_then(|a| a.parse().ok()).unwrap();

    let started = Instant::now();
    let mut rss = Vec::new();
    for _ in 0..ROUNDS {
        tokio::time::timeout(Duration::from_secs(60), round(addr)).await.expect("a round of calls took over 60 s");
        rss.push(rss_kib(server.id()));
    }
    let elapsed = started.elapsed();
    let _ = server.kill();
    let _ = server.wait();
    let text = std::fs::read_to_string(logs.path()).unwrap();

    // The export logs what it lost at most once per 10 s (failed batches, a full queue), not
    // each span or each batch: a line per call would be thousands.
    let export_lines = text.lines().filter(|l| l.contains("kuberpc::otlp") && l.contains("spans_lost=")).count();
    let bound = elapsed.as_secs() as usize / 10 + 2;
    assert!(export_lines >= 1, "no failed export was logged:\n{text}");
    assert!(export_lines <= bound, "{export_lines} export lines in {elapsed:?} (bound {bound})");
    assert!(!text.contains("call finished"), "a log line per call at the default level:\n{text}");
    // Once the export queue is full, spans are dropped, not kept: rounds 2 and 3 (16,000 more
    // calls) may not grow the process by more than 4 MiB (a leak of 256 bytes per span would).
    let growth = rss[ROUNDS - 1].saturating_sub(rss[0]);
    assert!(growth <= 4096, "resident memory grew by {growth} KiB after the first round: {rss:?} KiB");
}
