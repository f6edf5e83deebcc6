//! gRPC-Web on the gRPC port (`web { … }` in greeter.proto; 127.0.0.1 only, bounded): calls
//! written here as a browser's gRPC-Web client writes them — HTTP/1.1, a 5-byte frame per
//! message, the trailers as a last frame flagged 0x80 — are answered on the same port as
//! native gRPC, unary and server-streaming, binary and base64 (`grpc-web-text`); CORS answers
//! the preflights of the allowed origin and of no other.

mod common;
#[path = "common/web.rs"]
mod web;

use std::time::Duration;

use base64::Engine;
use bytes::{Buf, Bytes};
use greeter::pb::greeter_client::GreeterClient;
use greeter::pb::{HelloReply, HelloRequest, HelloStreamRequest};
use greeter::GreeterService;
use http::StatusCode;
use http_body_util::Full;
use prost::Message;
use web::{
    exchange, preflight,
    Over::{Http1, Http2},
};

const PAGE: &str = "http://page.test:8080";

async fn web_greeter() -> common::Running {
    common::serve_configured("127.0.0.1:0", GreeterService::new("Hello"), |server| {
        server.drain(Duration::ZERO).web_origins([PAGE])
    })
    .await
}

/// A gRPC-Web POST of `message` to `method`, from `origin` when given.
fn grpc_web(
    method: &str,
    content_type: &str,
    message: &impl Message,
    origin: Option<&str>,
) -> http::Request<Full<Bytes>> {
    let payload = message.encode_to_vec();
    let mut framed = vec![0u8];
    framed.extend_from_slice(&u32::try_from(payload.len()).unwrap().to_be_bytes());
    framed.extend_from_slice(&payload);
    let body = if content_type.starts_with("application/grpc-web-text") {
        base64::engine::general_purpose::STANDARD.encode(framed).into_bytes()
    } else {
        framed
    };
    let mut request = http::Request::post(format!("/greeter.v1.Greeter/{method}"))
        .header("host", "greeter")
        .header("content-type", content_type)
        .header("accept", content_type)
        .header("x-grpc-web", "1");
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    request.body(Full::new(Bytes::from(body))).unwrap()
}

/// The messages and the trailers of a gRPC-Web answer's body.
fn frames(mut body: Bytes) -> (Vec<HelloReply>, String) {
    let (mut messages, mut trailers) = (Vec::new(), String::new());
    while body.has_remaining() {
        assert!(body.len() >= 5, "a frame is cut short: {body:?}");
        let flag = body.get_u8();
        let len = body.get_u32() as usize;
        let payload = body.split_to(len);
        match flag {
            0x00 => messages.push(HelloReply::decode(payload).unwrap()),
            0x80 => trailers.push_str(std::str::from_utf8(&payload).unwrap()),
            other => panic!("frame flag {other:#x}"),
        }
    }
    (messages, trailers)
}

fn greetings(messages: &[HelloReply]) -> Vec<&str> {
    messages.iter().map(|m| m.message.as_str()).collect()
}

