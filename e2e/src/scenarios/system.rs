//! The example system on the cluster with a NetworkPolicy engine enforcing what kuberpc
//! generated from the call graph: the front (calling the greeter's SayHello and the journal's
//! Append) deployed beside them; every declared edge served under load and through a rolling
//! restart; an undeclared pod of the callee's namespace, a pod of another namespace and the
//! front's own pods calling an undeclared service refused at the network; the cluster DNS and
//! the OTLP collector's port still reachable.

use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::Api;

use crate::cx::{Cx, COMMAND_TIMEOUT};
use crate::k8s::{self, Workload};
use crate::parse;
use crate::summary::{passed, skipped, Outcome};

/// The front's namespace in its prod overlay (the system's prod environment).
const FRONT: &str = "front-prod";
/// The greeter's address in prod, as the front's component sets it.
const GREETER_ADDRESS: &str = "greeter-headless.greeter-prod.svc.cluster.local:50051";
/// The counter's: a service the front does not declare.
const COUNTER_ADDRESS: &str = "counter-headless.prod.svc.cluster.local:50051";
/// The OTLP collector's, a real Jaeger (the front's `otlp_endpoint`).
const COLLECTOR_ADDRESS: &str = "otel-collector.monitoring:4317";
/// The labels the front's NetworkPolicy selects (a pod carrying them is held to its egress),
/// and the e2e's client label (the counter's e2e policy admits it: only the front's egress can
/// refuse it there).
const AS_FRONT: &[(&str, &str)] =
    &[("app.kubernetes.io/name", "front"), ("app.kubernetes.io/instance", "front"), k8s::E2E_CLIENT];
/// A pod no policy admits anywhere: neither a declared caller nor one of the e2e's clients.
const STRANGER: &[(&str, &str)] = &[("app.kubernetes.io/name", "stranger")];

/// The engine is running and its rule is in place (`scripts/test-cluster policy-check`): a
/// refusal below is the engine's, and an allowed call is allowed by a policy that is enforced.
pub(crate) async fn policy_engine(cx: &Cx) -> Result<Outcome> {
    if cx.existing {
        return Ok(skipped("an existing cluster's NetworkPolicy engine is its own; the refusals below show it"));
    }
    let said = cx.run("scripts/test-cluster", ["policy-check"], COMMAND_TIMEOUT).await?;
    Ok(passed(said.lines().last().unwrap_or("enforcing").to_string()))
}

/// The front from `tools/test-cluster/e2e/front` (its prod overlay) and Jaeger as the collector;
/// the front's pods become Ready through their gRPC probes with default-deny policies on.
pub(crate) async fn system_deploy(cx: &Cx) -> Result<Outcome> {
    for dir in ["tools/test-cluster/e2e/jaeger", "tools/test-cluster/e2e/front"] {
        let dir = cx.repo.join(dir);
        k8s::dry_run(cx, &cx.client, &dir).await?;
        let built = k8s::kustomize(cx, &dir).await?;
        k8s::apply(&cx.client, &built, false)
            .await
            .with_context(|| format!("server-side apply of {}", dir.display()))?;
    }
    k8s::rollout(&cx.client, "monitoring", Workload::Deployment, "otel-collector", Duration::from_secs(120))
        .await
        .context("Jaeger (the OTLP collector) did not become Ready")?;
    k8s::rollout(&cx.client, FRONT, Workload::Deployment, "front", Duration::from_secs(180))
        .await
        .context("the front did not become Ready through its probes")?;
    let deployments: Api<Deployment> = Api::namespaced(cx.client.clone(), FRONT);
    let ready = deployments.get("front").await?.status.and_then(|s| s.ready_replicas).unwrap_or(0);
    Ok(passed(format!(
        "front: {ready} pods Ready behind their default-deny NetworkPolicy; Jaeger (the OTLP collector) Ready"
    )))
}

/// Load through the front for a while: every call crosses both declared edges (the front's
/// SayHello to the greeter, its Append to the journal); none may fail.
pub(crate) async fn declared_edges(cx: &Cx) -> Result<Outcome> {
    let summary = front_load(cx, "front-calls", 15, || async { Ok(()) }).await?;
    Ok(passed(format!("through front → greeter and front → journal: {summary}")))
}

/// A rolling restart of the greeter under load through the front, with the engine deciding
/// every new connection: the front's calls to the greeter move to the new pods, none is lost.
pub(crate) async fn system_rolling_restart(cx: &Cx) -> Result<Outcome> {
    let summary = front_load(cx, "front-restart", 40, || async {
        tokio::time::sleep(Duration::from_secs(5)).await;
        let deployments: Api<Deployment> = Api::namespaced(cx.client.clone(), "greeter-prod");
        deployments.restart("greeter").await?;
        k8s::rollout(&cx.client, "greeter-prod", Workload::Deployment, "greeter", Duration::from_secs(180))
            .await
            .context("the greeter's restart did not finish")
    })
    .await?;
    Ok(passed(format!("greeter restarted under load through the front: {summary}")))
}

/// Runs the front client for `seconds` as an e2e client Job, `meanwhile` alongside; its summary,
/// failing if any call failed.
async fn front_load<F, Fut>(cx: &Cx, name: &str, seconds: u32, meanwhile: F) -> Result<String>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let args = ["-", "e2e", &seconds.to_string()];
    let job = k8s::client_job(name, "kuberpc.local/front-client:e2e", seconds, &args);
    k8s::start_job(cx, FRONT, job).await?;
    meanwhile().await?;
    let summary = k8s::client_summary(cx, FRONT, name, seconds).await?;
    cx.say(&summary);
    match parse::call_counts(&summary) {
        Some((calls, 0)) if calls > 0 => Ok(summary),
        _ => bail!("calls through the front failed: {summary}"),
    }
}

