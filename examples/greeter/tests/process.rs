//! The server binary as a real process: a SIGTERM under load with two replicas behind the
//! balanced client loses no call, and a foreign client (Python grpcio, from
//! `scripts/setup-test-tools`) sees health, reflection and the drain. Servers listen on
//! 127.0.0.0/8; the load is bounded in calls and time.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use greeter::pb::greeter_client::GreeterClient;
use greeter::pb::{greeter_deploy, HelloRequest};
use kuberpc::client::Client;

const LOAD_TASKS: usize = 8;
const MAX_CALLS_PER_TASK: usize = 20_000;
const DNS_REFRESH: Duration = Duration::from_millis(200);

/// A running `server` binary.
struct ServerProcess {
    child: Child,
    addr: SocketAddr,
}

impl ServerProcess {
    /// Starts the server on `addr` with a `drain_seconds` drain; waits for its address line.
    fn start(addr: &str, drain_seconds: u32) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
            .env("KUBERPC_ADDR", addr)
            .env("KUBERPC_DRAIN_SECONDS", drain_seconds.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let addr = line.trim().rsplit(' ').next().and_then(|a| a.parse().ok());
        let addr = addr.unwrap_or_else(|| panic!("the server printed {line:?}, not its address"));
        Self { child, addr }
    }

    fn sigterm(&self) {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
    }

    /// Waits up to `limit` for the process to exit; `true` if it exited successfully.
    fn wait(&mut self, limit: Duration) -> bool {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_under_load_loses_no_call() {
    let mut draining = ServerProcess::start("127.0.0.1:0", 1);
    let staying = ServerProcess::start("127.0.0.2:0", 1);
    let dns = common::Fixed::new(vec![draining.addr, staying.addr]);
    let channel = Client::new(&greeter_deploy::DEPLOY)
        .target("greeter-headless.test.svc.cluster.local", greeter_deploy::PORT)
        .resolver(dns.clone())
        .refresh(DNS_REFRESH)
        .connect()
        .await
        .unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let load: Vec<_> = (0..LOAD_TASKS)
        .map(|task| {
            let mut client = GreeterClient::new(channel.clone());
            let stop = stop.clone();
            tokio::spawn(async move {
                let (mut ok, mut failed) = (0usize, Vec::new());
                for i in 0..MAX_CALLS_PER_TASK {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    match client.say_hello(HelloRequest { name: format!("{task}-{i}") }).await {
                        Ok(_) => ok += 1,
                        Err(status) => failed.push(status),
                    }
                }
                (ok, failed)
            })
        })
        .collect();

    tokio::time::sleep(Duration::from_millis(500)).await;
    // As in a cluster: the pod gets SIGTERM and leaves the endpoints (so DNS) at once; its
    // drain (1 s) outlasts the clients' re-resolution (200 ms).
    draining.sigterm();
    dns.remove(draining.addr);
    let exited_cleanly = tokio::task::spawn_blocking(move || draining.wait(Duration::from_secs(15))).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::SeqCst);

    let (mut ok, mut failed) = (0, Vec::new());
    for task in load {
        let (task_ok, task_failed) = task.await.unwrap();
        ok += task_ok;
        failed.extend(task_failed);
    }
    println!("calls during the SIGTERM: {ok} succeeded, {} failed", failed.len());
    assert!(exited_cleanly, "the draining server did not exit cleanly within its grace period");
    assert!(ok > 100, "too little load to mean anything: {ok}");
    assert!(failed.is_empty(), "{} calls failed, first: {:?}", failed.len(), failed.first());
    drop(staying);
}

fn python() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python");
    assert!(
        path.is_file(),
        "{} is missing: run scripts/setup-test-tools (the README's test command does)",
        path.display()
    );
    path
}

fn foreign_client(mode: &str, port: u16) {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/foreign_client.py");
    let output = Command::new(python()).arg(script).arg(mode).arg(port.to_string()).output().unwrap();
    let printed = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "python client, {mode}: {printed}");
}

#[test]
fn a_python_client_sees_health_reflection_and_the_drain() {
    let mut server = ServerProcess::start("127.0.0.1:0", 3);
    foreign_client("serving", server.addr.port());
    server.sigterm();
    std::thread::sleep(Duration::from_millis(300));
    foreign_client("draining", server.addr.port());
    assert!(server.wait(Duration::from_secs(15)), "the server did not exit cleanly after its drain");
}
