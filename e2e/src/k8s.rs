//! The cluster through kube-rs: server-side apply (and its dry run) of built manifests,
//! waits on watches, rollouts, the client Jobs, and what a failed scenario's log gets.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;
use std::hash::Hash;
use std::path::Path;
use std::time::Duration;

use anyhow::{anyhow, bail, Context as _, Result};
use futures_util::StreamExt as _;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{
    Capabilities, Container, EnvVar, EnvVarSource, Event, ObjectFieldSelector, Pod, PodSecurityContext, PodSpec,
    PodTemplateSpec, ResourceRequirements, SeccompProfile, SecurityContext,
};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, LogParams, ObjectMeta, Patch, PatchParams, PostParams};
use kube::core::GroupVersionKind;
use kube::discovery::{ApiCapabilities, ApiResource, Scope};
use kube::runtime::watcher;
use kube::{Client, Resource, ResourceExt};
use serde::de::DeserializeOwned;
use serde::Deserialize as _;

use crate::cx::{last_lines, within, Cx, COMMAND_TIMEOUT};

/// The field manager of everything the harness applies: kubectl's own, as `kubectl apply
/// --server-side` (the README's way, and the old e2e's) applies it. Under another name a
/// re-apply conflicts with objects kubectl applied, even on equal values (a `false` the API
/// server leaves out, e.g. a Service's `publishNotReadyAddresses`).
const MANAGER: &str = "kubectl";
/// Longest a Job may take to finish once its client's time is up.
pub(crate) const JOB_TIMEOUT: Duration = Duration::from_secs(180);

/// `kubectl kustomize DIR`.
pub(crate) async fn kustomize(cx: &Cx, dir: &Path) -> Result<String> {
    cx.run("kubectl", [Path::new("kustomize"), dir], COMMAND_TIMEOUT).await
}

/// The objects of a multi-document YAML stream.
pub(crate) fn objects(yaml: &str) -> Result<Vec<DynamicObject>> {
    let mut objects = Vec::new();
    for document in serde_yaml::Deserializer::from_str(yaml) {
        let value = serde_yaml::Value::deserialize(document).context("a YAML document")?;
        if !value.is_null() {
            objects.push(serde_yaml::from_value(value).context("a Kubernetes object")?);
        }
    }
    Ok(objects)
}

/// Server-side applies (as `kubectl apply --server-side`, strict field validation) every object
/// of `yaml` in order, or dry-runs it (`--dry-run=server`): the API server validates each
/// object, admission included, and a dry run changes nothing. Returns how many objects.
pub(crate) async fn apply(client: &Client, yaml: &str, dry_run: bool) -> Result<usize> {
    let mut kinds: HashMap<GroupVersionKind, (ApiResource, ApiCapabilities)> = HashMap::new();
    let objects = objects(yaml)?;
    let params = PatchParams {
        dry_run,
        field_manager: Some(MANAGER.into()),
        field_validation: Some(kube::api::ValidationDirective::Strict),
        ..PatchParams::default()
    };
    for object in &objects {
        let types = object.types.as_ref().ok_or_else(|| anyhow!("an object without apiVersion and kind"))?;
        let gvk = GroupVersionKind::try_from(types).map_err(|e| anyhow!("{types:?}: {e}"))?;
        if !kinds.contains_key(&gvk) {
            let found =
                kube::discovery::pinned_kind(client, &gvk).await.with_context(|| format!("the API of {types:?}"))?;
            kinds.insert(gvk.clone(), found);
        }
        let (resource, capabilities) = &kinds[&gvk];
        let api: Api<DynamicObject> = match capabilities.scope {
            Scope::Namespaced => {
                let namespace = object.namespace().unwrap_or_else(|| client.default_namespace().to_string());
                Api::namespaced_with(client.clone(), &namespace, resource)
            }
            Scope::Cluster => Api::all_with(client.clone(), resource),
        };
        let name = object.name_any();
        api.patch(&name, &params, &Patch::Apply(object))
            .await
            .map_err(|e| anyhow!("{} {name}: {}", types.kind, said(&e)))?;
    }
    Ok(objects.len())
}

