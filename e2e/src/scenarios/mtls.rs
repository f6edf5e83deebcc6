//! Mutual TLS on the cluster, with real cert-manager controllers issuing the identities
//! (`scripts/test-cluster`: the ClusterIssuer `kuberpc-ca`): the bank example's teller and
//! vault deployed as generated — each pod with its Certificate's Secret mounted, probes on the
//! plaintext health port; then client Jobs calling the vault with different identities: the
//! teller's is served Withdraw and refused Audit (PERMISSION_DENIED), a valid certificate of an
//! undeclared service is refused, the vault refuses another CA's certificate and plaintext in
//! the handshake; and both certificates reissued under load cost no call, new connections
//! getting the new ones, with no pod restarted.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{
    KeyToPath, Pod, ProjectedVolumeSource, Secret, SecretProjection, Volume, VolumeMount, VolumeProjection,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use kube::api::{Api, DynamicObject, ListParams, LogParams, Patch, PatchParams};
use kube::core::GroupVersionKind;
use kube::discovery::ApiResource;
use kube::ResourceExt as _;

use crate::cx::Cx;
use crate::k8s::{self, Workload};
use crate::parse;
use crate::summary::{passed, Outcome};

/// The bank's namespace in its prod overlays.
const BANK: &str = "bank-prod";
/// The bank's client image (`bank-client withdraw|audit <seconds>`).
const BANK_CLIENT: &str = "kuberpc.local/bank-client:e2e";
/// Where the runtime reads a pod's certificate (`kuberpc::CERT_DIR`).
const CERT_DIR: &str = "/var/run/kuberpc/tls";
/// The vault's address in prod, for the plaintext client.
const VAULT_ADDRESS: &str = "vault-headless.bank-prod.svc.cluster.local:50051";

/// The vault and the teller from `tools/test-cluster/e2e/{vault,teller}`, with the e2e's other
/// identities: every pod Ready through the probes on its health port once cert-manager issued
/// its certificate.
pub(crate) async fn mtls_deploy(cx: &Cx) -> Result<Outcome> {
    for dir in ["tools/test-cluster/e2e/vault", "tools/test-cluster/e2e/teller"] {
        let dir = cx.repo.join(dir);
        let built = k8s::kustomize(cx, &dir).await?;
        k8s::apply(&cx.client, &built, false)
            .await
            .with_context(|| format!("server-side apply of {}", dir.display()))?;
    }
    for app in ["vault", "teller"] {
        k8s::rollout(&cx.client, BANK, Workload::Deployment, app, Duration::from_secs(180))
            .await
            .with_context(|| format!("{app} did not become Ready (its certificate, its probes on the health port)"))?;
    }
    for secret in ["stranger-mtls", "other-ca-mtls"] {
        secret_ready(cx, secret).await?;
    }
    Ok(passed("vault (2 pods) and teller Ready under mutual TLS; their certificates issued by cert-manager"))
}

/// Who a client Job is: the ServiceAccount it runs as, the Secret its certificate and key come
/// from, and the Secret whose `ca.crt` it trusts.
struct Identity {
    account: &'static str,
    certificate: &'static str,
    trusts: &'static str,
}

/// The teller, declared to call the vault's Withdraw.
const TELLER: Identity = Identity { account: "teller", certificate: "teller-mtls", trusts: "teller-mtls" };
/// A valid certificate of the cluster's CA for a service nobody declared.
const STRANGER: Identity = Identity { account: "default", certificate: "stranger-mtls", trusts: "stranger-mtls" };
/// The teller's SPIFFE ID signed by another CA, trusting the cluster's CA (the teller's
/// `ca.crt`): the client accepts the vault, so a refusal can only be the vault's.
const OTHER_CA: Identity = Identity { account: "default", certificate: "other-ca-mtls", trusts: "teller-mtls" };

/// What tonic's client makes of a connection the server closed in its handshake depends on
/// where each call was: an HTTP/2 protocol error, a transport error, a connect error, or a
/// request dropped with its connection before it was sent (Cancelled). None is a code the
/// service could answer with.
const HANDSHAKE_REFUSED: &[&str] = &["Unavailable", "Unknown", "Internal", "Cancelled"];

