//! `balanced_client <spread|blackhole> [seconds]`: the client side of issue 14, measured.
//!
//! - `spread`: 8 callers in a closed loop calling SayHello for `seconds`, through a plain tonic
//!   `Channel` to one greeter, then through `kuberpc::client::Client` to that one and over
//!   all three: calls/s of each, the ratio, and the balanced client's per-replica share (max/min).
//! - `blackhole`: three greeters behind TCP proxies; the third proxy stops forwarding (holding
//!   its connections open) after 2 s; failed calls, calls/s and p99 latency in the `seconds`
//!   after that, for tonic's own balancer (`Channel::balance_list`, SayHello's 500 ms deadline
//!   set per call, what the runtime did before issue 14) and for `kuberpc::client::Client`.
//!
//! - `calls <plain|plain-deadline|kuberpc|kuberpc-once|kuberpc-quiet|kuberpc-mtls> <n>`: `n` sequential
//!   calls, for callgrind (`plain-deadline`: SayHello's 500 ms set on each call; `kuberpc-once`:
//!   SayHello neither idempotent nor hedged; `kuberpc-mtls`: both ends speaking mutual TLS with
//!   a test CA's certificates, one connection reused; `kuberpc-quiet`: its plaintext twin, the same server and client but for TLS. Those
//!   two send no keepalive pings: under callgrind the process runs ~50× slower, and a ping's
//!   2 s pong deadline passed mid-run and closed the TLS connection).
//! - `handshakes <kuberpc-quiet|kuberpc-mtls> <n>`: `n` new clients, each connecting and making one
//!   call (the difference to `calls` is what a new connection costs, its TLS handshake included).
//! - `closed-loop <kuberpc-quiet|kuberpc-mtls> <seconds>`: calls/s of [`CALLERS`] closed-loop callers
//!   over one connection (a load generator with a client certificate: h2load cannot present one).
//!
//! Servers and proxies listen on 127.0.0.1 only.

// The greeter tests' servers, counting greeter and black-hole proxy, used as they are.
#[path = "../../../examples/greeter/tests/common/mod.rs"]
mod common;
// The test CA and the mutual-TLS greeter.
#[path = "../../../examples/greeter/tests/common/mtls.rs"]
mod mtls;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use greeter::pb::greeter_client::GreeterClient;
use greeter::pb::{greeter_deploy, HelloRequest};
use tonic::transport::{Channel, Endpoint};
use tonic::Request;

const CALLERS: usize = 8;

/// A counting greeter on 127.0.0.1 that serves until the process ends; its address and counter.
async fn serve() -> (SocketAddr, Arc<AtomicUsize>) {
    let (handler, calls) = common::counting();
    let server = common::serve("127.0.0.1:0", handler, Duration::ZERO).await;
    let addr = server.addr;
    std::mem::forget(server); // dropping it would stop the server
    (addr, calls)
}

/// Every call's end time, latency and success, from [`CALLERS`] closed-loop callers.
async fn load<T>(client: GreeterClient<T>, seconds: f64, deadline: Option<Duration>) -> Vec<(Instant, Duration, bool)>
where
    T: tonic::client::GrpcService<tonic::body::Body> + Clone + Send + 'static,
    T::Future: Send,
    T::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    T::ResponseBody: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    <T::ResponseBody as http_body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>> + Send,
{
    let until = Instant::now() + Duration::from_secs_f64(seconds);
    let callers: Vec<_> = (0..CALLERS)
        .map(|_| {
            let mut client = client.clone();
            tokio::spawn(async move {
                let mut calls = Vec::new();
                while Instant::now() < until {
                    let mut request = Request::new(HelloRequest { name: "bench".into() });
                    if let Some(deadline) = deadline {
                        request.set_timeout(deadline);
                    }
                    let started = Instant::now();
                    let ok = client.say_hello(request).await.is_ok();
                    calls.push((Instant::now(), started.elapsed(), ok));
                }
                calls
            })
        })
        .collect();
    let mut all = Vec::new();
    for caller in callers {
        all.extend(caller.await.unwrap());
    }
    all
}

async fn balanced(addresses: &[SocketAddr]) -> GreeterClient<kuberpc::client::PolicyChannel> {
    let list: Vec<String> = addresses.iter().map(ToString::to_string).collect();
    let target = format!("ipv4:{}", list.join(",")).parse().unwrap();
    GreeterClient::new(
        kuberpc::client::Client::new(&greeter_deploy::DEPLOY).target_parsed(target).connect().await.unwrap(),
    )
}

