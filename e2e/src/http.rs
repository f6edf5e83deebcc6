//! HTTP/1.0 by hand, one request per connection (the server closes it after its answer): what
//! the scenarios send to a pod's metrics port and to its gRPC port's REST and gRPC-Web, without
//! a client library.

use anyhow::{Context as _, Result};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// A GET of `path`.
pub(crate) fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.0\r\nHost: kuberpc-e2e\r\n\r\n").into_bytes()
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