/// What the API server said (its message alone), or the client's error.
pub(crate) fn said(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => format!("{} ({})", status.message, status.code),
        other => other.to_string(),
    }
}

/// A server-side dry run of the kustomization `dir`, its Namespaces created first (a dry run
/// cannot create the namespace its objects go in).
pub(crate) async fn dry_run(cx: &Cx, client: &Client, dir: &Path) -> Result<()> {
    let built = kustomize(cx, dir).await?;
    let namespaces: Vec<&str> = built.split("\n---\n").filter(|document| is_namespace(document)).collect();
    if !namespaces.is_empty() {
        if let Err(error) = apply(client, &namespaces.join("\n---\n"), false).await {
            cx.note(format!("creating the namespaces of {}: {error:#}", dir.display()));
        }
    }
    let objects =
        apply(client, &built, true).await.with_context(|| format!("server-side dry run of {}", dir.display()))?;
    cx.note(format!("dry run of {}: {objects} objects accepted", dir.display()));
    Ok(())
}

fn is_namespace(document: &str) -> bool {
    document.lines().any(|line| line.trim_end() == "kind: Namespace")
}

/// Watches `api` (narrowed by `config`) until `check` of the objects it sees returns `Ok`;
/// `Err` says what it sees instead, which a timeout reports.
pub(crate) async fn wait_until<K, T>(
    api: Api<K>,
    config: watcher::Config,
    timeout: Duration,
    what: &str,
    mut check: impl FnMut(&[K]) -> Result<T, String>,
) -> Result<T>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + 'static,
    K::DynamicType: Default + Eq + Hash + Clone,
{
    let mut seen = String::from("nothing yet");
    let watch = async {
        let mut events = watcher(api, config).boxed();
        let mut state = Listed::default();
        while let Some(event) = events.next().await {
            let event = match event {
                Ok(event) => event,
                Err(error) => {
                    // The watcher starts over by itself; wait a moment so a failing API server is
                    // not asked in a tight loop.
                    seen = format!("a watch error: {error}");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
            };
            let Some(current) = state.event(event) else { continue };
            match check(&current) {
                Ok(found) => return found,
                Err(state) => seen = state,
            }
        }
        unreachable!("a watcher's stream does not end")
    };
    match tokio::time::timeout(timeout, watch).await {
        Ok(found) => Ok(found),
        Err(_) => bail!("{what}: not within {}s ({seen})", timeout.as_secs()),
    }
}

/// The objects a watch has listed, from its events; see [`Listed::event`].
struct Listed<K> {
    objects: BTreeMap<String, K>,
    /// The (re)list under way, until its InitDone; `None` outside one.
    listing: Option<BTreeMap<String, K>>,
    /// Whether a list has completed: before that, what is known is not the state.
    synced: bool,
}

impl<K> Default for Listed<K> {
    fn default() -> Self {
        Self { objects: BTreeMap::new(), listing: None, synced: false }
    }
}

impl<K: Resource + Clone> Listed<K> {
    /// Takes one event; returns the objects when they are the state to check: after a list
    /// has completed and on every change after that, never while a list is under way (an
    /// empty set before the first list would pass every check of absence).
    fn event(&mut self, event: watcher::Event<K>) -> Option<Vec<K>> {
        let key = |object: &K| format!("{}/{}", object.namespace().unwrap_or_default(), object.name_any());
        match event {
            watcher::Event::Init => self.listing = Some(BTreeMap::new()),
            watcher::Event::InitApply(object) => {
                self.listing.get_or_insert_with(BTreeMap::new).insert(key(&object), object);
            }
            watcher::Event::InitDone => {
                self.objects = self.listing.take().unwrap_or_default();
                self.synced = true;
            }
            watcher::Event::Apply(object) => {
                self.objects.insert(key(&object), object);
            }
            watcher::Event::Delete(object) => {
                self.objects.remove(&key(&object));
            }
        }
        (self.synced && self.listing.is_none()).then(|| self.objects.values().cloned().collect())
    }
}

/// One object by name, through [`wait_until`].
pub(crate) async fn wait_for<K, T>(
    api: Api<K>,
    name: &str,
    timeout: Duration,
    what: &str,
    mut check: impl FnMut(Option<&K>) -> Result<T, String>,
) -> Result<T>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + 'static,
    K::DynamicType: Default + Eq + Hash + Clone,
{
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    wait_until(api, config, timeout, what, |objects| check(objects.first())).await
}

/// Waits as `kubectl rollout status` does: the controller has seen the latest spec, every
/// replica is updated and available (a Deployment), or ready and of the update revision (a
/// StatefulSet).
pub(crate) async fn rollout(
    client: &Client,
    namespace: &str,
    kind: Workload,
    name: &str,
    timeout: Duration,
) -> Result<()> {
    let what = format!("the rollout of {kind:?} {namespace}/{name}");
    match kind {
        Workload::Deployment => {
            let api: Api<Deployment> = Api::namespaced(client.clone(), namespace);
            wait_for(api, name, timeout, &what, |d| deployment_rolled_out(d.ok_or("not there")?)).await
        }
        Workload::StatefulSet => {
            let api: Api<StatefulSet> = Api::namespaced(client.clone(), namespace);
            wait_for(api, name, timeout, &what, |s| statefulset_rolled_out(s.ok_or("not there")?)).await
        }
    }
}

/// The workloads the examples deploy.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Workload {
    Deployment,
    StatefulSet,
}

