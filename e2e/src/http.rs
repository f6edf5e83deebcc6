//! HTTP/1.0 by hand, one request per connection (the server closes it after its answer): what
//! the scenarios send to a pod's metrics port, to its gRPC port's REST and gRPC-Web, and to the
//! Gateway in front of it, without a client library.

use anyhow::{Context as _, Result};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// A request for `host` (its `Host` header): method, path, extra headers and body (with its
/// `content-length` when there is one).
pub(crate) fn request(method: &str, host: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut head = format!("{method} {path} HTTP/1.0\r\nHost: {host}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() {
        head.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    [head.as_bytes(), body].concat()
}

/// A GET of `path` from `host`.
pub(crate) fn get(host: &str, path: &str) -> Vec<u8> {
    request("GET", host, path, &[], b"")
}

/// One request on a connection of its own; the status line and the body.
pub(crate) async fn exchange(address: &str, request: &[u8]) -> Result<(String, Vec<u8>)> {
    let mut stream = tokio::net::TcpStream::connect(address).await?;
    stream.write_all(request).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let at = response.windows(4).position(|w| w == b"\r\n\r\n").context("an HTTP response without a body")?;
    let head = String::from_utf8_lossy(&response[..at]).to_string();
    Ok((head.lines().next().unwrap_or_default().to_string(), response[at + 4..].to_vec()))
}

/// The status code of a status line ("HTTP/1.0 200 OK" → "200").
pub(crate) fn status_code(status: &str) -> &str {
    status.split_whitespace().nth(1).unwrap_or_default()
}
