//! REST on the gRPC port (`google.api.http` in greeter.proto; 127.0.0.1 only, bounded): the
//! bindings answer JSON over HTTP/1.1 and HTTP/2 — a GET with the name in the path, a POST with
//! the request as the body, a server stream as one JSON object per line — and errors come as
//! the gRPC status's HTTP status with a `google.rpc.Status` body.

mod common;
#[path = "common/web.rs"]
mod web;

use std::time::Duration;

use bytes::Bytes;
use greeter::GreeterService;
use http::{Method, StatusCode};
use http_body_util::Full;
use serde_json::{json, Value};
use web::{exchange, Over};

async fn greeter() -> common::Running {
    common::serve_configured("127.0.0.1:0", GreeterService::new("Hello"), |server| server.drain(Duration::ZERO)).await
}

fn request(method: Method, path: &str, body: &str) -> http::Request<Full<Bytes>> {
    http::Request::builder()
        .method(method)
        .uri(path)
        .header("host", "greeter")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap()
}

/// The status, the content type and the body parsed as JSON.
async fn call(over: Over, running: &common::Running, method: Method, path: &str, body: &str) -> (StatusCode, Value) {
    let (status, headers, body) = exchange(over, running.addr, request(method, path, body)).await;
    assert_eq!(headers.get("content-type").unwrap(), "application/json", "{path}");
    let json = serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body:?}"));
    (status, json)
}

#[tokio::test]
async fn unary_bindings_answer_json_over_http1_and_http2() {
    let running = greeter().await;
    for over in [Over::Http1, Over::Http2] {
        let (status, json) = call(over, &running, Method::GET, "/v1/greetings/Ada", "").await;
        assert_eq!((status, json), (StatusCode::OK, json!({ "message": "Hello Ada!" })), "{over:?}");
        let (status, json) = call(over, &running, Method::POST, "/v1/greetings", r#"{"name": "Grace"}"#).await;
        assert_eq!((status, json), (StatusCode::OK, json!({ "message": "Hello Grace!" })), "{over:?}");
    }
    // A path segment is percent-decoded; the query does not override what the path binds, and
    // keys naming no field (past a scalar, unknown, thousands of parts deep) are ignored.
    let deep = "a.".repeat(4000);
    let path = format!("/v1/greetings/Ada%20Lovelace?name=Eve&name.name=x&nothing=1&{deep}b=2");
    let (_, json) = call(Over::Http1, &running, Method::GET, &path, "").await;
    assert_eq!(json, json!({ "message": "Hello Ada Lovelace!" }));
}

#[tokio::test]
async fn a_server_stream_is_one_json_object_per_line() {
    let running = greeter().await;
    let path = "/v1/greetings/Ada:stream?count=3";
    let (status, _, body) = exchange(Over::Http1, running.addr, request(Method::GET, path, "")).await;
    assert_eq!(status, StatusCode::OK);
    let lines: Vec<Value> =
        std::str::from_utf8(&body).unwrap().lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(lines, vec![json!({ "result": { "message": "Hello Ada!" } }); 3]);
    // A stream that fails before its first message is an error answer like a unary one.
    let (status, json) = call(Over::Http1, &running, Method::GET, "/v1/greetings/Ada:stream?count=5000", "").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(json, json!({ "code": 3, "message": "count must be at most 1000", "details": [] }));
}

#[tokio::test]
async fn errors_are_http_statuses_with_google_rpc_status_bodies() {
    let running = greeter().await;
    let (status, json) = call(Over::Http1, &running, Method::GET, "/v2/nothing", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(json["code"], 5, "{json}");
    assert!(json["message"].as_str().unwrap().contains("GET /v2/nothing"), "{json}");

    let (status, headers, _) =
        exchange(Over::Http1, running.addr, request(Method::DELETE, "/v1/greetings/Ada", "")).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers.get("allow").unwrap(), "GET");

    let (status, json) = call(Over::Http1, &running, Method::POST, "/v1/greetings", "{not json").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(json["code"], 3, "{json}");
    let (status, json) = call(Over::Http1, &running, Method::POST, "/v1/greetings", r#"{"name": 7}"#).await;
    assert_eq!((status, &json["code"]), (StatusCode::BAD_REQUEST, &json!(3)), "{json}");
    let (status, json) = call(Over::Http1, &running, Method::GET, "/v1/greetings/Ada:stream?count=many", "").await;
    assert_eq!((status, &json["code"]), (StatusCode::BAD_REQUEST, &json!(3)), "{json}");
}

/// A body beyond the limit is refused without being held whole, and the server serves on.
#[tokio::test]
async fn a_body_beyond_the_limit_is_refused() {
    let running = greeter().await;
    let name = "x".repeat(kuberpc::rest::MAX_BODY_BYTES);
    let body = format!(r#"{{"name": "{name}"}}"#);
    let (status, json) = call(Over::Http1, &running, Method::POST, "/v1/greetings", &body).await;
    assert_eq!((status, &json["code"]), (StatusCode::PAYLOAD_TOO_LARGE, &json!(8)), "{json}");
    let (status, _) = call(Over::Http1, &running, Method::GET, "/v1/greetings/Ada", "").await;
    assert_eq!(status, StatusCode::OK);
}