fn deployment_rolled_out(deployment: &Deployment) -> Result<(), String> {
    let status = deployment.status.clone().unwrap_or_default();
    let generation = deployment.metadata.generation.unwrap_or(0);
    if status.observed_generation.unwrap_or(0) < generation {
        return Err("the controller has not seen the latest spec".into());
    }
    let wanted = deployment.spec.as_ref().and_then(|spec| spec.replicas).unwrap_or(1);
    let (updated, replicas, available) =
        (status.updated_replicas.unwrap_or(0), status.replicas.unwrap_or(0), status.available_replicas.unwrap_or(0));
    if updated < wanted || replicas > updated || available < updated {
        return Err(format!("{updated} of {wanted} updated, {replicas} in all, {available} available"));
    }
    Ok(())
}

fn statefulset_rolled_out(set: &StatefulSet) -> Result<(), String> {
    let status = set.status.clone().unwrap_or_default();
    let generation = set.metadata.generation.unwrap_or(0);
    if status.observed_generation.unwrap_or(0) == 0 || status.observed_generation.unwrap_or(0) < generation {
        return Err("the controller has not seen the latest spec".into());
    }
    let wanted = set.spec.as_ref().and_then(|spec| spec.replicas).unwrap_or(1);
    if status.ready_replicas.unwrap_or(0) < wanted {
        return Err(format!("{} of {wanted} ready", status.ready_replicas.unwrap_or(0)));
    }
    if status.update_revision != status.current_revision {
        return Err(format!("revision {:?} rolling out over {:?}", status.update_revision, status.current_revision));
    }
    Ok(())
}

/// The ready addresses of a Service's EndpointSlices, sorted.
pub(crate) fn ready_addresses(slices: &[EndpointSlice]) -> Vec<String> {
    let mut ready: Vec<String> = slices
        .iter()
        .flat_map(|slice| &slice.endpoints)
        .filter(|endpoint| endpoint.conditions.as_ref().and_then(|c| c.ready) == Some(true))
        .filter_map(|endpoint| endpoint.addresses.first().cloned())
        .collect();
    ready.sort();
    ready
}

/// The CPU a client Job asks for. Without a request its pod is BestEffort, the lowest CPU
/// weight on the node (2 shares against the greeter pods' 768): on a machine whose cores are
/// busy it was not run for over 500 ms at a time, and every call it had in flight passed its
/// deadline while it was stopped (4 of 80,132 calls in CI; 4 of 88,277 here with two busy
/// loops, the client's 10 ms timer 570 ms late). A caller in production has a request; with
/// this one the same load lost none (timer at most 187 ms late). It fits the test cluster's
/// two CPUs beside every example and the greeter's extra pod of a rolling restart (whose next
/// new pod may wait a few seconds for a terminating one's CPU, as it may in production).
pub(crate) const CLIENT_CPU: &str = "200m";

