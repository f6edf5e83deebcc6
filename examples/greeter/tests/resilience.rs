//! The balanced client against failing pods (127.0.0.1 only, bounded in count and time):
//! - a pod that stops answering without closing its connections (a black-holed pod IP) under
//!   continuous load costs hedged idempotent calls nothing, and other calls at most the one
//!   each caller had in flight;
//! - a failing pod is ejected, gets no call while ejected, and gets its share after it returns;
//! - a retry goes to another pod; when every pod is down retries stay within the budget;
//! - a pod at `max_concurrent_requests` is skipped, and a call fails at once when all are.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use greeter::pb::greeter_client::GreeterClient;
use greeter::pb::{greeter_deploy, HelloRequest};
use kuberpc::client::{Client, PolicyChannel};
use kuberpc::{ClientPolicy, Deploy, MethodPolicy};
use tonic::{Code, Status};

const TEST_TIMEOUT: Duration = Duration::from_secs(60);
/// Callers running at once, each in a closed loop (a call, then the next).
const CALLERS: usize = 8;

async fn client(deploy: &'static Deploy, addresses: Vec<SocketAddr>) -> GreeterClient<PolicyChannel> {
    let channel = Client::new(deploy)
        .target("greeter-headless.test.svc.cluster.local", 50051)
        .resolver(common::Fixed::new(addresses))
        .connect()
        .await
        .unwrap();
    GreeterClient::new(channel)
}

fn hello() -> HelloRequest {
    HelloRequest { name: "kuberpc".into() }
}

/// What a load run saw.
#[derive(Debug, Default)]
struct Tally {
    ok: usize,
    failed: Vec<Status>,
}

/// [`CALLERS`] callers calling SayHello in a closed loop for `duration`.
async fn load(client: GreeterClient<PolicyChannel>, duration: Duration) -> Tally {
    let until = Instant::now() + duration;
    let callers: Vec<_> = (0..CALLERS)
        .map(|_| {
            let mut client = client.clone();
            tokio::spawn(async move {
                let mut tally = Tally::default();
                while Instant::now() < until {
                    match client.say_hello(hello()).await {
                        Ok(_) => tally.ok += 1,
                        Err(status) => tally.failed.push(status),
                    }
                }
                tally
            })
        })
        .collect();
    let mut total = Tally::default();
    for caller in callers {
        let tally = caller.await.unwrap();
        total.ok += tally.ok;
        total.failed.extend(tally.failed);
    }
    total
}

