//! A server at its file descriptor limit: the server binary under `prlimit --nofile=64` with
//! 100 connections held open. `accept` then fails with EMFILE while the connections stay
//! queued; the server must rest between attempts (a loop that retries at once spun ~70 % of
//! a core here, logging nothing), say why once, and serve again when descriptors are free.
//! Bounded: 100 connections on 127.0.0.1, a 2 s window, calls under 10 s.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;

use greeter::pb::greeter_client::GreeterClient;
use greeter::pb::HelloRequest;

const LIMIT: usize = 64;
const HELD: usize = 100;
const WINDOW: Duration = Duration::from_secs(2);

/// CPU time (user + system) a process has used, in clock ticks (1/100 s on Linux).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name, which ends with the last ')': utime and stime are the
    // 12th and 13th of them.
    let fields: Vec<&str> = stat.rsplit_once(')').unwrap().1.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[tokio::test]
async fn out_of_file_descriptors_the_server_rests_then_serves_again() {
    let logs = tempfile::NamedTempFile::new().unwrap();
    let mut server = Command::new("prlimit")
        .arg(format!("--nofile={LIMIT}"))
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_server"))
        .env("KUBERPC_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(logs.reopen().unwrap())
        .spawn()
        .expect("prlimit (util-linux) runs the server with a low descriptor limit");
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr: SocketAddr = line.trim().rsplit(' ').next().and_then(|a| a.parse().ok()).unwrap();

    let held: Vec<TcpStream> = (0..HELD).map(|_| TcpStream::connect(addr).unwrap()).collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = cpu_ticks(server.id());
    tokio::time::sleep(WINDOW).await;
    let busy = cpu_ticks(server.id()) - before;
    drop(held);

    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}")).unwrap();
    let call = async {
        let mut client = GreeterClient::new(channel.connect().await?);
        client.say_hello(HelloRequest { name: "again".into() }).await.map_err(Box::from)
    };
    let reply: Result<_, Box<dyn std::error::Error>> = tokio::time::timeout(Duration::from_secs(10), call)
        .await
        .expect("no answer 10 s after the held connections closed");
    let _ = server.kill();
    let _ = server.wait();
    let text = std::fs::read_to_string(logs.path()).unwrap();
    reply.unwrap_or_else(|e| panic!("the server did not serve again: {e}\n{text}"));

    // The whole window on one core is 200 ticks; a resting loop uses next to none.
    let window_ticks = WINDOW.as_millis() as u64 / 10;
    eprintln!("{busy} of {window_ticks} CPU ticks while out of descriptors; {text}");
    assert!(
        busy * 4 < window_ticks,
        "{busy} of {window_ticks} CPU ticks while out of descriptors: the accept loop spins"
    );
    let warnings = text.lines().filter(|l| l.contains("cannot accept connections")).collect::<Vec<_>>();
    assert!(
        warnings.iter().any(|l| l.contains("listener=\"grpc\"") && l.contains("Too many open files")),
        "no warning naming the listener and the error:\n{text}"
    );
    // Once per run of failures, not once per failed accept.
    assert!(warnings.len() <= 10, "{} warnings:\n{text}", warnings.len());
    assert!(text.contains("accepting connections again"), "the recovery was not logged:\n{text}");
}
