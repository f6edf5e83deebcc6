//! The greeter's REST bindings and gRPC-Web on its pods in the cluster (not only on
//! 127.0.0.1): each pod of the prod overlay answers `GET /v1/greetings/e2e` with JSON and a
//! gRPC-Web SayHello with `grpc-status: 0`, from the node over the pods' bridge, on the gRPC
//! port, in HTTP/1.0 ([`crate::http`]). The requests and checks are also the Gateway's
//! ([`super::gateway`]).

use std::time::Duration;

use anyhow::{bail, Context as _, Result};

use super::greeter::{running_pod_ips, GREETER};
use crate::cx::{within, Cx};
use crate::http::{exchange, get, request, status_code};
use crate::summary::{passed, Outcome};

/// The greeter's gRPC port (greeter.proto's `port`).
const PORT: u16 = 50051;

pub(crate) async fn rest_and_web_on_the_pods(cx: &Cx) -> Result<Outcome> {
    cx.say("REST and gRPC-Web on each greeter pod's gRPC port, from the node");
    let ips = running_pod_ips(cx, GREETER, "greeter").await?;
    if ips.is_empty() {
        bail!("no running greeter pod");
    }
    for ip in &ips {
        let address = format!("{ip}:{PORT}");
        let (rest, web) = (get("greeter", "/v1/greetings/e2e"), grpc_web_hello("greeter", "e2e"));
        let rest = within(Duration::from_secs(10), "REST GET", exchange(&address, &rest)).await?;
        check_rest(&rest).with_context(|| format!("REST on {address}"))?;
        let web = within(Duration::from_secs(10), "gRPC-Web POST", exchange(&address, &web)).await?;
        check_web(&web).with_context(|| format!("gRPC-Web on {address}"))?;
        cx.say(format!("{address}: REST and gRPC-Web answered"));
    }
    Ok(passed(format!("{} pods answered REST (JSON) and gRPC-Web (grpc-status 0)", ips.len())))
}

/// A gRPC-Web SayHello request for `name` (HelloRequest: field 1, a string), to `host`.
pub(super) fn grpc_web_hello(host: &str, name: &str) -> Vec<u8> {
    let mut message = vec![0x0a, name.len() as u8];
    message.extend_from_slice(name.as_bytes());
    let mut body = vec![0u8];
    body.extend_from_slice(&(message.len() as u32).to_be_bytes());
    body.extend_from_slice(&message);
    let headers = [("content-type", "application/grpc-web+proto"), ("x-grpc-web", "1")];
    request("POST", host, "/greeter.v1.Greeter/SayHello", &headers, &body)
}

/// A 200 with the JSON of SayHello's reply to "e2e".
pub(super) fn check_rest((status, body): &(String, Vec<u8>)) -> Result<()> {
    let body = String::from_utf8_lossy(body);
    if status_code(status) != "200" || !body.contains("\"message\"") || !body.contains("e2e!") {
        bail!("{status}: {body}");
    }
    Ok(())
}

/// A 200 whose last frame (flag 0x80) holds the trailers, `grpc-status:0` among them.
pub(super) fn check_web((status, body): &(String, Vec<u8>)) -> Result<()> {
    let text = String::from_utf8_lossy(body);
    if status_code(status) != "200" || !text.contains("e2e!") || !text.contains("grpc-status:0") {
        bail!("{status}: {text:?}");
    }
    Ok(())
}