async fn spread(seconds: f64) {
    let (mut addresses, mut counters) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        let (addr, calls) = serve().await;
        addresses.push(addr);
        counters.push(calls);
    }
    let plain = Endpoint::from_shared(format!("http://{}", addresses[0])).unwrap().connect().await.unwrap();
    let plain_calls = load(GreeterClient::new(plain), seconds, None).await.len();
    let single_calls = load(balanced(&addresses[..1]).await, seconds, None).await.len();
    let before: Vec<usize> = counters.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    let balanced_calls = load(balanced(&addresses).await, seconds, None).await.len();
    let shares: Vec<usize> = counters.iter().zip(&before).map(|(c, b)| c.load(Ordering::Relaxed) - b).collect();
    let (max, min) = (*shares.iter().max().unwrap(), *shares.iter().min().unwrap());
    println!(
        "spread: plain Channel to 1 server {:.0} calls/s; kuberpc Client to 1 {:.0} calls/s; over 3 {:.0} calls/s; ratio over 3 / plain {:.3}; shares {shares:?} max/min {:.3}",
        plain_calls as f64 / seconds,
        single_calls as f64 / seconds,
        balanced_calls as f64 / seconds,
        balanced_calls as f64 / plain_calls as f64,
        max as f64 / min.max(1) as f64
    );
}

async fn blackhole(seconds: f64) {
    for variant in ["tonic balance_list", "kuberpc Client"] {
        let frozen = Arc::new(AtomicBool::new(false));
        let mut proxies = Vec::new();
        for i in 0..3 {
            let (upstream, _) = serve().await;
            let switch = if i == 2 { frozen.clone() } else { Arc::new(AtomicBool::new(false)) };
            proxies.push(common::freezable_proxy(upstream, switch).await);
        }
        let warmup = 2.0;
        let switch = frozen.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs_f64(warmup)).await;
            switch.store(true, Ordering::SeqCst);
        });
        let freeze_at = Instant::now() + Duration::from_secs_f64(warmup);
        let calls = if variant.starts_with("tonic") {
            let endpoints = proxies.iter().map(|a| Endpoint::from_shared(format!("http://{a}")).unwrap());
            let deadline = Some(Duration::from_millis(500));
            load(GreeterClient::new(Channel::balance_list(endpoints)), warmup + seconds, deadline).await
        } else {
            load(balanced(&proxies).await, warmup + seconds, None).await
        };
        report(variant, &calls, freeze_at, seconds);
    }
}

/// `n` sequential calls from one caller through `variant` to one greeter (for callgrind: the
/// instructions of 4n calls minus n calls, over 3n, are the cost of one call).
async fn sequential(variant: String, n: usize) {
    if variant == "kuberpc-mtls" || variant == "kuberpc-quiet" {
        let (twins, _dirs) = TwinGreeters::start().await;
        let mut client = twins.client(&variant).await;
        for _ in 0..n {
            client.say_hello(patient_request()).await.unwrap();
        }
        return;
    }
    let (addr, _) = serve().await;
    let request = || HelloRequest { name: "bench".into() };
    if variant.starts_with("plain") {
        let channel = Endpoint::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
        let mut client = GreeterClient::new(channel);
        for _ in 0..n {
            let mut request = Request::new(request());
            if variant == "plain-deadline" {
                request.set_timeout(Duration::from_millis(500));
            }
            client.say_hello(request).await.unwrap();
        }
    } else {
        let deploy = if variant == "kuberpc-once" { once_deploy() } else { &greeter_deploy::DEPLOY };
        let target = format!("ipv4:{addr}").parse().unwrap();
        let channel = kuberpc::client::Client::new(deploy).target_parsed(target).connect().await.unwrap();
        let mut client = GreeterClient::new(channel);
        for _ in 0..n {
            client.say_hello(request()).await.unwrap();
        }
    }
}

/// Two greeters on 127.0.0.1 serving until the process ends, alike but for TLS: one speaking
/// mutual TLS with a test CA's certificates (in the returned directory), checking each call
/// against its callers, and its plaintext twin (same handler, metrics, health port and client
/// policy; the client dials both by name through the same resolver).
struct TwinGreeters {
    mtls: SocketAddr,
    plaintext: SocketAddr,
    client_dir: std::path::PathBuf,
}

impl TwinGreeters {
    async fn start() -> (Self, tempfile::TempDir) {
        let (ca, dirs) = (mtls::Ca::new("bench CA"), tempfile::tempdir().unwrap());
        ca.issue(&dirs.path().join("greeter"), "greeter");
        ca.issue(&dirs.path().join("front"), "front");
        let served = mtls::serve(&dirs.path().join("greeter"), kuberpc::metrics::RpcMetrics::new()).await;
        let twin = mtls::serve_plaintext_twin(kuberpc::metrics::RpcMetrics::new()).await;
        let (mtls, plaintext) = (served.addr, twin.addr);
        std::mem::forget((served, twin)); // dropping them would stop the servers
        (Self { mtls, plaintext, client_dir: dirs.path().join("front") }, dirs)
    }

