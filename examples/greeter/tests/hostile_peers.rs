//! Peers that do not play by the rules (issue "Hostile input and hostile peers"): a connection
//! that never says hello, a slow loris on the metrics port, a `grpc-timeout` that overflows,
//! a connection left idle; and reflection switched off. Servers on 127.0.0.1 with short
//! limits; every wait and loop is bounded.

mod common;

use std::time::{Duration, Instant};

use bytes::Bytes;
use greeter::GreeterService;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One gRPC message: not compressed, 6 bytes, HelloRequest { name: "late" }.
const HELLO: &[u8] = b"\0\0\0\0\x06\x0a\x04late";

/// An HTTP/2 connection to `addr` from the `h2` crate, driven in the background; the task
/// ends when the connection does.
async fn h2_connect(addr: std::net::SocketAddr) -> (h2::client::SendRequest<Bytes>, tokio::task::JoinHandle<()>) {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (h2, connection) = h2::client::handshake(tcp).await.unwrap();
    let task = tokio::spawn(async move {
        let _ = connection.await;
    });
    (h2, task)
}

/// A gRPC request to `path` on `addr`, with `headers` added.
fn grpc_request(addr: std::net::SocketAddr, path: &str, headers: &[(&str, &[u8])]) -> http::Request<()> {
    let mut request = http::Request::post(format!("http://{addr}{path}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers");
    for (name, value) in headers {
        request = request.header(*name, http::HeaderValue::from_bytes(value).unwrap());
    }
    request.body(()).unwrap()
}

/// The grpc-status of a unary call of `path` with `message` (from the trailers, or the headers
/// of a trailers-only answer) and the bytes of the answer.
async fn unary(
    h2: &h2::client::SendRequest<Bytes>,
    request: http::Request<()>,
    message: &'static [u8],
) -> Result<(Option<String>, Vec<u8>), h2::Error> {
    let (response, mut body) = h2.clone().ready().await?.send_request(request, false)?;
    body.send_data(Bytes::from_static(message), true)?;
    let response = response.await?;
    let status = |headers: &http::HeaderMap| headers.get("grpc-status").map(|v| v.to_str().unwrap().to_string());
    let mut status_in_headers = status(response.headers());
    let mut body = response.into_body();
    let mut data = Vec::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk?;
        let _ = body.flow_control().release_capacity(chunk.len());
        data.extend_from_slice(&chunk);
    }
    if let Some(trailers) = body.trailers().await? {
        status_in_headers = status_in_headers.or(status(&trailers));
    }
    Ok((status_in_headers, data))
}

/// A TCP connection that never sends the HTTP/2 preface is closed at the handshake timeout;
/// one that sent it is not, however long it then waits before its first call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_never_speaks_is_closed_at_the_handshake_timeout() {
    let timeout = Duration::from_millis(500);
    let server =
        common::serve_configured("127.0.0.1:0", GreeterService::new("Hello"), |s| s.handshake_timeout(timeout)).await;

    let mut silent = TcpStream::connect(server.addr).await.unwrap();
    let started = Instant::now();
    // The server's SETTINGS come first; then the end of the connection.
    let mut received = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), silent.read_to_end(&mut received)).await;
    let closed_after = started.elapsed();
    println!("silent connection: {} bytes from the server, closed after {closed_after:?}", received.len());
    assert!(read.is_ok(), "still open after 5 s (handshake timeout {timeout:?})");
    assert!(closed_after >= timeout - Duration::from_millis(50), "closed before the timeout: {closed_after:?}");

    // A client that said hello may take its time: three handshake timeouts later, a call works.
    let (h2, _connection) = h2_connect(server.addr).await;
    tokio::time::sleep(3 * timeout).await;
    let request = grpc_request(server.addr, "/greeter.v1.Greeter/SayHello", &[]);
    let (status, _) = tokio::time::timeout(Duration::from_secs(5), unary(&h2, request, HELLO)).await.unwrap().unwrap();
    assert_eq!(status.as_deref(), Some("0"));
}