/// How long a client pod waits before its client starts: the NetworkPolicy engine
/// (kube-network-policies) knows a pod by the address its informer sees in the pod's status,
/// which the kubelet reports a moment after the containers start; until then the pod's new
/// connections are no pod's, and policies that admit it by label drop them (in the first run
/// with the engine: the first 2 calls of each of the 4 load tasks, every run). With NRI the
/// engine would learn the address at sandbox creation; containerd 1.6 has none. Long-lived
/// pods are unaffected: they are called only once Ready, and retry their own connections.
/// 3 s was not always enough on a busy node: in one full run of 19 scenarios a probe's first
/// connections to the OTLP collector were still dropped after it (its client then ejected the
/// only pod for 30 s and every call failed), so twice that.
const ENGINE_CATCH_UP: &str = "6";

/// The init container that waits [`ENGINE_CATCH_UP`] seconds (the test cluster's busybox
/// image, restricted like the client).
fn engine_knows_the_pod() -> Container {
    Container {
        name: "engine-knows-the-pod".into(),
        image: Some(PAUSE_IMAGE.into()),
        image_pull_policy: Some("Never".into()),
        command: Some(["/usr/local/bin/busybox", "sleep", ENGINE_CATCH_UP].map(String::from).to_vec()),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            read_only_root_filesystem: Some(true),
            capabilities: Some(Capabilities { drop: Some(vec!["ALL".into()]), ..Default::default() }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The test cluster's pause image: busybox (`scripts/test-cluster`).
const PAUSE_IMAGE: &str = "kuberpc.local/pause:e2e";

/// The label of the e2e's client pods, which the e2e's own NetworkPolicies beside the
/// generated ones admit (`tools/test-cluster/e2e/<app>/e2e-clients.yaml`).
pub(crate) const E2E_CLIENT: (&str, &str) = ("kuberpc.dev/e2e-client", "true");

/// `job` with its pod labelled `labels` instead (the Job controller adds its own).
pub(crate) fn with_pod_labels(mut job: Job, labels: &[(&str, &str)]) -> Job {
    if let Some(spec) = job.spec.as_mut() {
        let labels = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        spec.template.metadata = Some(ObjectMeta { labels: Some(labels), ..Default::default() });
    }
    job
}

/// A Job running one client image as the restricted Pod Security level wants it: no retry,
/// `seconds` plus a minute at most, the pod's namespace in POD_NAMESPACE, [`CLIENT_CPU`],
/// labelled as an e2e client ([`E2E_CLIENT`]).
pub(crate) fn client_job(name: &str, image: &str, seconds: u32, args: &[&str]) -> Job {
    let container = Container {
        name: "client".into(),
        image: Some(image.into()),
        image_pull_policy: Some("Never".into()),
        args: Some(args.iter().map(|arg| arg.to_string()).collect()),
        env: Some(vec![EnvVar {
            name: "POD_NAMESPACE".into(),
            value_from: Some(EnvVarSource {
                field_ref: Some(ObjectFieldSelector { field_path: "metadata.namespace".into(), ..Default::default() }),
                ..Default::default()
            }),
            ..Default::default()
        }]),
        resources: Some(ResourceRequirements {
            requests: Some([("cpu".to_string(), Quantity(CLIENT_CPU.into()))].into()),
            ..Default::default()
        }),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: Some(false),
            read_only_root_filesystem: Some(true),
            capabilities: Some(Capabilities { drop: Some(vec!["ALL".into()]), ..Default::default() }),
            ..Default::default()
        }),
        ..Default::default()
    };
    Job {
        metadata: ObjectMeta { name: Some(name.into()), ..Default::default() },
        spec: Some(JobSpec {
            backoff_limit: Some(0),
            active_deadline_seconds: Some(i64::from(seconds) + 60),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some([(E2E_CLIENT.0.to_string(), E2E_CLIENT.1.to_string())].into()),
                    ..Default::default()
                }),
                spec: Some(PodSpec {
                    restart_policy: Some("Never".into()),
                    security_context: Some(PodSecurityContext {
                        run_as_non_root: Some(true),
                        run_as_user: Some(10001),
                        seccomp_profile: Some(SeccompProfile { type_: "RuntimeDefault".into(), ..Default::default() }),
                        ..Default::default()
                    }),
                    // An existing cluster has its own engine, and not the test cluster's image.
                    init_containers: (!crate::cx::existing_cluster()).then(|| vec![engine_knows_the_pod()]),
                    containers: vec![container],
                    ..Default::default()
                }),
            },
            ..Default::default()
        }),
        status: None,
    }
}

