//! The client fails fast and says why, and finds dead peers (127.0.0.1 only, bounded):
//! - a target that resolves to nothing fails calls at once with UNAVAILABLE naming the target
//!   and `KUBERPC_TARGET`; every target form reaches a server; a malformed one is refused at
//!   `connect()`;
//! - a method without `timeout_ms` gets the service's default deadline;
//! - a peer that stops answering without closing its connection (a black-holed pod) is found
//!   by HTTP/2 keepalive, so the call fails with UNAVAILABLE instead of waiting out its deadline.

mod common;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use greeter::pb::greeter_client::GreeterClient;
use greeter::pb::{greeter_deploy, HelloRequest};
use greeter::GreeterService;
use kuberpc::client::{Client, Target};
use kuberpc::{ClientPolicy, Deploy, MethodPolicy};
use tonic::Code;

const TEST_TIMEOUT: Duration = Duration::from_secs(20);

/// A resolver that finds nothing: `Err(why)` or an empty answer.
struct Nothing(Option<&'static str>);

impl kuberpc::client::Resolve for Nothing {
    fn resolve<'a>(
        &'a self,
        _host: &'a str,
        _port: u16,
    ) -> Pin<Box<dyn Future<Output = io::Result<Vec<SocketAddr>>> + Send + 'a>> {
        let answer = match self.0 {
            Some(why) => Err(io::Error::new(io::ErrorKind::NotFound, why)),
            None => Ok(Vec::new()),
        };
        Box::pin(async move { answer })
    }
}

fn hello() -> HelloRequest {
    HelloRequest { name: "kuberpc".into() }
}

#[tokio::test]
async fn a_target_that_resolves_to_nothing_fails_at_once_saying_why() {
    tokio::time::timeout(TEST_TIMEOUT, async {
        for (resolver, why) in [(Nothing(Some("no such host")), "no such host"), (Nothing(None), "no address")] {
            let channel = Client::new(&greeter_deploy::DEPLOY)
                .target("inventory-headless.shop.svc.cluster.local", 50051)
                .resolver(resolver)
                .connect()
                .await
                .unwrap();
            let started = Instant::now();
            let status = GreeterClient::new(channel).say_hello(hello()).await.unwrap_err();
            let elapsed = started.elapsed();
            assert_eq!(status.code(), Code::Unavailable, "{status:?}");
            for part in ["inventory-headless.shop.svc.cluster.local:50051", "KUBERPC_TARGET", why] {
                assert!(status.message().contains(part), "{part} missing from {:?}", status.message());
            }
            assert!(elapsed < Duration::from_millis(100), "failed after {elapsed:?}");
        }
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn every_target_form_reaches_the_server_and_a_malformed_one_is_refused() {
    let server = common::serve("127.0.0.1:0", GreeterService::new("Hello"), Duration::ZERO).await;
    let port = server.addr.port();
    tokio::time::timeout(TEST_TIMEOUT, async {
        for form in [
            format!("127.0.0.1:{port}"),
            format!("http://127.0.0.1:{port}"),
            format!("dns:///127.0.0.1:{port}"),
            format!("ipv4:127.0.0.1:{port}"),
        ] {
            let target: Target = form.parse().unwrap();
            let channel = Client::new(&greeter_deploy::DEPLOY).target_parsed(target).connect().await.unwrap();
            let reply = GreeterClient::new(channel).say_hello(hello()).await;
            assert_eq!(reply.map(|r| r.into_inner().message).ok().as_deref(), Some("Hello kuberpc!"), "{form}");
        }
    })
    .await
    .unwrap();
    for malformed in ["127.0.0.1", "grpc://127.0.0.1:1", "ipv4:127.0.0.1"] {
        let error = malformed.parse::<Target>().unwrap_err();
        assert!(error.to_string().contains(malformed), "{error}");
    }
}

/// The greeter's facts with SayHello stripped of its `timeout_ms` and the client policy given.
fn greeter_with(client: ClientPolicy) -> &'static Deploy {
    common::greeter_with(client, |m| MethodPolicy { timeout_ms: None, idempotent: false, hedge_delay_ms: None, ..m })
}

#[tokio::test]
async fn a_method_without_timeout_ms_gets_the_default_deadline() {
    let slow = common::Unary(|request| {
        Box::pin(async move {
            tokio::time::sleep(Duration::from_secs(5)).await;
            common::hello(request).await
        }) as common::Reply
    });
    let server = common::serve("127.0.0.1:0", slow, Duration::ZERO).await;
    let deploy = greeter_with(ClientPolicy { default_timeout_ms: 300, ..greeter_deploy::DEPLOY.client });
    tokio::time::timeout(TEST_TIMEOUT, async {
        let channel = Client::new(deploy).target("127.0.0.1", server.addr.port()).connect().await.unwrap();
        let started = Instant::now();
        let status = GreeterClient::new(channel).say_hello(hello()).await.unwrap_err();
        assert_eq!(status.code(), Code::DeadlineExceeded, "{status:?}");
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(300) && elapsed < Duration::from_secs(3), "{elapsed:?}");
    })
    .await
    .unwrap();
}

#[tokio::test]
async fn keepalive_finds_a_peer_that_stopped_answering() {
    let server = common::serve("127.0.0.1:0", GreeterService::new("Hello"), Duration::ZERO).await;
    let frozen = Arc::new(AtomicBool::new(false));
    let proxy = common::freezable_proxy(server.addr, frozen.clone()).await;
    let deploy = greeter_with(ClientPolicy {
        default_timeout_ms: 15_000,
        keepalive_interval_ms: 200,
        keepalive_timeout_ms: 300,
        connect_timeout_ms: 300,
        ..greeter_deploy::DEPLOY.client
    });
    tokio::time::timeout(TEST_TIMEOUT, async {
        let channel = Client::new(deploy).target("127.0.0.1", proxy.port()).connect().await.unwrap();
        let mut client = GreeterClient::new(channel);
        assert!(client.say_hello(hello()).await.is_ok(), "the proxy forwards at first");
        frozen.store(true, Ordering::SeqCst);
        let started = Instant::now();
        let status = client.say_hello(hello()).await.unwrap_err();
        let elapsed = started.elapsed();
        assert_eq!(status.code(), Code::Unavailable, "{status:?}");
        assert!(elapsed < Duration::from_secs(3), "found after {elapsed:?}, not at the 15 s deadline");
    })
    .await
    .unwrap();
}
