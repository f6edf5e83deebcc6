//! The runtime against real servers on 127.0.0.0/8: balancing over every resolved address,
//! surviving a stopped replica, per-method deadlines, spans and traceparent propagation.
//! Loops are bounded in count and every test in time.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use common::{Fixed, Reply, Unary};
use greeter::pb::greeter_client::GreeterClient;
use greeter::pb::{greeter_deploy, HelloRequest};
use kuberpc::client::{Client, PolicyChannel};
use tonic::Request;

const TEST_TIMEOUT: Duration = Duration::from_secs(60);
const CALLS: usize = 3000;

async fn balanced(addresses: Vec<std::net::SocketAddr>) -> GreeterClient<PolicyChannel> {
    let channel = Client::new(&greeter_deploy::DEPLOY)
        .target("greeter-headless.test.svc.cluster.local", addresses[0].port())
        .resolver(Fixed::new(addresses))
        .refresh(Duration::from_millis(200))
        .connect()
        .await
        .unwrap();
    GreeterClient::new(channel)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_spread_over_every_replica_and_survive_a_stopped_one() {
    tokio::time::timeout(TEST_TIMEOUT, async {
        // Three replicas on three loopback addresses, one port, like pods behind one name.
        let (handlers, calls): (Vec<_>, Vec<_>) = (0..3).map(|_| common::counting()).unzip();
        let mut handlers = handlers.into_iter();
        let first = common::serve("127.0.0.1:0", handlers.next().unwrap(), Duration::ZERO).await;
        let port = first.addr.port();
        let second = common::serve(&format!("127.0.0.2:{port}"), handlers.next().unwrap(), Duration::ZERO).await;
        let mut third = common::serve(&format!("127.0.0.3:{port}"), handlers.next().unwrap(), Duration::ZERO).await;
        let mut client = balanced(vec![first.addr, second.addr, third.addr]).await;

        for i in 0..CALLS {
            client.say_hello(HelloRequest { name: format!("{i}") }).await.unwrap();
        }
        let shares: Vec<usize> = calls.iter().map(|c| common::count(c)).collect();
        println!("per-replica calls out of {CALLS}: {shares:?}");
        let third_of = CALLS / 3;
        for share in &shares {
            assert!(share.abs_diff(third_of) <= third_of / 10, "shares {shares:?} are not within ±10% of {third_of}");
        }

        // Stop one replica; DNS still lists it (as before the endpoint is removed).
        third.stop();
        third.task.await.unwrap().unwrap();
        let before = common::count(&calls[2]);
        for i in 0..300 {
            let reply = client.say_hello(HelloRequest { name: format!("after {i}") }).await;
            assert!(reply.is_ok(), "call {i} after the stop failed: {reply:?}");
        }
        assert_eq!(common::count(&calls[2]), before, "the stopped replica answered");
    })
    .await
    .expect("the test finished in time");
}

/// Answers SayHello after `delay`.
fn slow(delay: Duration) -> Unary<impl Fn(Request<HelloRequest>) -> Reply + Clone + Send + Sync + 'static> {
    Unary(move |request| {
        Box::pin(async move {
            tokio::time::sleep(delay).await;
            common::hello(request).await
        }) as Reply
    })
}

#[tokio::test]
async fn the_method_timeout_is_the_default_deadline() {
    let server = common::serve("127.0.0.1:0", slow(Duration::from_secs(3)), Duration::ZERO).await;
    let mut client = balanced(vec![server.addr]).await;
    let timeout = Duration::from_millis(
        greeter_deploy::DEPLOY.method("/greeter.v1.Greeter/SayHello").unwrap().timeout_ms.unwrap(),
    );

    let start = Instant::now();
    let error = client.say_hello(HelloRequest { name: "slow".into() }).await.unwrap_err();
    let elapsed = start.elapsed();
    println!("DEADLINE_EXCEEDED after {elapsed:?} (timeout_ms {timeout:?})");
    assert_eq!(error.code(), tonic::Code::DeadlineExceeded, "{error:?}");
    // Not before the deadline, and long before the 3 s handler could have answered (the
    // slack only absorbs a loaded machine).
    assert!(
        elapsed >= timeout - Duration::from_millis(20) && elapsed < timeout + Duration::from_secs(1),
        "{elapsed:?}"
    );

    // The caller's own deadline wins.
    let mut request = Request::new(HelloRequest { name: "patient".into() });
    request.set_timeout(Duration::from_millis(100));
    let start = Instant::now();
    let error = client.say_hello(request).await.unwrap_err();
    assert_eq!(error.code(), tonic::Code::DeadlineExceeded);
    assert!(start.elapsed() < timeout, "{:?}", start.elapsed());
}

