//! The examples deployed from their prod overlays, and the greeter under load: the balanced
//! client, a rolling restart, a force-deleted pod, a drain against the PodDisruptionBudget and
//! a wedged server, none of which may cost an idempotent caller a call.

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{Node, Pod};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::api::{Api, DeleteParams, ListParams};
use kube::runtime::watcher;
use kube::ResourceExt;

use crate::cx::{within, Cx, COMMAND_TIMEOUT};
use crate::k8s::{self, Workload};
use crate::parse;
use crate::summary::{passed, skipped, Outcome};

/// The greeter's namespace in its prod overlay.
pub(super) const GREETER: &str = "greeter-prod";
/// SayHello's deadline (`timeout_ms` in greeter.proto), which the load's calls have.
const SAY_HELLO_DEADLINE_MS: u64 = 500;

/// Applies the prod overlays of the counter, the greeter and the journal (a StatefulSet) from
/// `tools/test-cluster/e2e/<app>` after a dry run of each; for each, the HPA's minimum of pods
/// becomes Ready through the generated gRPC probes, the HPA reports that target, and both
/// Services' EndpointSlices list exactly the ready pods.
pub(crate) async fn deploy(cx: &Cx) -> Result<Outcome> {
    let counter = deploy_app(cx, "counter", "prod", Workload::Deployment).await?;
    let greeter = deploy_app(cx, "greeter", GREETER, Workload::Deployment).await?;
    cx.state.borrow_mut().greeter_ips = greeter.clone();
    if !cx.existing {
        // Local volumes for the journal's claims (their directories go on `down`); a cluster of
        // your own provisions them from its default StorageClass.
        for n in 0..3 {
            let dir = cx.cluster_dir.join(format!("volumes/journal-{n}"));
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let pvs = std::fs::read_to_string(cx.repo.join("tools/test-cluster/e2e/journal/pv.yaml"))?;
        k8s::apply(&cx.client, &pvs, false).await.context("the journal's PersistentVolumes")?;
    }
    let journal = deploy_app(cx, "journal", "journal-prod", Workload::StatefulSet).await?;
    Ok(passed(format!(
        "counter {}, greeter {}, journal {} pods Ready as their HPAs ask, listed by their EndpointSlices",
        counter.len(),
        greeter.len(),
        journal.len()
    )))
}

/// Applies `tools/test-cluster/e2e/<app>`, waits for the HPA's minimum of Ready pods, checks
/// the EndpointSlices; returns the pods' IPs, sorted.
async fn deploy_app(cx: &Cx, app: &str, namespace: &str, kind: Workload) -> Result<Vec<String>> {
    let dir = cx.repo.join("tools/test-cluster/e2e").join(app);
    k8s::dry_run(cx, &cx.client, &dir).await?;
    let built = k8s::kustomize(cx, &dir).await?;
    k8s::apply(&cx.client, &built, false).await.with_context(|| format!("server-side apply of {app}"))?;
    let hpas: Api<HorizontalPodAutoscaler> = Api::namespaced(cx.client.clone(), namespace);
    let min = hpas.get(app).await?.spec.and_then(|spec| spec.min_replicas).unwrap_or(1);
    // The workload leaves replicas to the HPA, which raises them to its minimum.
    let what = format!("the HPA setting {app}'s replicas to its minimum of {min}");
    let replicas =
        |replicas: Option<i32>| if replicas == Some(min) { Ok(()) } else { Err(format!("replicas {replicas:?}")) };
    let timeout = Duration::from_secs(60);
    match kind {
        Workload::Deployment => {
            let api: Api<Deployment> = Api::namespaced(cx.client.clone(), namespace);
            k8s::wait_for(api, app, timeout, &what, |d| replicas(d.and_then(|d| d.spec.as_ref()?.replicas))).await?
        }
        Workload::StatefulSet => {
            let api: Api<StatefulSet> = Api::namespaced(cx.client.clone(), namespace);
            k8s::wait_for(api, app, timeout, &what, |s| replicas(s.and_then(|s| s.spec.as_ref()?.replicas))).await?
        }
    }
    k8s::rollout(&cx.client, namespace, kind, app, Duration::from_secs(180))
        .await
        .with_context(|| format!("{app} did not become Ready"))?;
    let ready = match kind {
        Workload::Deployment => {
            let api: Api<Deployment> = Api::namespaced(cx.client.clone(), namespace);
            api.get(app).await?.status.and_then(|s| s.ready_replicas)
        }
        Workload::StatefulSet => {
            let api: Api<StatefulSet> = Api::namespaced(cx.client.clone(), namespace);
            api.get(app).await?.status.and_then(|s| s.ready_replicas)
        }
    };
    if ready != Some(min) {
        bail!("{app}: {ready:?} ready replicas, the HPA's minimum is {min}");
    }
    let status = hpas.get(app).await?.status.unwrap_or_default();
    let able = status.conditions.iter().flatten().any(|c| c.type_ == "AbleToScale" && c.status == "True");
    if status.desired_replicas != min || !able {
        bail!("{app}: the HPA does not report its target of {min} replicas ({status:?})");
    }
    let pod_ips = running_pod_ips(cx, namespace, app).await?;
    // The EndpointSlice controller batches its updates: a slice may trail the pods by a moment.
    for service in [app.to_string(), format!("{app}-headless")] {
        let slices: Api<EndpointSlice> = Api::namespaced(cx.client.clone(), namespace);
        let config = watcher::Config::default().labels(&format!("kubernetes.io/service-name={service}"));
        let what = format!("EndpointSlices of {service} listing the ready pods {pod_ips:?}");
        k8s::wait_until(slices, config, Duration::from_secs(15), &what, |slices| {
            let ready = k8s::ready_addresses(slices);
            if ready == pod_ips {
                Ok(())
            } else {
                Err(format!("they list {ready:?}"))
            }
        })
        .await?;
    }
    cx.say(format!(
        "{app}: {min} replicas Ready through the gRPC probes, as the HPA asks; both Services' EndpointSlices list them"
    ));
    Ok(pod_ips)
}

/// The IPs of the app's Running pods, sorted.
pub(super) async fn running_pod_ips(cx: &Cx, namespace: &str, app: &str) -> Result<Vec<String>> {
    let mut ips: Vec<String> = app_pods(cx, namespace, app, true)
        .await?
        .iter()
        .filter_map(|pod| pod.status.as_ref()?.pod_ip.clone())
        .collect();
    ips.sort();
    Ok(ips)
}

/// The app's pods (only the Running ones if `running`), by name.
async fn app_pods(cx: &Cx, namespace: &str, app: &str, running: bool) -> Result<Vec<Pod>> {
    let pods: Api<Pod> = Api::namespaced(cx.client.clone(), namespace);
    let mut params = ListParams::default().labels(&format!("app.kubernetes.io/name={app}"));
    if running {
        params = params.fields("status.phase=Running");
    }
    let mut listed = pods.list(&params).await?.items;
    listed.sort_by_key(|pod| pod.name_any());
    Ok(listed)
}

/// Jobs call the counter's and the greeter's headless Services by name with the kuberpc
/// balanced client from inside the cluster (CoreDNS answers); every greeter pod served calls of
/// this load (each pod's /metrics, before and after).
pub(crate) async fn balanced_client(cx: &Cx) -> Result<Outcome> {
    cx.say("the balanced client from inside the cluster, by the headless Service's name");
    let job = k8s::client_job("counter-call", "kuberpc.local/counter-client:e2e", 10, &[]);
    let output = k8s::run_job(cx, "prod", job, 10).await.context("the counter client failed")?;
    let counter = output.lines().last().unwrap_or_default().to_string();
    cx.say(format!("counter: {counter}"));
    let ips = if cx.existing { Vec::new() } else { cx.state.borrow().greeter_ips.clone() };
    // The counts are the pods' totals (earlier runs' calls included): each must grow.
    let mut before = Vec::new();
    for ip in &ips {
        before.push(served_calls(ip).await.with_context(|| format!("the /metrics of pod {ip}"))?);
    }
    start_load(cx, "greeter-calls", 5).await?;
    let summary = load_result(cx, "greeter-calls", 5).await?;
    cx.say(&summary);
    no_call_lost("calls failed", &summary)?;
    let mut served = Vec::new();
    for (ip, before) in ips.iter().zip(before) {
        let after = served_calls(ip).await.with_context(|| format!("the /metrics of pod {ip}"))?;
        // A counter lower than before started over with a restarted server: all of it is new.
        let count = after.checked_sub(before).unwrap_or(after);
        if count == 0 {
            bail!("pod {ip} served no call");
        }
        cx.say(format!("pod {ip} served {count} calls"));
        served.push(count.to_string());
    }
    let served = if served.is_empty() { String::new() } else { format!("; the pods served {}", served.join(", ")) };
    Ok(passed(format!("counter: {counter}; greeter: {summary}{served}")))
}

/// The SayHello calls a pod answered OK, from its /metrics (the pods' bridge is the node's).
async fn served_calls(ip: &str) -> Result<u64> {
    let metrics = within(Duration::from_secs(10), "GET /metrics", http_get(&format!("{ip}:9090"), "/metrics")).await?;
    Ok(parse::served_say_hello(&metrics).unwrap_or(0))
}

/// The body of a plain HTTP/1.0 GET (the metrics port speaks it; no client library needed).
async fn http_get(address: &str, path: &str) -> Result<String> {
    let (status, body) = crate::http::exchange(address, &crate::http::get(address, path)).await?;
    if crate::http::status_code(&status) != "200" {
        bail!("GET {path}: {status}");
    }
    Ok(String::from_utf8_lossy(&body).to_string())
}

/// Starts the greeter client calling SayHello from 4 tasks for `seconds`, as Job `name`.
async fn start_load(cx: &Cx, name: &str, seconds: u32) -> Result<()> {
    let job = k8s::client_job(name, "kuberpc.local/greeter-client:e2e", seconds, &["-", "e2e", &seconds.to_string()]);
    k8s::start_job(cx, GREETER, job).await
}

/// Waits for the load Job `name` and returns its summary line (`calls=… failed=… …`).
async fn load_result(cx: &Cx, name: &str, seconds: u32) -> Result<String> {
    k8s::client_summary(cx, GREETER, name, seconds).await
}

/// Fails with `what` unless the client summary counts no failed call. When the load
/// generator itself was not run for longer than the calls' deadline, the failure says so:
/// those calls expired while their caller was not running.
fn no_call_lost(what: &str, summary: &str) -> Result<()> {
    if parse::no_call_failed(summary) {
        return Ok(());
    }
    match parse::late_max_ms(summary) {
        Some(late) if late >= SAY_HELLO_DEADLINE_MS => bail!(
            "{what}: {summary} (the load generator was not run for {late} ms at worst, longer than the \
             {SAY_HELLO_DEADLINE_MS} ms deadline: is the machine overloaded, or the Job without its CPU request?)"
        ),
        _ => bail!("{what}: {summary}"),
    }
}

/// A rolling restart of the greeter under load from inside the cluster loses no call.
pub(crate) async fn rolling_restart(cx: &Cx) -> Result<Outcome> {
    cx.say("rolling restart under load");
    start_load(cx, "greeter-restart", 40).await?;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let deployments: Api<Deployment> = Api::namespaced(cx.client.clone(), GREETER);
    deployments.restart("greeter").await?;
    k8s::rollout(&cx.client, GREETER, Workload::Deployment, "greeter", Duration::from_secs(180))
        .await
        .context("the restart did not finish")?;
    let summary = load_result(cx, "greeter-restart", 40).await?;
    cx.say(&summary);
    no_call_lost("a rolling restart lost calls", &summary)?;
    Ok(passed(summary))
}

/// A pod force-deleted under load (a pod that vanishes without a word) loses no call: the load
/// is SayHello, idempotent, and the client's resilience target is nothing lost for those.
pub(crate) async fn force_deleted_pod(cx: &Cx) -> Result<Outcome> {
    cx.say("a pod force-deleted under load");
    start_load(cx, "greeter-crash", 20).await?;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let pods = app_pods(cx, GREETER, "greeter", false).await?;
    let victim = pods.first().context("no greeter pod")?.name_any();
    let api: Api<Pod> = Api::namespaced(cx.client.clone(), GREETER);
    api.delete(&victim, &DeleteParams::default().grace_period(0)).await?;
    let summary = load_result(cx, "greeter-crash", 20).await?;
    cx.say(format!("force-deleted {victim}: {summary}"));
    no_call_lost("a vanished pod cost idempotent callers calls", &summary)?;
    Ok(passed(format!("force-deleted {victim}: {summary}")))
}

/// A drain of the greeter's node respects the PodDisruptionBudget: one pod evicted, the next
/// refused (`kubectl drain`: its eviction loop is the point).
pub(crate) async fn drain_respects_pdb(cx: &Cx) -> Result<Outcome> {
    cx.say("a drain respects the PodDisruptionBudget");
    let pods = app_pods(cx, GREETER, "greeter", false).await?;
    let mut nodes: Vec<String> = pods.iter().filter_map(|pod| pod.spec.as_ref()?.node_name.clone()).collect::<Vec<_>>();
    nodes.sort();
    nodes.dedup();
    // The test cluster has one node; on a cluster of your own the pods may be spread, and a
    // drain of one node would not meet the budget.
    let [node] = nodes.as_slice() else {
        return Ok(skipped(format!("the greeter's pods run on several nodes ({})", nodes.join(" "))));
    };
    let api: Api<Node> = Api::all(cx.client.clone());
    api.cordon(node).await?;
    let args = [
        "drain",
        node,
        "--pod-selector=app.kubernetes.io/name=greeter",
        "--ignore-daemonsets",
        "--delete-emptydir-data",
        "--timeout=15s",
    ];
    let drained = cx.run_status("kubectl", args, None, Duration::from_secs(60)).await;
    api.uncordon(node).await?;
    let (_, stdout, stderr) = drained?;
    let said = format!("{stdout}{stderr}");
    cx.note(format!("the drain said:\n{said}"));
    let (evicted, refused) = parse::drain_report(&said);
    if evicted != 1 || !refused {
        bail!("expected one eviction, then the PDB refusing the next; the drain said: {said}");
    }
    let result = format!("one pod evicted from {node}, the next refused by the PDB");
    cx.say(&result);
    Ok(passed(result))
}

/// A wedged server (its process stopped): readiness takes the pod out of the EndpointSlices,
/// liveness restarts it, and it serves again; the load meanwhile loses no call.
pub(crate) async fn wedged_server(cx: &Cx) -> Result<Outcome> {
    if cx.existing {
        return Ok(skipped("stopping a server's process needs the node (the test cluster's)"));
    }
    cx.say("a wedged server: readiness takes it out, liveness restarts it");
    let pods = app_pods(cx, GREETER, "greeter", true).await?;
    let victim = pods.first().context("no Running greeter pod")?;
    let name = victim.name_any();
    let status = victim.status.clone().unwrap_or_default();
    let container = status.container_statuses.as_deref().and_then(|c| c.first()).context("no container status")?;
    let restarts = container.restart_count;
    let id = container.container_id.clone().unwrap_or_default();
    let ip = status.pod_ip.clone().context("no pod IP")?;
    let socket = cx.cluster_dir.join("containerd/containerd.sock");
    let tasks = cx
        .run(
            "ctr",
            [
                "--address".as_ref(),
                socket.as_os_str(),
                "-n".as_ref(),
                "k8s.io".as_ref(),
                "task".as_ref(),
                "ls".as_ref(),
            ],
            COMMAND_TIMEOUT,
        )
        .await?;
    let pid = parse::task_pid(&tasks, id.trim_start_matches("containerd://"))
        .with_context(|| format!("no process for {name}'s container {id}"))?;
    start_load(cx, "greeter-wedged", 70).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    cx.run("kill", ["-STOP", &pid.to_string()], COMMAND_TIMEOUT).await?;
    let stopped = Stopped(pid);
    let wedged = Instant::now();
    let slices: Api<EndpointSlice> = Api::namespaced(cx.client.clone(), GREETER);
    let config = watcher::Config::default().labels("kubernetes.io/service-name=greeter-headless");
    let what = format!("{name} wedged no longer a ready endpoint");
    k8s::wait_until(slices, config, Duration::from_secs(30), &what, |slices| {
        let ready = k8s::ready_addresses(slices);
        if ready.contains(&ip) {
            Err(format!("ready endpoints {ready:?}"))
        } else {
            Ok(())
        }
    })
    .await?;
    let unready = wedged.elapsed().as_secs();
    let api: Api<Pod> = Api::namespaced(cx.client.clone(), GREETER);
    let left = Duration::from_secs(120).saturating_sub(wedged.elapsed());
    k8s::wait_for(api.clone(), &name, left, &format!("{name} wedged restarted by its liveness probe"), |pod| {
        let count = pod.and_then(|p| p.status.as_ref()?.container_statuses.as_ref()?.first().map(|c| c.restart_count));
        if count.is_some_and(|count| count > restarts) {
            Ok(())
        } else {
            Err(format!("restarts {count:?}"))
        }
    })
    .await?;
    stopped.restarted();
    let restarted = wedged.elapsed().as_secs();
    k8s::wait_for(api, &name, Duration::from_secs(60), &format!("{name} serving again"), |pod| {
        let ready = pod
            .and_then(|p| p.status.as_ref()?.conditions.as_ref())
            .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
        if ready {
            Ok(())
        } else {
            Err("not Ready".into())
        }
    })
    .await?;
    let serving = wedged.elapsed().as_secs();
    let summary = load_result(cx, "greeter-wedged", 70).await?;
    let result = format!(
        "{name} stopped: out of the EndpointSlices after {unready}s, restarted by liveness after {restarted}s, \
         Ready again after {serving}s; {summary}"
    );
    cx.say(&result);
    no_call_lost("a wedged pod cost idempotent callers calls", &summary)?;
    Ok(passed(result))
}

/// A stopped process, continued if the scenario ends before its container was restarted (so
/// a failed run does not leave a wedged pod behind).
struct Stopped(u32);

impl Stopped {
    fn restarted(self) {
        std::mem::forget(self);
    }
}

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill").args(["-CONT", &self.0.to_string()]).status();
    }
}
