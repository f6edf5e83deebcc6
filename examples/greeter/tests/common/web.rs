//! What the gRPC-Web tests send: one request on a connection of its own, over HTTP/1.1 (a
//! browser) or HTTP/2 with prior knowledge (an h2c proxy in front of the pods), bounded in time;
//! and a browser's CORS preflight.

#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

/// The HTTP version a request goes over.
#[derive(Debug, Clone, Copy)]
pub enum Over {
    Http1,
    Http2,
}

/// One request on a connection of its own: the status, the headers, the whole body.
pub async fn exchange(
    over: Over,
    addr: SocketAddr,
    mut request: http::Request<Full<Bytes>>,
) -> (StatusCode, HeaderMap, Bytes) {
    let exchange = async {
        let io = TokioIo::new(tokio::net::TcpStream::connect(addr).await.unwrap());
        let response = match over {
            Over::Http1 => {
                let (mut sender, connection) = hyper::client::conn::http1::handshake(io).await.unwrap();
                tokio::spawn(connection);
                sender.send_request(request).await.unwrap()
            }
            Over::Http2 => {
                let path = request.uri().path_and_query().map_or("/", |p| p.as_str()).to_string();
                *request.uri_mut() = format!("http://{addr}{path}").parse().unwrap();
                request.headers_mut().remove("host");
                let executor = hyper_util::rt::TokioExecutor::new();
                let (mut sender, connection) = hyper::client::conn::http2::handshake(executor, io).await.unwrap();
                tokio::spawn(connection);
                sender.send_request(request).await.unwrap()
            }
        };
        let (parts, body) = response.into_parts();
        (parts.status, parts.headers, body.collect().await.unwrap().to_bytes())
    };
    tokio::time::timeout(Duration::from_secs(10), exchange).await.expect("answered within 10 s")
}

/// A browser's preflight of a gRPC-Web call to SayHello from a page on `origin`.
pub fn preflight(origin: &str) -> http::Request<Full<Bytes>> {
    http::Request::builder()
        .method(Method::OPTIONS)
        .uri("/greeter.v1.Greeter/SayHello")
        .header("host", "greeter")
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type,x-grpc-web,x-user-agent,grpc-timeout")
        .body(Full::new(Bytes::new()))
        .unwrap()
}