    /// A new client (its own connection) of `variant`: `kuberpc-mtls` with the declared
    /// caller's certificate, else `kuberpc-quiet`, to the plaintext twin.
    async fn client(&self, variant: &str) -> GreeterClient<kuberpc::client::PolicyChannel> {
        if variant == "kuberpc-mtls" {
            mtls::client_of(quiet(mtls::deploy()), self.mtls, &self.client_dir).await
        } else {
            mtls::plaintext_client_of(quiet(mtls::plaintext_twin()), self.plaintext).await
        }
    }
}

/// `deploy` with no keepalive pings from its clients (see the module docs).
fn quiet(deploy: &'static kuberpc::Deploy) -> &'static kuberpc::Deploy {
    let client = kuberpc::ClientPolicy { keepalive_interval_ms: 3_600_000, ..deploy.client };
    Box::leak(Box::new(kuberpc::Deploy { client, ..*deploy }))
}

/// A SayHello request with a 30 s deadline: under callgrind (~50× slower, threads taking
/// turns) SayHello's 500 ms were sometimes spent waiting for a turn, or on a TLS handshake.
fn patient_request() -> Request<HelloRequest> {
    let mut request = Request::new(HelloRequest { name: "bench".into() });
    request.set_timeout(Duration::from_secs(30));
    request
}

/// `n` new clients of `variant`, each making one call.
async fn handshakes(variant: String, n: usize) {
    let (twins, _dirs) = TwinGreeters::start().await;
    for _ in 0..n {
        let mut client = twins.client(&variant).await;
        client.say_hello(patient_request()).await.unwrap();
    }
}

/// Calls/s of [`CALLERS`] closed-loop callers of `variant` over one connection.
async fn closed_loop(variant: String, seconds: f64) {
    let (twins, _dirs) = TwinGreeters::start().await;
    let client = twins.client(&variant).await;
    load(client.clone(), 1.0, None).await; // warm-up
    let calls = load(client, seconds, None).await;
    let failed = calls.iter().filter(|c| !c.2).count();
    println!("closed-loop {variant}: {:.0} calls/s, {failed} failed", calls.len() as f64 / seconds);
}

/// The example's facts with every method neither idempotent nor hedged: one attempt per call,
/// no buffering, no hedge timer (what is left is deadline, trace context, budget and pick).
fn once_deploy() -> &'static kuberpc::Deploy {
    let methods: Vec<kuberpc::MethodPolicy> = greeter_deploy::DEPLOY
        .methods
        .iter()
        .map(|m| kuberpc::MethodPolicy { idempotent: false, hedge_delay_ms: None, ..*m })
        .collect();
    let methods: &'static [kuberpc::MethodPolicy] = Box::leak(methods.into_boxed_slice());
    Box::leak(Box::new(kuberpc::Deploy { methods, ..greeter_deploy::DEPLOY }))
}

fn report(variant: &str, calls: &[(Instant, Duration, bool)], freeze_at: Instant, seconds: f64) {
    let before: Vec<_> = calls.iter().filter(|c| c.0 < freeze_at).collect();
    let mut after: Vec<_> = calls.iter().filter(|c| c.0 >= freeze_at).collect();
    let failed = after.iter().filter(|c| !c.2).count();
    after.sort_by_key(|c| c.1);
    let p99 = after.get(after.len() * 99 / 100).map_or(Duration::ZERO, |c| c.1);
    let p50 = after.get(after.len() / 2).map_or(Duration::ZERO, |c| c.1);
    println!(
        "blackhole {variant}: before {:.0} calls/s; after the freeze {failed} of {} calls failed, {:.0} calls/s, p50 {:.2} ms, p99 {:.2} ms",
        before.len() as f64 / 2.0,
        after.len(),
        after.len() as f64 / seconds,
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_default();
    let variant = if ["calls", "handshakes", "closed-loop"].contains(&mode.as_str()) {
        args.next().unwrap_or_default()
    } else {
        String::new()
    };
    let number: f64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(10.0);
    match mode.as_str() {
        "spread" => spread(number).await,
        "blackhole" => blackhole(number).await,
        "calls" => sequential(variant, number as usize).await,
        "handshakes" => handshakes(variant, number as usize).await,
        "closed-loop" => closed_loop(variant, number).await,
        _ => eprintln!("usage: balanced_client <spread|blackhole> [seconds] | calls <plain|plain-deadline|kuberpc|kuberpc-once|kuberpc-quiet|kuberpc-mtls> <n> | handshakes <kuberpc-quiet|kuberpc-mtls> <n> | closed-loop <kuberpc-quiet|kuberpc-mtls> <seconds>"),
    }
}
