//! Traces in a real Jaeger: one call of the front's client (a Job in front-prod, exporting over
//! OTLP like the pods) through the front to the greeter is found through Jaeger's own query API
//! as ONE trace, with the client and the server spans of both hops: each server span the child
//! of its caller's call span, or, for an idempotent method (the greeter's SayHello), of an
//! attempt span under it (gRPC's design: a span per attempt under the call's).

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context as _, Result};
use k8s_openapi::api::core::v1::EnvVar;
use serde_json::Value;

use super::greeter::running_pod_ips;
use crate::cx::Cx;
use crate::http;
use crate::k8s;
use crate::summary::{passed, skipped, Outcome};

/// The front's namespace in its prod overlay.
const FRONT: &str = "front-prod";
/// Jaeger's namespace and app (the system's `otlp_endpoint`, otel-collector.monitoring:4317).
const JAEGER: (&str, &str) = ("monitoring", "otel-collector");
/// What the client Job calls itself in its spans.
const CLIENT_SERVICE: &str = "front-client";

/// One traced call through the system, found in Jaeger as one trace of both hops.
pub(crate) async fn traces_in_jaeger(cx: &Cx) -> Result<Outcome> {
    if cx.existing {
        return Ok(skipped(
            "Jaeger's query API is read at its pod's address, which only the test cluster's node reaches",
        ));
    }
    // Only traces begun from now on: Jaeger keeps the earlier runs' (the cluster stays up).
    let since = SystemTime::now().duration_since(UNIX_EPOCH).context("the clock is before 1970")?.as_micros();
    let mut job = k8s::client_job("front-traced", "kuberpc.local/front-client:e2e", 10, &["-", "traced"]);
    let container =
        &mut job.spec.as_mut().context("a Job without spec")?.template.spec.as_mut().context("no pod")?.containers[0];
    let variables = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel-collector.monitoring:4317"),
        ("OTEL_SERVICE_NAME", CLIENT_SERVICE),
    ];
    container.env.get_or_insert_with(Vec::new).extend(variables.map(|(name, value)| EnvVar {
        name: name.into(),
        value: Some(value.into()),
        ..Default::default()
    }));
    let said = k8s::run_job(cx, FRONT, job, 10).await?;
    cx.say(format!("the client said: {}", said.trim()));
    let jaeger = running_pod_ips(cx, JAEGER.0, JAEGER.1).await?.into_iter().next().context("no Jaeger pod")?;
    let address = format!("{jaeger}:16686");
    // Spans reach Jaeger in batches (the SDK's, then Jaeger's own, each within a few seconds).
    let mut last = String::new();
    for _ in 0..30 {
        match complete_trace(&address, since).await {
            Ok(found) => return Ok(passed(found)),
            Err(e) => last = format!("{e:#}"),
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    bail!("no complete trace in Jaeger after 60 s: {last}")
}

/// A trace the client Job began after `since` (microseconds since 1970), checked whole: its
/// summary.
async fn complete_trace(address: &str, since: u128) -> Result<String> {
    let path = format!("/api/traces?service={CLIENT_SERVICE}&limit=20&start={since}");
    let (status, body) = http::exchange(address, &http::get(address, &path)).await?;
    if http::status_code(&status) != "200" {
        bail!("Jaeger answered {status}");
    }
    let answer: Value = serde_json::from_slice(&body).context("Jaeger's answer is not JSON")?;
    let traces = answer["data"].as_array().context("no data in Jaeger's answer")?;
    let mut problems = Vec::new();
    for trace in traces {
        match check_trace(trace) {
            Ok(summary) => return Ok(summary),
            Err(e) => problems.push(format!("{e:#}")),
        }
    }
    bail!("{} traces of {CLIENT_SERVICE}, none whole: {}", traces.len(), problems.join("; "))
}

/// One span as the check reads it.
struct Span<'a> {
    service: &'a str,
    name: &'a str,
    kind: &'a str,
    parent: Option<&'a str>,
}

/// Checks one trace of Jaeger's API: both hops' client and server spans, linked as the module
/// docs say.
fn check_trace(trace: &Value) -> Result<String> {
    let trace_id = trace["traceID"].as_str().context("a trace without traceID")?;
    let mut spans = BTreeMap::new();
    for span in trace["spans"].as_array().context("a trace without spans")? {
        let process = span["processID"].as_str().unwrap_or_default();
        let tag = |key: &str| {
            span["tags"].as_array().into_iter().flatten().find(|t| t["key"] == key).and_then(|t| t["value"].as_str())
        };
        let parent = span["references"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| r["refType"] == "CHILD_OF" && r["traceID"] == trace_id)
            .and_then(|r| r["spanID"].as_str());
        spans.insert(
            span["spanID"].as_str().unwrap_or_default(),
            Span {
                service: trace["processes"][process]["serviceName"].as_str().unwrap_or_default(),
                name: span["operationName"].as_str().unwrap_or_default(),
                kind: tag("span.kind").unwrap_or_default(),
                parent,
            },
        );
    }
    // (caller, callee, the call's span name, whether the call has attempt spans: idempotent methods do).
    let hops = [
        (CLIENT_SERVICE, "front", "front.v1.Front/Welcome", false),
        ("front", "greeter", "greeter.v1.Greeter/SayHello", true),
    ];
    let mut found = Vec::new();
    for (caller, callee, operation, attempts) in hops {
        let server = spans
            .values()
            .find(|s| s.service == callee && s.kind == "server" && s.name == operation)
            .with_context(|| format!("trace {trace_id}: no server span {operation} of {callee}"))?;
        let mut parent = server.parent.and_then(|id| spans.get(id)).with_context(|| {
            format!("trace {trace_id}: {callee}'s server span {operation} has no parent in the trace")
        })?;
        let is_caller = |span: &Span<'_>| span.service == caller && span.kind == "client";
        if attempts {
            if !is_caller(parent) || !parent.name.starts_with("Attempt.") {
                bail!(
                    "trace {trace_id}: {callee}'s server span is under {} {} of {}, not an attempt span of {caller}",
                    parent.kind,
                    parent.name,
                    parent.service
                );
            }
            parent = parent.parent.and_then(|id| spans.get(id)).with_context(|| {
                format!("trace {trace_id}: {caller}'s attempt span {} has no call span above it", parent.name)
            })?;
        }
        if !is_caller(parent) || parent.name != operation {
            bail!(
                "trace {trace_id}: {callee}'s {operation} is under {} {} of {}, not {caller}'s call span",
                parent.kind,
                parent.name,
                parent.service
            );
        }
        let spans_found = if attempts { "call, attempt and server spans" } else { "call and server spans" };
        found.push(format!("{caller} → {callee} ({operation}: {spans_found})"));
    }
    Ok(format!("one trace {trace_id} of {} spans: {}", spans.len(), found.join("; ")))
}