/// A slow loris on the metrics port — a request line, then one header byte every 200 ms — is
/// closed at the header read timeout; the endpoint then still answers a real scrape.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_loris_on_the_metrics_port_is_closed_at_the_header_read_timeout() {
    let timeout = Duration::from_secs(1);
    let metrics_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let metrics_addr = metrics_listener.local_addr().unwrap();
    let _server = common::serve_configured("127.0.0.1:0", GreeterService::new("Hello"), |s| {
        s.metrics(kuberpc::metrics::RpcMetrics::new(), Some(metrics_listener)).metrics_header_read_timeout(timeout)
    })
    .await;

    let loris = TcpStream::connect(metrics_addr).await.unwrap();
    loris.set_nodelay(true).unwrap();
    let (mut reader, mut writer) = loris.into_split();
    let started = Instant::now();
    let closed = tokio::spawn(async move {
        let mut answer = Vec::new();
        let _ = reader.read_to_end(&mut answer).await;
        (started.elapsed(), String::from_utf8_lossy(&answer).into_owned())
    });
    writer.write_all(b"GET /metrics HTTP/1.1\r\nHost: loris\r\nX-Slow: ").await.unwrap();
    let mut sent = 0;
    // At most 50 bytes (10 s) of a header that never ends.
    while sent < 50 && !closed.is_finished() {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if writer.write_all(b"a").await.is_err() {
            break;
        }
        sent += 1;
    }
    let (closed_after, answer) = tokio::time::timeout(Duration::from_secs(5), closed).await.unwrap().unwrap();
    println!("slow loris: {sent} header bytes sent, closed after {closed_after:?}, answer {answer:?}");
    assert!(closed_after < timeout + Duration::from_millis(1500), "closed after {closed_after:?}, timeout {timeout:?}");
    assert!(closed_after >= timeout - Duration::from_millis(50), "closed before the timeout: {closed_after:?}");
    assert!(sent < 15, "{sent} bytes sent before the close");

    // A real scrape is answered, and its kept-alive connection is closed when no next request
    // comes within the header read timeout.
    let mut scrape = TcpStream::connect(metrics_addr).await.unwrap();
    scrape.write_all(b"GET /metrics HTTP/1.1\r\nHost: prometheus\r\n\r\n").await.unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 16 * 1024];
    let (head_len, body_len) = loop {
        let read = tokio::time::timeout(Duration::from_secs(5), scrape.read(&mut buffer)).await.unwrap().unwrap();
        assert!(read > 0, "closed before the answer: {:?}", String::from_utf8_lossy(&answer));
        answer.extend_from_slice(&buffer[..read]);
        let text = String::from_utf8_lossy(&answer).to_lowercase();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text.lines().find_map(|l| l.strip_prefix("content-length: ")).unwrap().trim().parse::<usize>();
            break (end + 4, length.unwrap());
        }
    };
    while answer.len() < head_len + body_len {
        let read = tokio::time::timeout(Duration::from_secs(5), scrape.read(&mut buffer)).await.unwrap().unwrap();
        assert!(read > 0, "closed in the middle of the answer");
        answer.extend_from_slice(&buffer[..read]);
    }
    let answered = Instant::now();
    let page = String::from_utf8_lossy(&answer);
    assert!(page.starts_with("HTTP/1.1 200"), "{page:.200}");
    assert!(page.contains("process_open_fds"), "{page:.200}");
    let end = tokio::time::timeout(Duration::from_secs(5), scrape.read(&mut buffer)).await;
    let idle_for = answered.elapsed();
    println!("kept-alive scrape connection closed after {idle_for:?} without a next request");
    assert!(matches!(end, Ok(Ok(0)) | Ok(Err(_))), "still open 5 s after the answer: {end:?}");
    assert!(idle_for < timeout + Duration::from_millis(1500), "closed after {idle_for:?}");
}

/// `grpc-timeout` values the spec does not allow — one overflowing u64 once in seconds, nine
/// digits, no digits, a non-ASCII value — are no deadline: the call is answered normally,
/// and nothing panics (this is a debug build: an overflow would).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overflowing_grpc_timeout_gets_a_normal_answer() {
    let server = common::serve_configured("127.0.0.1:0", GreeterService::new("Hello"), |s| s).await;
    let (h2, connection) = h2_connect(server.addr).await;
    let values: [&[u8]; 7] =
        [b"18446744073709551615H", b"18446744073709551615n", b"99999999H", b"123456789S", b"H", b"", "5é".as_bytes()];
    for value in values {
        let request = grpc_request(server.addr, "/greeter.v1.Greeter/SayHello", &[("grpc-timeout", value)]);
        let answer = tokio::time::timeout(Duration::from_secs(5), unary(&h2, request, HELLO)).await.unwrap();
        let shown = String::from_utf8_lossy(value);
        let (status, reply) = answer.unwrap_or_else(|e| panic!("grpc-timeout {shown:?}: {e}"));
        assert_eq!(status.as_deref(), Some("0"), "grpc-timeout {shown:?}");
        assert!(String::from_utf8_lossy(&reply).contains("Hello late!"), "grpc-timeout {shown:?}: {reply:?}");
    }
    assert!(!connection.is_finished(), "the connection survived");
}