/// Creates `job` in `namespace`, the Job of that name from an earlier run deleted first.
pub(crate) async fn start_job(cx: &Cx, namespace: &str, job: Job) -> Result<()> {
    let name = job.name_any();
    let api: Api<Job> = Api::namespaced(cx.client.clone(), namespace);
    if api.get_opt(&name).await?.is_some() {
        api.delete(&name, &DeleteParams::background()).await?;
        wait_for(api.clone(), &name, Duration::from_secs(60), &format!("deleting the old Job {name}"), |job| {
            job.map_or(Ok(()), |_| Err("still there".into()))
        })
        .await?;
    }
    api.create(&PostParams::default(), &job).await.with_context(|| format!("creating Job {namespace}/{name}"))?;
    cx.started_job(namespace, &name);
    cx.note(format!("started Job {namespace}/{name}"));
    Ok(())
}

/// Waits (at most [`JOB_TIMEOUT`]) until the Job has completed or failed; whether it succeeded.
pub(crate) async fn job_done(cx: &Cx, namespace: &str, name: &str) -> Result<bool> {
    let api: Api<Job> = Api::namespaced(cx.client.clone(), namespace);
    wait_for(api, name, JOB_TIMEOUT, &format!("Job {name} to finish"), |job| {
        let status = job.and_then(|job| job.status.as_ref()).ok_or("no status yet")?;
        if status.completion_time.is_some() || status.failed.is_some() {
            return Ok(status.succeeded == Some(1));
        }
        Err(format!("{} active", status.active.unwrap_or(0)))
    })
    .await
}

/// The output of the Job's pod (the newest, as `kubectl logs job/NAME` picks one).
pub(crate) async fn job_logs(client: &Client, namespace: &str, name: &str) -> Result<String> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let mut listed = pods.list(&ListParams::default().labels(&format!("job-name={name}"))).await?.items;
    listed.sort_by_key(|pod| pod.metadata.creation_timestamp.clone());
    let pod = listed.last().ok_or_else(|| anyhow!("Job {name} has no pod"))?;
    Ok(pods.logs(&pod.name_any(), &LogParams::default()).await?)
}

/// The summary line (`calls=… failed=… …`) of the client Job `name` of `seconds`, once it
/// finished, successfully or not.
pub(crate) async fn client_summary(cx: &Cx, namespace: &str, name: &str, seconds: u32) -> Result<String> {
    let limit = Duration::from_secs(u64::from(seconds)) + JOB_TIMEOUT;
    within(limit, name, job_done(cx, namespace, name)).await?;
    let output = job_logs(&cx.client, namespace, name).await?;
    cx.note(format!("Job {namespace}/{name}:\n{output}"));
    match crate::parse::client_summary(&output) {
        Some(summary) => Ok(summary.to_string()),
        None => bail!("{name}: no summary; it said: {}", last_lines(&output, 3)),
    }
}

/// Starts the client Job `job` of `seconds` in `namespace` and returns its summary line once
/// it finished, successfully or not ([`client_summary`]).
pub(crate) async fn run_client(cx: &Cx, namespace: &str, job: Job, seconds: u32) -> Result<String> {
    let name = job.name_any();
    start_job(cx, namespace, job).await?;
    client_summary(cx, namespace, &name, seconds).await
}