/// Keeps the traceparent each SayHello carries, then answers — through `next` when given,
/// a call made from inside the handler.
fn relay(
    next: Option<GreeterClient<PolicyChannel>>,
    seen: Arc<Mutex<Vec<String>>>,
) -> Unary<impl Fn(Request<HelloRequest>) -> Reply + Clone + Send + Sync + 'static> {
    Unary(move |request: Request<HelloRequest>| {
        let traceparent = request.metadata().get("traceparent").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        seen.lock().unwrap().push(traceparent);
        let next = next.clone();
        Box::pin(async move {
            match next {
                Some(mut next) => next.say_hello(request.into_inner()).await,
                None => common::hello(request).await,
            }
        }) as Reply
    })
}

/// Everything the global subscriber printed.
fn logs() -> &'static Mutex<Vec<u8>> {
    static LOGS: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        struct Sink;
        impl Write for Sink {
            fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
                logs().lock().unwrap().extend_from_slice(bytes);
                Ok(bytes.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        tracing_subscriber::fmt().with_ansi(false).with_max_level(tracing::Level::DEBUG).with_writer(|| Sink).init();
        Mutex::new(Vec::new())
    })
}

#[tokio::test]
async fn calls_get_spans_and_outgoing_calls_carry_the_trace() {
    logs();
    let backend_seen = Arc::new(Mutex::new(Vec::new()));
    let backend = common::serve("127.0.0.1:0", relay(None, backend_seen.clone()), Duration::ZERO).await;
    let to_backend = balanced(vec![backend.addr]).await;
    let front_seen = Arc::new(Mutex::new(Vec::new()));
    let front = common::serve("127.0.0.1:0", relay(Some(to_backend), front_seen.clone()), Duration::ZERO).await;

    let mut client = balanced(vec![front.addr]).await;
    let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let mut request = Request::new(HelloRequest { name: "traced".into() });
    request.metadata_mut().insert("traceparent", parent.parse().unwrap());
    let reply = client.say_hello(request).await.unwrap();
    assert_eq!(reply.into_inner().message, "Hello traced!");

    assert_eq!(front_seen.lock().unwrap().as_slice(), [parent]);
    let onward = backend_seen.lock().unwrap()[0].clone();
    assert!(onward.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"), "{onward}");
    assert_ne!(onward, parent, "the outgoing call needs its own parent id");

    let text = String::from_utf8(logs().lock().unwrap().clone()).unwrap();
    let finished: Vec<&str> = text.lines().filter(|l| l.contains("call finished")).collect();
    assert!(
        finished.iter().any(|l| l.contains("rpc.service=greeter.v1.Greeter")
            && l.contains("rpc.method=SayHello")
            && l.contains("rpc.grpc.status_code=0")
            && l.contains("duration_ms=")),
        "no finished-call span in:\n{text}"
    );
}

/// A call still running at the client's deadline ends with DEADLINE_EXCEEDED from the server
/// itself (tonic's own timer would say CANCELLED), so clients in any language see the right
/// code. The call is made with raw HTTP/2 (`h2`): every gRPC client library runs a timer of
/// its own that could answer first, and the server's answer is what is tested.
#[tokio::test]
async fn the_server_answers_deadline_exceeded_at_the_clients_deadline() {
    let server = common::serve("127.0.0.1:0", slow(Duration::from_secs(3)), Duration::ZERO).await;
    let tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let (h2, connection) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(connection);
    for _ in 0..5 {
        let request = http::Request::post(format!("http://{}/greeter.v1.Greeter/SayHello", server.addr))
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .header("grpc-timeout", "200m")
            .body(())
            .unwrap();
        let started = Instant::now();
        let (response, mut body) = h2.clone().ready().await.unwrap().send_request(request, false).unwrap();
        // One gRPC message: not compressed, 6 bytes, HelloRequest { name: "late" }.
        body.send_data(bytes::Bytes::from_static(b"\0\0\0\0\x06\x0a\x04late"), true).unwrap();
        let response = tokio::time::timeout(TEST_TIMEOUT, response).await.unwrap().unwrap();
        let status = response.headers().get("grpc-status").map(|v| v.to_str().unwrap().to_string());
        assert_eq!(status.as_deref(), Some("4"), "DEADLINE_EXCEEDED from the server: {response:?}");
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    }
}