/// Refused at the network: the greeter by a pod of its own namespace that is not a declared
/// caller, and by a pod of another namespace; the counter (undeclared) by a pod the front's
/// policy holds, which still reaches the greeter (declared, by its DNS name) and the collector.
pub(crate) async fn undeclared_refused(cx: &Cx) -> Result<Outcome> {
    let same_namespace = probe(cx, "greeter-prod", "stranger", STRANGER, GREETER_ADDRESS).await?;
    refused("a pod of greeter-prod that is no declared caller → greeter", &same_namespace)?;
    let other_namespace = probe(cx, "journal-prod", "stranger", STRANGER, GREETER_ADDRESS).await?;
    refused("a pod of journal-prod → greeter", &other_namespace)?;
    let undeclared = probe(cx, FRONT, "as-front", AS_FRONT, COUNTER_ADDRESS).await?;
    refused("a pod held to the front's egress → counter (not in its calls)", &undeclared)?;
    // The counter is reachable for a pod the front's policy does not hold: the refusal above
    // is the front's egress, not the counter's ingress (which admits the e2e's clients).
    let e2e_client = probe_to_reach(cx, FRONT, "e2e-client", &[k8s::E2E_CLIENT], COUNTER_ADDRESS).await?;
    reached("an e2e client of front-prod → counter", &e2e_client)?;
    let declared = probe_to_reach(cx, FRONT, "as-front", AS_FRONT, GREETER_ADDRESS).await?;
    served("a pod held to the front's egress → greeter, by its DNS name", &declared)?;
    let collector = probe_to_reach(cx, FRONT, "as-front", AS_FRONT, COLLECTOR_ADDRESS).await?;
    // Jaeger's OTLP port answers the greeter's method UNIMPLEMENTED: a gRPC server answered.
    reached("a pod held to the front's egress → the OTLP collector's port", &collector)?;
    Ok(passed(format!(
        "refused: same namespace ({same_namespace}), other namespace ({other_namespace}), undeclared egress \
         ({undeclared}); reached: DNS and greeter ({declared}), collector ({collector})"
    )))
}

/// A greeter client calling `address` for 3 s from a pod of `namespace` labelled `labels`
/// (only those); its summary.
async fn probe(cx: &Cx, namespace: &str, who: &str, labels: &[(&str, &str)], address: &str) -> Result<String> {
    let seconds = 3;
    let host = address.split(['.', ':']).next().unwrap_or(address);
    let name = format!("probe-{who}-{host}");
    let job = k8s::client_job(&name, "kuberpc.local/greeter-client:e2e", seconds, &[address, "e2e", "3"]);
    let summary = k8s::run_client(cx, namespace, k8s::with_pod_labels(job, labels), seconds).await?;
    cx.say(format!("{namespace}/{name} → {address}: {summary}"));
    Ok(summary)
}

/// [`probe`] for a pod that should reach `address`: when not one of its calls got an answer
/// (every one dropped, as a refused one is), once more from a new pod. The policy engine learns
/// a new pod's address late on a busy node (see `ENGINE_CATCH_UP`): a CI run saw a probe's
/// first connections to the collector dropped after the 6 s wait, its client eject the only
/// pod for 30 s and all its calls fail, while the same probe from the next pod was answered.
async fn probe_to_reach(cx: &Cx, namespace: &str, who: &str, labels: &[(&str, &str)], address: &str) -> Result<String> {
    let summary = probe(cx, namespace, who, labels, address).await?;
    if !parse::all_failed_with(&summary, &["Unavailable", "DeadlineExceeded"]) {
        return Ok(summary);
    }
    cx.say(format!("no call from {namespace}/{who} got an answer: once more, from a new pod"));
    probe(cx, namespace, &format!("{who}-again"), labels, address).await
}

/// Every call failed the way a dropped connection fails (no answer, or no connection), none
/// with an answer from a server.
fn refused(what: &str, summary: &str) -> Result<()> {
    if !parse::all_failed_with(summary, &["Unavailable", "DeadlineExceeded"]) {
        bail!("{what} should be refused at the network: {summary}");
    }
    Ok(())
}

/// Every call got a server's answer: OK, or (a greeter client asking the counter, or the OTLP
/// collector) UNIMPLEMENTED.
fn reached(what: &str, summary: &str) -> Result<()> {
    let codes = parse::failure_codes(summary);
    match parse::call_counts(summary) {
        Some((calls, _)) if calls > 0 && codes.iter().all(|code| *code == "Unimplemented") => Ok(()),
        _ => bail!("{what} should reach the server: {summary}"),
    }
}

/// Every call served.
fn served(what: &str, summary: &str) -> Result<()> {
    if !parse::all_served(summary) {
        bail!("{what} should be served: {summary}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_reached_and_served_read_the_summary() {
        let dropped = r#"calls=7 failed=7 {"DeadlineExceeded": 3, "Unavailable": 4} late_max=2ms"#;
        assert!(refused("x", dropped).is_ok() && served("x", dropped).is_err() && reached("x", dropped).is_err());
        let answered = r#"calls=9 failed=9 {"Unimplemented": 9} late_max=2ms"#;
        assert!(refused("x", answered).is_err() && reached("x", answered).is_ok());
        let ok = "calls=9 failed=0 {} late_max=2ms";
        assert!(served("x", ok).is_ok() && reached("x", ok).is_ok() && refused("x", ok).is_err());
        let partly = r#"calls=9 failed=8 {"Unavailable": 8} late_max=2ms"#;
        assert!(refused("x", partly).is_err(), "one call got through");
    }
}