/// Runs a client Job of `seconds` and returns its output once it finished; fails if it
/// failed, with the end of its output.
pub(crate) async fn run_job(cx: &Cx, namespace: &str, job: Job, seconds: u32) -> Result<String> {
    let name = job.name_any();
    start_job(cx, namespace, job).await?;
    let succeeded =
        within(Duration::from_secs(u64::from(seconds)) + JOB_TIMEOUT, &name, job_done(cx, namespace, &name)).await?;
    let output = job_logs(&cx.client, namespace, &name).await?;
    cx.note(format!("Job {name}:\n{output}"));
    if !succeeded {
        bail!("Job {name} failed: {}", last_lines(&output, 3));
    }
    Ok(output)
}

/// What a failed scenario's log gets: for each namespace, its pods, EndpointSlices and recent
/// events, the logs of the scenario's Jobs and of the pods that restarted or are not ready.
pub(crate) async fn diagnose(cx: &Cx, namespaces: &[&str]) {
    for namespace in namespaces {
        if let Err(error) = diagnose_namespace(cx, namespace).await {
            cx.note(format!("(diagnostics of {namespace}: {error:#})"));
        }
    }
    if !cx.existing {
        node_errors(cx);
    }
    for (namespace, job) in cx.jobs() {
        match job_logs(&cx.client, &namespace, &job).await {
            Ok(output) => cx.note(format!("--- logs of Job {namespace}/{job}:\n{}", last_lines(&output, 200))),
            Err(error) => cx.note(format!("--- logs of Job {namespace}/{job}: {error:#}")),
        }
    }
}

/// The test cluster's node: the last errors its kubelet and containerd logged, on stderr
/// (a pod that never starts or is never probed says why there, not in the API).
fn node_errors(cx: &Cx) {
    for component in ["kubelet", "containerd"] {
        let path = cx.cluster_dir.join(format!("logs/{component}.log"));
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let errors: Vec<&str> =
            text.lines().filter(|line| line.starts_with('E') || line.contains("level=error")).collect();
        for line in errors.iter().rev().take(5).rev() {
            cx.say(format!("{component}: {}", line.chars().take(400).collect::<String>()));
        }
    }
}

async fn diagnose_namespace(cx: &Cx, namespace: &str) -> Result<()> {
    let pods: Api<Pod> = Api::namespaced(cx.client.clone(), namespace);
    let listed = pods.list(&ListParams::default()).await?.items;
    cx.note(format!("--- pods of {namespace} (name phase ready restarts ip node):"));
    let mut troubled = Vec::new();
    for pod in &listed {
        let status = pod.status.clone().unwrap_or_default();
        let ready = status.conditions.iter().flatten().any(|c| c.type_ == "Ready" && c.status == "True");
        let restarts: i32 = status.container_statuses.iter().flatten().map(|c| c.restart_count).sum();
        cx.note(format!(
            "{} {} ready={ready} restarts={restarts} {} {}",
            pod.name_any(),
            status.phase.as_deref().unwrap_or("?"),
            status.pod_ip.as_deref().unwrap_or("-"),
            pod.spec.as_ref().and_then(|s| s.node_name.as_deref()).unwrap_or("-")
        ));
        if (restarts > 0 || !ready) && !pod.labels().contains_key("job-name") {
            troubled.push((pod.name_any(), restarts > 0));
        }
    }
    let events: Api<Event> = Api::namespaced(cx.client.clone(), namespace);
    let mut events = events.list(&ListParams::default()).await?.items;
    events.sort_by_key(|e| e.last_timestamp.clone().map(|t| t.0).or(e.event_time.clone().map(|t| t.0)));
    // What CI prints is stderr: each troubled pod's state in a line there, the rest in the log.
    for pod in listed.iter().filter(|pod| troubled.iter().any(|(name, _)| *name == pod.name_any())) {
        cx.say(format!("{namespace}/{}: {}", pod.name_any(), why_not_ready(pod, &events)));
    }
    let slices: Api<EndpointSlice> = Api::namespaced(cx.client.clone(), namespace);
    cx.note(format!("--- EndpointSlices of {namespace}:"));
    for slice in slices.list(&ListParams::default()).await?.items {
        let endpoints: Vec<String> = slice
            .endpoints
            .iter()
            .map(|e| {
                let ready = e.conditions.as_ref().and_then(|c| c.ready);
                format!("{}(ready={ready:?})", e.addresses.first().map_or("-", String::as_str))
            })
            .collect();
        let service = slice.labels().get("kubernetes.io/service-name").cloned().unwrap_or_default();
        cx.note(format!("{} service={service} {}", slice.name_any(), endpoints.join(" ")));
    }
    cx.note(format!("--- the last events of {namespace}:"));
    for event in events.iter().rev().take(40).rev() {
        cx.note(format!(
            "{} {} {}/{}: {} {}",
            event.last_timestamp.as_ref().map(|t| t.0.to_string()).unwrap_or_default(),
            event.type_.as_deref().unwrap_or(""),
            event.involved_object.kind.as_deref().unwrap_or(""),
            event.involved_object.name.as_deref().unwrap_or(""),
            event.reason.as_deref().unwrap_or(""),
            event.message.as_deref().unwrap_or("").trim()
        ));
    }
    for (pod, restarted) in troubled {
        for previous in [false, true].into_iter().filter(|previous| !previous || restarted) {
            let params = LogParams { previous, tail_lines: Some(50), ..LogParams::default() };
            let text = pods.logs(&pod, &params).await.unwrap_or_else(|e| format!("({e})"));
            let which = if previous { " (the container before its restart)" } else { "" };
            cx.note(format!("--- logs of pod {namespace}/{pod}{which}:\n{text}"));
        }
    }
    Ok(())
}

