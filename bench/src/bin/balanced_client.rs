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
//! - `calls <plain|plain-deadline|kuberpc|kuberpc-once> <n>`: `n` sequential calls, for
//!   callgrind (`plain-deadline`: SayHello's 500 ms set on each call; `kuberpc-once`: SayHello
//!   neither idempotent nor hedged).
//!
//! Servers and proxies listen on 127.0.0.1 only.

// The greeter tests' servers, counting greeter and black-hole proxy, used as they are.
#[path = "../../../examples/greeter/tests/common/mod.rs"]
mod common;

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
    let variant = if mode == "calls" { args.next().unwrap_or_default() } else { String::new() };
    let number: f64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(10.0);
    match mode.as_str() {
        "spread" => spread(number).await,
        "blackhole" => blackhole(number).await,
        "calls" => sequential(variant, number as usize).await,
        _ => eprintln!("usage: balanced_client <spread|blackhole> [seconds] | calls <plain|plain-deadline|kuberpc|kuberpc-once> <n>"),
    }
}