/// A connection on which no call starts for the idle timeout is asked to go away; a call
/// still running on it (a chat) finishes first, and then the connection closes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_connection_goes_away_after_its_running_calls() {
    let idle = Duration::from_millis(400);
    let server =
        common::serve_configured("127.0.0.1:0", GreeterService::new("Hello"), |s| s.idle_timeout(Some(idle))).await;
    let (h2, connection) = h2_connect(server.addr).await;
    let request = grpc_request(server.addr, "/greeter.v1.Greeter/SayHello", &[]);
    assert_eq!(unary(&h2, request, HELLO).await.unwrap().0.as_deref(), Some("0"));

    // A chat left open across the idle timeout.
    let chat = grpc_request(server.addr, "/greeter.v1.Greeter/SayHelloChat", &[]);
    let (response, mut sending) = h2.clone().ready().await.unwrap().send_request(chat, false).unwrap();
    sending.send_data(Bytes::from_static(HELLO), false).unwrap();
    let mut replies = tokio::time::timeout(Duration::from_secs(5), response).await.unwrap().unwrap().into_body();
    let first = tokio::time::timeout(Duration::from_secs(5), replies.data()).await.unwrap().unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("Hello late!"));
    tokio::time::sleep(3 * idle).await;
    assert!(!connection.is_finished(), "closed under a running call");
    // The chat goes on after the idle timeout (the connection has been told to go away),
    sending.send_data(Bytes::from_static(HELLO), false).unwrap();
    let second = tokio::time::timeout(Duration::from_secs(5), replies.data()).await.unwrap().unwrap().unwrap();
    let _ = replies.flow_control().release_capacity(first.len() + second.len());
    assert!(String::from_utf8_lossy(&second).contains("Hello late!"));
    // and once it ends, so does the connection.
    sending.send_data(Bytes::new(), true).unwrap();
    while let Some(data) = tokio::time::timeout(Duration::from_secs(5), replies.data()).await.unwrap() {
        data.unwrap();
    }
    let trailers = tokio::time::timeout(Duration::from_secs(5), replies.trailers()).await.unwrap().unwrap().unwrap();
    assert_eq!(trailers["grpc-status"], "0");
    tokio::time::timeout(Duration::from_secs(5), connection).await.expect("the idle connection closed").unwrap();
}

/// With reflection off, reflection calls are UNIMPLEMENTED and health still answers SERVING.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reflection_can_be_switched_off_and_health_stays() {
    for on in [true, false] {
        let server = common::serve_configured("127.0.0.1:0", GreeterService::new("Hello"), |s| s.reflection(on)).await;
        let (h2, _connection) = h2_connect(server.addr).await;
        // ServerReflectionRequest { list_services: "" } (field 7).
        let list: &'static [u8] = b"\0\0\0\0\x02\x3a\x00";
        for path in [
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        ] {
            let (status, reply) = unary(&h2, grpc_request(server.addr, path, &[]), list).await.unwrap();
            if on {
                assert_eq!(status.as_deref(), Some("0"), "{path}");
                assert!(String::from_utf8_lossy(&reply).contains("greeter.v1.Greeter"), "{path}: {reply:?}");
            } else {
                assert_eq!(status.as_deref(), Some("12"), "{path}: UNIMPLEMENTED");
            }
        }
        // HealthCheckRequest { service: "" }: HealthCheckResponse { status: SERVING (1) }.
        let (status, reply) =
            unary(&h2, grpc_request(server.addr, "/grpc.health.v1.Health/Check", &[]), b"\0\0\0\0\0").await.unwrap();
        assert_eq!(status.as_deref(), Some("0"));
        assert_eq!(reply, b"\0\0\0\0\x02\x08\x01", "SERVING, reflection {on}");
    }
}
