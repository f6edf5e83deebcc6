//! The greeter through a real Gateway: Traefik (`tools/test-cluster/gateway`, built by
//! `scripts/test-cluster`) runs on the node as the Gateway API implementation, the Gateway of
//! `tools/test-cluster/e2e/gateway.yaml` gets a listener, and the greeter's generated HTTPRoute
//! (from its prod overlay, deployed by `deploy`) is accepted and carries native gRPC, gRPC-Web
//! and REST — unary, server-streaming, a body — to the pods, by host name and path only: a
//! path the route does not match, or another host, gets the Gateway's 404.

use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use kube::api::{Api, ApiResource, DynamicObject};
use kube::core::GroupVersionKind;
use serde_json::Value;
use tokio::process::{Child, Command};

use super::greeter::GREETER;
use super::web::{check_rest, check_web, grpc_web_hello};
use crate::cx::{within, Cx};
use crate::http::{exchange, get, request, status_code};
use crate::k8s;
use crate::summary::{passed, skipped, Outcome};

/// The Gateway's listener: Traefik's entry point (gateway.yaml's listener port).
const LISTENER: &str = "127.0.0.1:8000";
/// The host name the greeter's HTTPRoute answers for (greeter.proto's `gateway`).
const HOST: &str = "greeter.example.com";

pub(crate) async fn gateway_routes(cx: &Cx) -> Result<Outcome> {
    if cx.existing {
        return Ok(skipped("the Gateway (Traefik) runs on the test cluster's node"));
    }
    let _traefik = start_traefik(cx)?;
    let yaml = std::fs::read_to_string(cx.repo.join("tools/test-cluster/e2e/gateway.yaml"))?;
    k8s::apply(&cx.client, &yaml, false).await.context("the GatewayClass and the Gateway")?;
    let gateway = condition(cx, "Gateway", "infra", "public", |o| o["status"]["conditions"].clone(), "Programmed");
    within(Duration::from_secs(60), "Gateway infra/public Programmed by Traefik", gateway).await?;
    for wanted in ["Accepted", "ResolvedRefs"] {
        let parents = |o: &Value| o["status"]["parents"][0]["conditions"].clone();
        let route = condition(cx, "HTTPRoute", GREETER, "greeter", parents, wanted);
        within(Duration::from_secs(60), &format!("the greeter's HTTPRoute {wanted}"), route).await?;
    }
    cx.say("Gateway infra/public Programmed; the greeter's generated HTTPRoute Accepted, its backend resolved");
    // Traefik applies a new configuration a moment after it writes the status.
    let first = within(Duration::from_secs(30), "a first REST answer through the Gateway", first_answer()).await?;
    check_rest(&first).context("REST GET through the Gateway")?;
    let answers = through_the_gateway(cx).await?;
    Ok(passed(format!("through Traefik: {answers}")))
}

/// Traefik on the node with the Gateway API provider, reading the cluster as its admin, its
/// output in `target/e2e/traefik.log`; killed when the scenario ends.
fn start_traefik(cx: &Cx) -> Result<Child> {
    let binary =
        std::env::var("KUBERPC_TRAEFIK").context("KUBERPC_TRAEFIK is unset (scripts/test-cluster env sets it)")?;
    let log = std::fs::File::create(cx.repo.join("target/e2e/traefik.log")).context("creating traefik.log")?;
    let args = [
        format!("--entryPoints.web.address={LISTENER}"),
        "--providers.kubernetesGateway=true".into(),
        "--providers.kubernetesGateway.statusAddress.ip=127.0.0.1".into(),
        "--global.checkNewVersion=false".into(),
        "--global.sendAnonymousUsage=false".into(),
        "--log.level=INFO".into(),
        "--log.noColor=true".into(),
    ];
    Command::new(&binary)
        .args(&args)
        .env("KUBECONFIG", cx.cluster_dir.join("admin.kubeconfig"))
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {binary}"))
}

