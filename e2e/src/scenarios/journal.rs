//! The journal: single-writer storage with more than one replica, so a StatefulSet whose pods
//! each have a claim of their own.

use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, Pod};
use kube::api::{Api, DeleteParams, ListParams};
use kube::ResourceExt;

use crate::cx::Cx;
use crate::k8s;
use crate::parse;
use crate::summary::{passed, Outcome};

const JOURNAL: &str = "journal-prod";

/// One claim per pod, each Bound to a volume of its own; an entry written to journal-0 is read
/// back from journal-0 after the pod was deleted and recreated, and journal-1 lacks it.
pub(crate) async fn journal_claims(cx: &Cx) -> Result<Outcome> {
    cx.say("the journal's StatefulSet: a claim of its own per pod, kept across the pod's deletion");
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(cx.client.clone(), JOURNAL);
    let mut listed: Vec<(String, String, String)> = claims
        .list(&ListParams::default().labels("app.kubernetes.io/name=journal"))
        .await?
        .items
        .iter()
        .map(|claim| {
            let phase = claim.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_default();
            let volume = claim.spec.as_ref().and_then(|s| s.volume_name.clone()).unwrap_or_default();
            (claim.name_any(), phase, volume)
        })
        .collect();
    listed.sort();
    let sets: Api<StatefulSet> = Api::namespaced(cx.client.clone(), JOURNAL);
    let replicas = sets.get("journal").await?.spec.and_then(|s| s.replicas).unwrap_or(1);
    let expected: Vec<(String, String)> =
        (0..replicas).map(|n| (format!("data-journal-{n}"), "Bound".into())).collect();
    let found: Vec<(String, String)> = listed.iter().map(|(name, phase, _)| (name.clone(), phase.clone())).collect();
    if found != expected {
        bail!("claims of the journal's {replicas} pods: {listed:?}");
    }
    let mut volumes: Vec<&str> = listed.iter().map(|(_, _, volume)| volume.as_str()).collect();
    volumes.sort();
    volumes.dedup();
    if volumes.len() != replicas as usize {
        bail!("claims share a volume: {listed:?}");
    }
    let claims_seen: Vec<String> = listed.iter().map(|(n, p, v)| format!("{n} {p} {v}")).collect();
    cx.say(claims_seen.join("; "));

    let entry = format!("e2e entry {}{}", std::process::id(), now_nanos());
    let written = journal(cx, "journal-append", &["journal-0.journal-headless:50051", "append", &entry]).await?;
    let (offset, pod) = parse::appended(&written).with_context(|| format!("an append's answer: {written}"))?;
    if pod != "journal-0" {
        bail!("the append was answered by another pod than journal-0: {written}");
    }
    let pods: Api<Pod> = Api::namespaced(cx.client.clone(), JOURNAL);
    let old = pods.get("journal-0").await?.uid().unwrap_or_default();
    pods.delete("journal-0", &DeleteParams::default()).await?;
    let what = "journal-0 recreated and Ready";
    k8s::wait_for(pods, "journal-0", Duration::from_secs(180), what, |pod| {
        let pod = pod.ok_or("no pod journal-0")?;
        let ready = pod
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
        match (pod.uid().as_deref() != Some(old.as_str()), ready) {
            (true, true) => Ok(()),
            (recreated, ready) => Err(format!("recreated {recreated}, ready {ready}")),
        }
    })
    .await?;
    let read0 = journal(cx, "journal-read-0", &["journal-0.journal-headless:50051", "read"]).await?;
    if !parse::has_entry(&read0, offset, &entry) {
        bail!("journal-0 lost {entry:?} ({}) with its pod: {read0:?}", written.trim());
    }
    let read1 = journal(cx, "journal-read-1", &["journal-1.journal-headless:50051", "read"]).await?;
    if read1.contains(&entry) {
        bail!("journal-1 has journal-0's entry: its volume is shared");
    }
    let result =
        format!("{entry:?} ({}) read back from the recreated journal-0; journal-1 does not have it", written.trim());
    cx.say(&result);
    Ok(passed(result))
}

/// The journal client as a Job (30 s at most); its output.
async fn journal(cx: &Cx, name: &str, args: &[&str]) -> Result<String> {
    let job = k8s::client_job(name, "kuberpc.local/journal-client:e2e", 30, args);
    k8s::run_job(cx, JOURNAL, job, 30).await.with_context(|| format!("journal client {}", args.join(" ")))
}

/// The nanoseconds of the current second: with the pid, an entry no earlier run wrote.
fn now_nanos() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos().into())
}