#[tokio::test]
async fn a_browsers_unary_and_streaming_calls_are_answered_over_http1() {
    let server = web_greeter().await;
    let hello = HelloRequest { name: "web".into() };
    let (status, headers, body) =
        exchange(Http1, server.addr, grpc_web("SayHello", "application/grpc-web+proto", &hello, None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/grpc-web+proto");
    let (messages, trailers) = frames(body);
    assert_eq!(greetings(&messages), ["Hello web!"]);
    assert!(trailers.contains("grpc-status:0"), "{trailers:?}");

    let stream = HelloStreamRequest { name: "stream".into(), count: 3 };
    let (_, _, body) =
        exchange(Http1, server.addr, grpc_web("SayHelloStream", "application/grpc-web", &stream, None)).await;
    let (messages, trailers) = frames(body);
    assert_eq!(greetings(&messages), ["Hello stream!"; 3]);
    assert!(trailers.contains("grpc-status:0"), "{trailers:?}");

    let (_, headers, body) =
        exchange(Http1, server.addr, grpc_web("SayHello", "application/grpc-web-text", &hello, None)).await;
    assert_eq!(headers["content-type"], "application/grpc-web-text+proto");
    // Each frame is encoded on its own (padding mid-body): decode by groups of 4, as the
    // grpc-web client does.
    let decoded: Vec<u8> =
        body.chunks(4).flat_map(|group| base64::engine::general_purpose::STANDARD.decode(group).unwrap()).collect();
    assert_eq!(greetings(&frames(Bytes::from(decoded)).0), ["Hello web!"]);

    // An error comes as a status the page can read: the stream's count is bounded.
    let too_many = HelloStreamRequest { name: "x".into(), count: 1_000_000 };
    let (status, headers, body) =
        exchange(Http1, server.addr, grpc_web("SayHelloStream", "application/grpc-web", &too_many, None)).await;
    assert_eq!(status, StatusCode::OK);
    let in_trailers = frames(body).1;
    let code = headers.get("grpc-status").map(|v| v.to_str().unwrap().to_owned());
    assert!(code.as_deref() == Some("3") || in_trailers.contains("grpc-status:3"), "{headers:?} {in_trailers:?}");
}

#[tokio::test]
async fn grpc_web_over_http2_is_answered_too() {
    let server = web_greeter().await;
    let hello = HelloRequest { name: "h2c".into() };
    let (status, headers, body) =
        exchange(Http2, server.addr, grpc_web("SayHello", "application/grpc-web+proto", &hello, None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/grpc-web+proto");
    let (messages, trailers) = frames(body);
    assert_eq!(greetings(&messages), ["Hello h2c!"]);
    assert!(trailers.contains("grpc-status:0"), "{trailers:?}");
}

#[tokio::test]
async fn native_grpc_is_served_on_the_same_port() {
    let server = web_greeter().await;
    let mut client = GreeterClient::connect(format!("http://{}", server.addr)).await.unwrap();
    let reply = client.say_hello(HelloRequest { name: "h2".into() }).await.unwrap();
    assert_eq!(reply.get_ref().message, "Hello h2!");
    // Straight to the service: CORS, which varies every answer it passes by the origin, is
    // not in a native call's path.
    assert!(reply.metadata().get("vary").is_none(), "{:?}", reply.metadata());
}

#[tokio::test]
async fn cors_admits_the_allowed_origin_and_no_other() {
    let server = web_greeter().await;
    let (status, headers, _) = exchange(Http1, server.addr, preflight(PAGE)).await;
    assert!(status.is_success(), "{status}");
    assert_eq!(headers["access-control-allow-origin"], PAGE);
    let allowed = headers["access-control-allow-headers"].to_str().unwrap();
    for header in ["content-type", "x-grpc-web", "x-user-agent", "grpc-timeout"] {
        assert!(allowed.contains(header), "{header} not in {allowed}");
    }
    // gRPC-Web's POST, and the GET of the greeter's REST bindings (their POST is the same).
    assert_eq!(headers["access-control-allow-methods"], "POST,GET");

    let (_, headers, _) = exchange(Http1, server.addr, preflight("https://evil.example")).await;
    assert!(!headers.contains_key("access-control-allow-origin"), "{headers:?}");

    // The call itself: the page may read the status the answer carries.
    let hello = HelloRequest { name: "cors".into() };
    let (_, headers, body) =
        exchange(Http1, server.addr, grpc_web("SayHello", "application/grpc-web", &hello, Some(PAGE))).await;
    assert_eq!(headers["access-control-allow-origin"], PAGE);
    let exposed = headers["access-control-expose-headers"].to_str().unwrap();
    assert!(exposed.contains("grpc-status") && exposed.contains("grpc-message"), "{exposed}");
    assert_eq!(greetings(&frames(body).0), ["Hello cors!"]);
}

#[tokio::test]
async fn an_http1_head_that_never_ends_is_closed_at_the_handshake_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let timeout = Duration::from_secs(1);
    let server = common::serve_configured("127.0.0.1:0", GreeterService::new("Hello"), move |server| {
        server.drain(Duration::ZERO).web_origins([PAGE]).handshake_timeout(timeout)
    })
    .await;
    let stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let started = tokio::time::Instant::now();
    let closed = tokio::spawn(async move {
        let mut answer = Vec::new();
        let _ = reader.read_to_end(&mut answer).await;
        started.elapsed()
    });
    writer.write_all(b"POST /greeter.v1.Greeter/SayHello HTTP/1.1\r\nHost: loris\r\nX-Slow: ").await.unwrap();
    // A byte every 100 ms, for at most 5 s: a head that never ends.
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if closed.is_finished() || writer.write_all(b"a").await.is_err() {
            break;
        }
    }
    let closed_after = tokio::time::timeout(Duration::from_secs(5), closed).await.unwrap().unwrap();
    println!("an HTTP/1.1 head sent a byte at a time was closed after {closed_after:?}");
    assert!(closed_after >= timeout && closed_after < timeout + Duration::from_millis(1500), "{closed_after:?}");
}