/// What each identity gets from the vault.
pub(crate) async fn mtls_refused(cx: &Cx) -> Result<Outcome> {
    let served = bank_client(cx, "as-teller-withdraw", &TELLER, "withdraw", 5).await?;
    if !parse::all_served(&served) {
        bail!("the teller's Withdraw was not served: {served}");
    }
    let refusals: [(&str, &Identity, &str, &[&str]); 3] = [
        ("as-teller-audit", &TELLER, "audit", &["PermissionDenied"]),
        ("as-stranger", &STRANGER, "withdraw", &["PermissionDenied"]),
        ("other-ca", &OTHER_CA, "withdraw", HANDSHAKE_REFUSED),
    ];
    let mut seen = vec![format!("teller Withdraw: {served}")];
    for (name, identity, method, codes) in refusals {
        let summary = bank_client(cx, name, identity, method, 3).await?;
        every_call_failed_with(&summary, codes).with_context(|| format!("{name}: {summary}"))?;
        seen.push(format!("{name}: {summary}"));
    }
    // The greeter's client speaks plaintext HTTP/2: the vault reads it as a broken TLS hello.
    let args = [VAULT_ADDRESS, "e2e", "3"];
    let job = k8s::client_job("plaintext", "kuberpc.local/greeter-client:e2e", 3, &args);
    let summary = k8s::run_client(cx, BANK, job, 3).await?;
    every_call_failed_with(&summary, HANDSHAKE_REFUSED).with_context(|| format!("plaintext: {summary}"))?;
    seen.push(format!("plaintext: {summary}"));
    for line in &seen {
        cx.say(line);
    }
    Ok(passed(seen.join("; ")))
}

/// Both certificates reissued (as `cmctl renew` does) while the teller's identity calls the
/// vault for 100 s: no call fails, the kubelet puts the new files in the pods, new connections
/// get them (the vault's pods say so, and those connections' calls are served), and no pod
/// restarts or stops being Ready.
pub(crate) async fn mtls_rotation(cx: &Cx) -> Result<Outcome> {
    let seconds = 100;
    let job = with_identity(bank_job("teller-rotation", "withdraw", seconds), &TELLER);
    k8s::start_job(cx, BANK, job).await?;
    job_calling(cx, "teller-rotation").await?;
    let renewals_before = renewals(cx).await?;
    for certificate in ["vault-mtls", "teller-mtls"] {
        let before = tls_crt(cx, certificate).await?;
        renew(cx, certificate).await?;
        reissued(cx, certificate, before).await?;
    }
    let fresh = vault_takes_renewal(cx, &renewals_before).await?;
    let summary = k8s::client_summary(cx, BANK, "teller-rotation", seconds).await?;
    cx.say(&summary);
    if !parse::all_served(&summary) {
        bail!("calls failed while the certificates were renewed: {summary}");
    }
    // The probes (plaintext health port) kept passing: no restart by liveness, every container
    // still Ready.
    let (restarts, unready) = restarts_and_unready(cx, "app.kubernetes.io/name=vault").await?;
    if restarts != 0 || unready != 0 {
        bail!("the vault's pods restarted {restarts} times and {unready} containers are not Ready");
    }
    Ok(passed(format!(
        "both certificates reissued under load: {summary}; both vault pods renewed, Ready, no restart; \
         fresh connections after it: {fresh}"
    )))
}

/// Until both vault pods have logged a renewal since `before` (at most 8 rounds of 10 s), a
/// fresh connection as the teller every 10 s (the kubelet swaps the mounted files at its next
/// sync of each pod; a new connection makes the vault read them again). Each fresh Job's calls
/// must all be served; the last one's summary.
async fn vault_takes_renewal(cx: &Cx, before: &BTreeMap<String, usize>) -> Result<String> {
    for attempt in 0..8 {
        tokio::time::sleep(Duration::from_secs(10)).await;
        let name = format!("teller-fresh-{attempt}");
        let job = with_cpu(with_identity(bank_job(&name, "withdraw", 2), &TELLER), FRESH_CPU);
        let summary = k8s::run_client(cx, BANK, job, 2).await?;
        if !parse::all_served(&summary) {
            bail!("a fresh connection after the renewal failed: {summary}");
        }
        let now = renewals(cx).await?;
        let renewed = now.iter().filter(|(pod, count)| **count > before.get(*pod).copied().unwrap_or(0)).count();
        if renewed == 2 {
            return Ok(summary);
        }
    }
    bail!("the vault's pods did not both log a renewed certificate within 80 s")
}