/// Waits until the `gateway.networking.k8s.io/v1` object's conditions (`conditions` picks
/// them) have `wanted` True; polls, since the watch helpers need a typed kind.
async fn condition(
    cx: &Cx,
    kind: &str,
    namespace: &str,
    name: &str,
    conditions: impl Fn(&Value) -> Value,
    wanted: &str,
) -> Result<()> {
    let gvk = GroupVersionKind::gvk("gateway.networking.k8s.io", "v1", kind);
    let api: Api<DynamicObject> = Api::namespaced_with(cx.client.clone(), namespace, &ApiResource::from_gvk(&gvk));
    loop {
        let object = serde_json::to_value(api.get(name).await?)?;
        let found = conditions(&object);
        let condition = found.as_array().into_iter().flatten().find(|c| c["type"] == wanted);
        match condition {
            Some(c) if c["status"] == "True" => return Ok(()),
            Some(c) if c["reason"].is_string() && c["status"] == "False" => {
                cx.note(format!("{kind} {namespace}/{name}: {wanted} False: {} {}", c["reason"], c["message"]));
            }
            _ => {}
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The first 200 of a REST GET through the Gateway (a 404 until Traefik has the route).
async fn first_answer() -> Result<(String, Vec<u8>)> {
    loop {
        match exchange(LISTENER, &get(HOST, "/v1/greetings/e2e")).await {
            Ok(answer) if status_code(&answer.0) == "200" => return Ok(answer),
            _ => {}
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Every way in through the Gateway, each checked: REST GET, POST with a body and a server
/// stream; gRPC-Web; native gRPC (HTTP/2 cleartext to the Gateway, `:authority` the route's
/// host); and the 404s of an unrouted path and of another host.
async fn through_the_gateway(cx: &Cx) -> Result<String> {
    let call = |what: &'static str, request: Vec<u8>| async move {
        within(Duration::from_secs(10), what, exchange(LISTENER, &request)).await.with_context(|| what)
    };
    let json = [("content-type", "application/json")];
    let post = call("REST POST", request("POST", HOST, "/v1/greetings", &json, br#"{"name": "e2e"}"#)).await?;
    check_rest(&post).context("REST POST through the Gateway")?;
    let (status, body) = call("REST stream", get(HOST, "/v1/greetings/e2e:stream?count=3")).await?;
    let lines: Vec<&str> = std::str::from_utf8(&body)?.lines().filter(|l| l.contains("\"result\"")).collect();
    if status_code(&status) != "200" || lines.len() != 3 {
        bail!("REST server stream through the Gateway: {status}, {} result lines: {body:?}", lines.len());
    }
    check_web(&call("gRPC-Web", grpc_web_hello(HOST, "e2e")).await?).context("gRPC-Web through the Gateway")?;
    let native = within(Duration::from_secs(10), "native gRPC", native_say_hello()).await?;
    if !native.contains("e2e") {
        bail!("native gRPC through the Gateway answered {native:?}");
    }
    let (unrouted, _) = call("an unrouted path", get(HOST, "/v2/elsewhere")).await?;
    let (other_host, _) = call("another host", get("other.example.com", "/v1/greetings/e2e")).await?;
    if status_code(&unrouted) != "404" || status_code(&other_host) != "404" {
        bail!(
            "the Gateway answered a path the route does not match with {unrouted:?}, another host with {other_host:?}"
        );
    }
    cx.say(format!("native gRPC answered {native:?}; REST GET, POST, a 3-line stream and gRPC-Web answered"));
    Ok("native gRPC, gRPC-Web and REST (GET, POST, a stream) reached the greeter; an unrouted path and another host got 404".into())
}

/// SayHello over HTTP/2 cleartext to the Gateway, for the route's host.
async fn native_say_hello() -> Result<String> {
    use greeter::pb::{greeter_client::GreeterClient, HelloRequest};
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{LISTENER}"))?
        .origin(format!("http://{HOST}").parse()?)
        .connect()
        .await?;
    let reply = GreeterClient::new(channel).say_hello(HelloRequest { name: "e2e".into() }).await?;
    Ok(reply.into_inner().message)
}