/// Three greeters, each behind a proxy that can black-hole it; under load for 3 s, the third
/// goes silent after 1 s.
async fn black_hole_run(deploy: &'static Deploy) -> Tally {
    let mut proxies = Vec::new();
    let frozen = Arc::new(AtomicBool::new(false));
    for i in 0..3 {
        let server = common::serve("127.0.0.1:0", common::counting().0, Duration::ZERO).await;
        let switch = if i == 2 { frozen.clone() } else { Arc::new(AtomicBool::new(false)) };
        proxies.push(common::freezable_proxy(server.addr, switch).await);
        std::mem::forget(server); // serves until the test process ends
    }
    let client = client(deploy, proxies).await;
    let run = tokio::spawn(load(client, Duration::from_secs(3)));
    tokio::time::sleep(Duration::from_secs(1)).await;
    frozen.store(true, Ordering::SeqCst);
    let tally = run.await.unwrap();
    println!("{} calls ok, {} failed: {:?}", tally.ok, tally.failed.len(), tally.failed.first());
    assert!(tally.ok > 1000, "the load ran: {tally:?}");
    tally
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_black_holed_pod_costs_hedged_idempotent_calls_nothing() {
    let say_hello = greeter_deploy::DEPLOY.method("/greeter.v1.Greeter/SayHello").unwrap();
    assert!(say_hello.idempotent && say_hello.hedge_delay_ms.is_some(), "the example hedges SayHello");
    let tally = tokio::time::timeout(TEST_TIMEOUT, black_hole_run(&greeter_deploy::DEPLOY)).await.unwrap();
    assert!(tally.failed.is_empty(), "{} calls failed: {:?}", tally.failed.len(), tally.failed.first());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_black_holed_pod_costs_other_callers_at_most_their_call_in_flight() {
    let deploy = common::greeter_with(greeter_deploy::DEPLOY.client, |m| MethodPolicy {
        idempotent: false,
        hedge_delay_ms: None,
        ..m
    });
    let tally = tokio::time::timeout(TEST_TIMEOUT, black_hole_run(deploy)).await.unwrap();
    assert!(tally.failed.len() <= CALLERS, "{} calls failed, more than the {CALLERS} callers", tally.failed.len());
    for status in &tally.failed {
        assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
    }
}

/// SayHello idempotent without hedging, and `client` as the client policy.
fn retrying(client: ClientPolicy) -> &'static Deploy {
    common::greeter_with(client, |m| MethodPolicy { hedge_delay_ms: None, ..m })
}

async fn call(client: &mut GreeterClient<PolicyChannel>, times: usize) -> usize {
    let mut ok = 0;
    for _ in 0..times {
        ok += usize::from(client.say_hello(hello()).await.is_ok());
    }
    ok
}

/// Three switchable greeters on 127.0.0.1: their addresses, call counters and switches.
async fn switchable_servers(n: usize) -> (Vec<SocketAddr>, Vec<Arc<AtomicUsize>>, Vec<Arc<AtomicBool>>) {
    let mut servers = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n {
        let switchable = common::switchable();
        let server = common::serve("127.0.0.1:0", switchable.handler, Duration::ZERO).await;
        servers.0.push(server.addr);
        servers.1.push(switchable.calls);
        servers.2.push(switchable.down);
        std::mem::forget(server);
    }
    servers
}

#[tokio::test]
async fn a_failing_pod_is_ejected_and_gets_its_share_after_it_returns() {
    let policy = ClientPolicy { eject_after_failures: 5, base_ejection_ms: 1_000, ..greeter_deploy::DEPLOY.client };
    tokio::time::timeout(TEST_TIMEOUT, async {
        let (addresses, calls, down) = switchable_servers(3).await;
        let mut client = client(retrying(policy), addresses).await;
        down[2].store(true, Ordering::SeqCst);
        assert_eq!(call(&mut client, 100).await, 100, "retried on the other pods");
        let attempts = common::count(&calls[2]);
        assert!((5..=8).contains(&attempts), "ejected after 5 failures in a row, not {attempts}");
        let started = Instant::now();
        assert_eq!(call(&mut client, 200).await, 200);
        assert!(started.elapsed() < Duration::from_millis(900), "still inside the ejection");
        assert_eq!(common::count(&calls[2]), attempts, "an ejected pod got calls");

        down[2].store(false, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(1_100)).await;
        let before = common::count(&calls[2]);
        assert_eq!(call(&mut client, 300).await, 300);
        let share = common::count(&calls[2]) - before;
        assert!((60..=140).contains(&share), "the returned pod got {share} of 300 calls");
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn a_retry_goes_to_another_pod() {
    // Never eject, and a budget that allows every retry: only where the retry goes matters.
    let policy = ClientPolicy { eject_after_failures: 0, retry_budget_percent: 100, ..greeter_deploy::DEPLOY.client };
    tokio::time::timeout(TEST_TIMEOUT, async {
        let (addresses, calls, down) = switchable_servers(2).await;
        let mut client = client(retrying(policy), addresses).await;
        down[0].store(true, Ordering::SeqCst);
        assert_eq!(call(&mut client, 200).await, 200, "every call found the pod that answers");
        let failing = common::count(&calls[0]);
        assert!(failing > 50 && failing <= 200, "at most one attempt per call on the failing pod: {failing}");
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn when_every_pod_is_down_retries_stay_within_the_budget() {
    let policy = greeter_deploy::DEPLOY.client;
    tokio::time::timeout(TEST_TIMEOUT, async {
        let (addresses, calls, down) = switchable_servers(3).await;
        for switch in &down {
            switch.store(true, Ordering::SeqCst);
        }
        let mut client = client(retrying(policy), addresses).await;
        const CALLS: usize = 300;
        let started = Instant::now();
        assert_eq!(call(&mut client, CALLS).await, 0);
        let seconds = started.elapsed().as_secs() as usize + 1;
        let attempts: usize = calls.iter().map(|c| common::count(c)).sum();
        let budget =
            CALLS * policy.retry_budget_percent as usize / 100 + policy.min_retries_per_second as usize * (seconds + 1);
        println!("{attempts} attempts for {CALLS} calls in {seconds} s; budget {budget} retries");
        assert!(attempts > CALLS, "some retries were allowed");
        assert!(attempts <= CALLS + budget, "{attempts} attempts exceed {CALLS} calls + {budget} retries");
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn a_pod_at_its_concurrency_limit_makes_calls_fail_fast() {
    let slow = common::Unary(|request| {
        Box::pin(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            common::hello(request).await
        }) as common::Reply
    });
    let server = common::serve("127.0.0.1:0", slow, Duration::ZERO).await;
    let policy = ClientPolicy { max_concurrent_requests: 2, ..greeter_deploy::DEPLOY.client };
    let deploy = common::greeter_with(policy, |m| MethodPolicy { timeout_ms: Some(5_000), hedge_delay_ms: None, ..m });
    tokio::time::timeout(TEST_TIMEOUT, async {
        let client = client(deploy, vec![server.addr]).await;
        let busy: Vec<_> = (0..2)
            .map(|_| {
                let mut client = client.clone();
                tokio::spawn(async move { client.say_hello(hello()).await })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let started = Instant::now();
        let status = client.clone().say_hello(hello()).await.unwrap_err();
        assert_eq!(status.code(), Code::Unavailable, "{status:?}");
        assert!(status.message().contains("max_concurrent_requests (2)"), "{status:?}");
        assert!(started.elapsed() < Duration::from_millis(100), "failed after {:?}", started.elapsed());
        for call in busy {
            assert!(call.await.unwrap().is_ok(), "the calls in flight finish");
        }
    })
    .await
    .unwrap();
}
