//! Test servers (127.0.0.1 only), one request over HTTP/1.1, and Python's `json_format`.

#![allow(dead_code, unreachable_pub)]

pub mod echo;
pub mod python;
pub mod twins;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::sync::oneshot;

/// How long one request, one gRPC call or one Python run may take.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// A running server; dropping it stops it.
pub struct Running {
    pub addr: SocketAddr,
    _stop: oneshot::Sender<()>,
}

impl Running {
    /// A tonic channel to the server (native gRPC on the same port).
    pub async fn channel(&self) -> tonic::transport::Channel {
        let endpoint = tonic::transport::Endpoint::from_shared(format!("http://{}", self.addr)).unwrap();
        bounded(endpoint.timeout(TIMEOUT).connect()).await.unwrap()
    }
}

/// Serves `service` with `kuberpc::Server` for `deploy` on 127.0.0.1 (a free port), with the
/// example's descriptors (which REST needs).
pub async fn serve<S>(deploy: &'static kuberpc::Deploy, service: S) -> Running
where
    S: tower::Service<
            http::Request<tonic::body::Body>,
            Response = http::Response<tonic::body::Body>,
            Error = Infallible,
        > + tonic::server::NamedService
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = kuberpc::Server::new(deploy)
        .add_service(service)
        .file_descriptor_set(library::FILE_DESCRIPTOR_SET)
        .drain(Duration::ZERO);
    tokio::spawn(server.serve_with_listener(listener, async {
        let _ = stopped.await;
    }));
    Running { addr, _stop: stop }
}

/// `future`, failing the test if it takes longer than [`TIMEOUT`].
pub async fn bounded<F: std::future::Future>(future: F) -> F::Output {
    tokio::time::timeout(TIMEOUT, future).await.expect("finished within the timeout")
}

/// One REST request over HTTP/1.1 on a connection of its own: the status and the body as
/// JSON (its text too), which must be `application/json`.
pub async fn rest(addr: SocketAddr, method: Method, path: &str, body: &str) -> (StatusCode, Value, String) {
    let request = http::Request::builder()
        .method(method.clone())
        .uri(path)
        .header("host", "library")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let exchange = async {
        let io = TokioIo::new(tokio::net::TcpStream::connect(addr).await.unwrap());
        let (mut sender, connection) = hyper::client::conn::http1::handshake(io).await.unwrap();
        tokio::spawn(connection);
        let (parts, body) = sender.send_request(request).await.unwrap().into_parts();
        (parts, body.collect().await.unwrap().to_bytes())
    };
    let (parts, body) = bounded(exchange).await;
    let content_type = parts.headers.get("content-type").map(|v| v.to_str().unwrap().to_string());
    assert_eq!(content_type.as_deref(), Some("application/json"), "{method} {path}");
    let text = String::from_utf8(body.to_vec()).unwrap();
    let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method} {path}: {e}: {text}"));
    (parts.status, json, text)
}

/// Where `kuberpc`'s JSON differs from `expected` (json_format's): one line per differing
/// member, by its JSON path (`$.a.b[2]`), each side's value. None exactly when the two are
/// equal as `serde_json::Value`s.
pub fn differences(kuberpc: &Value, expected: &Value) -> Vec<String> {
    let mut found = Vec::new();
    differ("$", kuberpc, expected, &mut found);
    assert_eq!(found.is_empty(), kuberpc == expected, "differences() must agree with Value equality");
    found
}

fn differ(path: &str, kuberpc: &Value, expected: &Value, found: &mut Vec<String>) {
    match (kuberpc, expected) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                match (a.get(key), b.get(key)) {
                    (Some(a), Some(b)) => differ(&format!("{path}.{key}"), a, b, found),
                    (a, b) => found.push(format!("{path}.{key}: kuberpc {}, json_format {}", shown(a), shown(b))),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (a, b)) in a.iter().zip(b).enumerate() {
                differ(&format!("{path}[{i}]"), a, b, found);
            }
        }
        (a, b) if a != b => found.push(format!("{path}: kuberpc {a}, json_format {b}")),
        _ => {}
    }
}

fn shown(value: Option<&Value>) -> String {
    value.map_or_else(|| "absent".to_string(), Value::to_string)
}