/// Waits (at most 60 s) until the Job `name`'s pod runs its client (past the init container).
async fn job_calling(cx: &Cx, name: &str) -> Result<()> {
    let pods: Api<Pod> = Api::namespaced(cx.client.clone(), BANK);
    let selector = ListParams::default().labels(&format!("job-name={name}"));
    for _ in 0..60 {
        let listed = pods.list(&selector).await?;
        let running = listed.iter().filter_map(|pod| pod.status.as_ref()?.container_statuses.as_ref()).flatten();
        if running.into_iter().any(|status| status.state.as_ref().is_some_and(|state| state.running.is_some())) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    bail!("the Job {name}'s client did not start within 60 s")
}

/// Waits (at most 60 s) until the Secret `name` holds another certificate than `before`.
async fn reissued(cx: &Cx, name: &str, before: Vec<u8>) -> Result<()> {
    let secrets: Api<Secret> = Api::namespaced(cx.client.clone(), BANK);
    k8s::wait_for(secrets, name, Duration::from_secs(60), &format!("{name} reissued"), |secret| {
        let crt = secret.and_then(|s| s.data.as_ref()?.get("tls.crt").cloned()).ok_or("no tls.crt")?;
        (crt.0 != before).then_some(()).ok_or_else(|| "the same certificate".to_string())
    })
    .await
}

/// What a Job asks for that only opens a fresh connection (to make the vault read its files
/// again): the 100 s load beside it and everything the earlier scenarios left running already
/// ask for nearly all of the test node's two CPUs (a fresh Job asking for the load's 200m was
/// not scheduled in a full run).
const FRESH_CPU: &str = "10m";

/// `job` asking for `cpu`.
fn with_cpu(mut job: Job, cpu: &str) -> Job {
    let containers = job.spec.as_mut().and_then(|spec| spec.template.spec.as_mut()).map(|pod| &mut pod.containers);
    for container in containers.into_iter().flatten() {
        let requests =
            container.resources.get_or_insert_with(Default::default).requests.get_or_insert_with(Default::default);
        requests.insert("cpu".into(), Quantity(cpu.into()));
    }
    job
}

/// The Job `bank-client <method> <seconds>`.
fn bank_job(name: &str, method: &str, seconds: u32) -> Job {
    k8s::client_job(name, BANK_CLIENT, seconds, &[method, &seconds.to_string()])
}

/// Runs `bank-client <method> <seconds>` as `identity`; its summary.
async fn bank_client(cx: &Cx, name: &str, identity: &Identity, method: &str, seconds: u32) -> Result<String> {
    k8s::run_client(cx, BANK, with_identity(bank_job(name, method, seconds), identity), seconds).await
}

/// `job` run as `identity`: its certificate and key, and the CA it trusts, mounted read-only at
/// [`CERT_DIR`] (readable by all: the client runs as another user than the kubelet writes as,
/// with no fsGroup), its ServiceAccount.
fn with_identity(mut job: Job, identity: &Identity) -> Job {
    let Some(pod) = job.spec.as_mut().and_then(|spec| spec.template.spec.as_mut()) else { return job };
    pod.service_account_name = Some(identity.account.into());
    pod.automount_service_account_token = Some(false);
    let files = |secret: &str, keys: &[&str]| VolumeProjection {
        secret: Some(SecretProjection {
            name: secret.into(),
            items: Some(
                keys.iter().map(|key| KeyToPath { key: (*key).into(), path: (*key).into(), mode: None }).collect(),
            ),
            optional: Some(false),
        }),
        ..Default::default()
    };
    pod.volumes = Some(vec![Volume {
        name: "tls".into(),
        projected: Some(ProjectedVolumeSource {
            default_mode: Some(0o444),
            sources: Some(vec![
                files(identity.certificate, &["tls.crt", "tls.key"]),
                files(identity.trusts, &["ca.crt"]),
            ]),
        }),
        ..Default::default()
    }]);
    for container in &mut pod.containers {
        container.volume_mounts = Some(vec![VolumeMount {
            name: "tls".into(),
            mount_path: CERT_DIR.into(),
            read_only: Some(true),
            ..Default::default()
        }]);
    }
    job
}

/// Fails unless every call of the client summary failed, each with one of `codes`.
fn every_call_failed_with(summary: &str, codes: &[&str]) -> Result<()> {
    if !parse::all_failed_with(summary, codes) {
        bail!("expected every call to fail with {codes:?}");
    }
    Ok(())
}

/// Waits until the Secret `name` holds a certificate (cert-manager issued it).
async fn secret_ready(cx: &Cx, name: &str) -> Result<()> {
    let secrets: Api<Secret> = Api::namespaced(cx.client.clone(), BANK);
    k8s::wait_for(secrets, name, Duration::from_secs(60), &format!("cert-manager to issue {name}"), |secret| {
        secret.and_then(|s| s.data.as_ref()?.get("tls.crt").map(|_| ())).ok_or_else(|| "not yet".to_string())
    })
    .await
}

/// The `tls.crt` of the Secret `name`.
async fn tls_crt(cx: &Cx, name: &str) -> Result<Vec<u8>> {
    let secrets: Api<Secret> = Api::namespaced(cx.client.clone(), BANK);
    let secret = secrets.get(name).await?;
    secret.data.and_then(|mut data| data.remove("tls.crt")).map(|crt| crt.0).context("no tls.crt")
}

/// Asks cert-manager to reissue the Certificate `name` now, as `cmctl renew` does: the
/// condition Issuing=True set in its status (read again and retried, at most 5 times, when
/// cert-manager wrote the status in between).
async fn renew(cx: &Cx, name: &str) -> Result<()> {
    let resource = ApiResource::from_gvk(&GroupVersionKind::gvk("cert-manager.io", "v1", "Certificate"));
    let certificates: Api<DynamicObject> = Api::namespaced_with(cx.client.clone(), BANK, &resource);
    for _ in 0..5 {
        match set_issuing(&certificates, name).await {
            Err(kube::Error::Api(status)) if status.code == 409 => tokio::time::sleep(Duration::from_millis(200)).await,
            done => {
                done?;
                cx.note(format!("asked cert-manager to reissue {name}"));
                return Ok(());
            }
        }
    }
    bail!("{name}: the status changed under every one of 5 attempts to set Issuing")
}

/// Sets the condition Issuing=True in the status of the Certificate `name`, as read.
async fn set_issuing(certificates: &Api<DynamicObject>, name: &str) -> kube::Result<()> {
    let certificate = certificates.get_status(name).await?;
    let mut conditions = certificate.data["status"]["conditions"].as_array().cloned().unwrap_or_default();
    conditions.retain(|condition| condition["type"] != "Issuing");
    conditions.push(serde_json::json!({
        "type": "Issuing",
        "status": "True",
        "reason": "ManuallyTriggered",
        "message": "Certificate re-issuance manually triggered (kuberpc e2e)",
        "observedGeneration": certificate.metadata.generation,
        "lastTransitionTime": k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(k8s_openapi::jiff::Timestamp::now()),
    }));
    // With the resourceVersion read, a status cert-manager wrote in between is a conflict, not
    // overwritten.
    let patch = serde_json::json!({
        "metadata": { "resourceVersion": certificate.metadata.resource_version },
        "status": { "conditions": conditions },
    });
    certificates.patch_status(name, &PatchParams::default(), &Patch::Merge(&patch)).await?;
    Ok(())
}

/// How many times each vault pod has logged a renewed certificate (a count, not a yes: on a
/// cluster kept from an earlier run the pods may have said it before).
async fn renewals(cx: &Cx) -> Result<BTreeMap<String, usize>> {
    let pods: Api<Pod> = Api::namespaced(cx.client.clone(), BANK);
    let mut renewals = BTreeMap::new();
    for pod in pods.list(&ListParams::default().labels("app.kubernetes.io/name=vault")).await? {
        let log = pods.logs(&pod.name_any(), &LogParams::default()).await?;
        renewals.insert(pod.name_any(), log.matches("certificate renewed").count());
    }
    Ok(renewals)
}

/// The restarts of the containers of the pods selected by `labels`.
async fn restarts_and_unready(cx: &Cx, labels: &str) -> Result<(i32, usize)> {
    let pods: Api<Pod> = Api::namespaced(cx.client.clone(), BANK);
    let listed = pods.list(&ListParams::default().labels(labels)).await?;
    let statuses: Vec<_> =
        listed.iter().filter_map(|pod| pod.status.as_ref()?.container_statuses.clone()).flatten().collect();
    let unready = statuses.iter().filter(|status| !status.ready).count();
    Ok((statuses.iter().map(|status| status.restart_count).sum(), unready))
}