/// One line on why a pod is not (or was not always) ready: its phase, each container's
/// waiting or last termination reason, and the last warning event about it (a failed probe,
/// a scheduling failure, a failed mount).
fn why_not_ready(pod: &Pod, events: &[Event]) -> String {
    let status = pod.status.clone().unwrap_or_default();
    let mut parts = vec![status.phase.unwrap_or_else(|| "no phase".into())];
    for container in status.container_statuses.iter().flatten() {
        let state = container.state.clone().unwrap_or_default();
        if let Some(waiting) = state.waiting {
            parts.push(format!(
                "{} waiting: {} {}",
                container.name,
                waiting.reason.unwrap_or_default(),
                waiting.message.unwrap_or_default()
            ));
        }
        if let Some(ended) = container.last_state.clone().and_then(|last| last.terminated) {
            parts.push(format!(
                "{} ended ({} restarts): {} exit {}",
                container.name,
                container.restart_count,
                ended.reason.unwrap_or_default(),
                ended.exit_code
            ));
        }
        if !container.ready {
            parts.push(format!("{} not ready", container.name));
        }
    }
    let name = pod.name_any();
    let warning = events.iter().rev().find(|event| {
        event.type_.as_deref() == Some("Warning") && event.involved_object.name.as_deref() == Some(name.as_str())
    });
    if let Some(event) = warning {
        parts.push(format!(
            "last warning ({}x): {} {}",
            event.count.unwrap_or(1),
            event.reason.as_deref().unwrap_or(""),
            event.message.as_deref().unwrap_or("").trim()
        ));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_of_a_stream_skip_empty_documents() {
        let yaml = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\n# a comment\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: b\n  namespace: a\n";
        let objects = objects(yaml).unwrap();
        assert_eq!(objects.len(), 2);
        assert_eq!(objects[1].types.as_ref().unwrap().kind, "Deployment");
        assert_eq!(objects[1].namespace().as_deref(), Some("a"));
        assert!(is_namespace(yaml.split("\n---\n").next().unwrap()));
        assert!(!is_namespace("kind: ConfigMap\ndata:\n  kind: Namespace\n"));
    }

    #[test]
    fn the_client_job_meets_the_restricted_level() {
        let job = client_job("calls", "kuberpc.local/greeter-client:e2e", 5, &["-", "e2e", "5"]);
        let spec = job.spec.unwrap();
        assert_eq!((spec.backoff_limit, spec.active_deadline_seconds), (Some(0), Some(65)));
        let pod = spec.template.spec.unwrap();
        let security = pod.security_context.unwrap();
        assert_eq!((security.run_as_non_root, security.run_as_user), (Some(true), Some(10001)));
        assert_eq!(security.seccomp_profile.unwrap().type_, "RuntimeDefault");
        let container = &pod.containers[0];
        let security = container.security_context.clone().unwrap();
        assert_eq!(security.allow_privilege_escalation, Some(false));
        assert_eq!(security.read_only_root_filesystem, Some(true));
        assert_eq!(security.capabilities.unwrap().drop, Some(vec!["ALL".to_string()]));
        assert_eq!(container.args.as_deref(), Some(&["-".to_string(), "e2e".into(), "5".into()][..]));
        let requests = container.resources.clone().unwrap().requests.unwrap();
        assert_eq!(requests["cpu"].0, CLIENT_CPU, "a BestEffort load generator measures its own starvation");
    }

    #[test]
    fn a_watch_state_is_checked_only_once_listed() {
        let pod = |name: &str| -> Pod {
            serde_json::from_value(serde_json::json!({ "metadata": { "name": name } })).unwrap()
        };
        let names = |pods: Option<Vec<Pod>>| pods.map(|pods| pods.iter().map(|p| p.name_any()).collect::<Vec<_>>());
        let mut listed = Listed::default();
        assert_eq!(names(listed.event(watcher::Event::Init)), None, "nothing is known yet, not 'no pod'");
        assert_eq!(names(listed.event(watcher::Event::InitApply(pod("a")))), None);
        assert_eq!(names(listed.event(watcher::Event::InitApply(pod("b")))), None);
        assert_eq!(names(listed.event(watcher::Event::InitDone)), Some(vec!["a".into(), "b".into()]));
        assert_eq!(names(listed.event(watcher::Event::Delete(pod("a")))), Some(vec!["b".into()]));
        assert_eq!(names(listed.event(watcher::Event::Apply(pod("c")))), Some(vec!["b".into(), "c".into()]));
        // A relist (after a watch error) replaces the state once done, and not before.
        assert_eq!(names(listed.event(watcher::Event::Init)), None);
        assert_eq!(names(listed.event(watcher::Event::InitApply(pod("c")))), None);
        assert_eq!(names(listed.event(watcher::Event::InitDone)), Some(vec!["c".into()]));
    }

    #[test]
    fn ready_addresses_leave_out_the_unready() {
        let slice: EndpointSlice = serde_json::from_value(serde_json::json!({
            "addressType": "IPv4",
            "metadata": { "name": "s" },
            "endpoints": [
                { "addresses": ["10.88.0.9"], "conditions": { "ready": true } },
                { "addresses": ["10.88.0.3"], "conditions": { "ready": false } },
                { "addresses": ["10.88.0.2"], "conditions": { "ready": true } },
                { "addresses": ["10.88.0.4"], "conditions": {} },
            ]
        }))
        .unwrap();
        assert_eq!(ready_addresses(&[slice]), ["10.88.0.2", "10.88.0.9"]);
    }

    #[test]
    fn a_rollout_waits_for_old_replicas_to_go() {
        let deployment = |updated: i32, replicas: i32, available: i32| -> Deployment {
            serde_json::from_value(serde_json::json!({
                "metadata": { "name": "d", "generation": 2 },
                "spec": { "replicas": 3, "selector": {}, "template": {} },
                "status": { "observedGeneration": 2, "updatedReplicas": updated, "replicas": replicas, "availableReplicas": available }
            }))
            .unwrap()
        };
        assert!(deployment_rolled_out(&deployment(3, 3, 3)).is_ok());
        assert!(deployment_rolled_out(&deployment(3, 4, 3)).is_err(), "an old pod still terminating");
        assert!(deployment_rolled_out(&deployment(2, 3, 2)).is_err());
        assert!(deployment_rolled_out(&deployment(3, 3, 2)).is_err());
    }
}
