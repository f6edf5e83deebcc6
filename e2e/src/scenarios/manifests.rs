//! Manifests through real API servers' validation: the examples' bases and overlays, the
//! ledger fixture's GRPCRoute (the real CRD refuses a misspelt field), and the API servers of
//! the minors before and after the cluster's.

use std::path::PathBuf;

use anyhow::{bail, Context as _, Result};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::Client;

use crate::cx::{Cx, COMMAND_TIMEOUT};
use crate::k8s;
use crate::scenarios::setup::{install_crds, ledger_tree, versions};
use crate::summary::{passed, skipped, Outcome};

/// The examples whose generated trees are dry-run.
const EXAMPLES: &[&str] = &["greeter", "counter", "journal", "front"];

/// A server-side dry run of the base and of every overlay of every example.
pub(crate) async fn dry_runs(cx: &Cx) -> Result<Outcome> {
    cx.say("server-side dry runs of every base and overlay");
    let runs = dry_run_examples(cx, &cx.client).await?;
    let result = format!("{runs} kustomizations accepted");
    cx.say(&result);
    Ok(passed(result))
}

/// Dry-runs every example's base and overlays, and the example system's overlays, against
/// `client`; returns how many.
async fn dry_run_examples(cx: &Cx, client: &Client) -> Result<usize> {
    let mut runs = 0;
    for app in EXAMPLES {
        let tree = cx.repo.join(format!("examples/{app}/deploy/{app}"));
        k8s::dry_run(cx, client, &tree.join("base")).await?;
        runs += 1;
        let mut overlays: Vec<PathBuf> = std::fs::read_dir(tree.join("overlays"))
            .with_context(|| format!("the overlays of {app}"))?
            .map(|entry| Ok(entry?.path()))
            .collect::<Result<_>>()?;
        overlays.sort();
        for overlay in overlays {
            k8s::dry_run(cx, client, &overlay).await?;
            runs += 1;
        }
    }
    // The whole example system, one overlay per environment.
    for environment in ["staging", "prod"] {
        k8s::dry_run(cx, client, &cx.repo.join("examples/system/overlays").join(environment)).await?;
        runs += 1;
    }
    Ok(runs)
}

/// The ledger fixture's generated base (a StatefulSet behind a GRPCRoute) through server-side
/// validation, the GRPCRoute checked by the real CRD: accepted as generated, and refused with a
/// misspelt field (`parentReferences` for `parentRefs`).
pub(crate) async fn ledger_grpcroute(cx: &Cx) -> Result<Outcome> {
    cx.say("the ledger fixture's StatefulSet and GRPCRoute through server-side validation");
    let base = ledger_tree(cx).join("ledger/base");
    k8s::dry_run(cx, &cx.client, &base).await?;
    let built = k8s::kustomize(cx, &base).await?;
    let broken = misspell_parent_refs(&built).context("the ledger's base has no GRPCRoute parentRefs")?;
    match k8s::apply(&cx.client, &broken, true).await {
        Ok(_) => bail!("the API server accepted a GRPCRoute with a misspelled field: the CRD does not validate"),
        Err(error) if format!("{error:#}").contains("parentReferences") => {
            cx.note(format!("refused as it should be: {error:#}"));
        }
        Err(error) => bail!("the misspelled GRPCRoute was refused, but not for its field: {error:#}"),
    }
    let result = "accepted as generated; a misspelled GRPCRoute field refused";
    cx.say(result);
    Ok(passed(result))
}

/// `built` with the GRPCRoute's `parentRefs` misspelt, or `None` if it has none.
fn misspell_parent_refs(built: &str) -> Option<String> {
    let broken: Vec<String> = built
        .lines()
        .map(|line| match line.strip_prefix("  parentRefs:") {
            Some(rest) => format!("  parentReferences:{rest}"),
            None => line.to_string(),
        })
        .collect();
    let broken = broken.join("\n");
    (broken != built.trim_end_matches('\n')).then_some(broken)
}

/// Server-side dry runs of every example's base and overlays and of the ledger's base against
/// the API servers of the minors before and after the cluster's (`scripts/test-cluster
/// apiserver VERSION`: control plane only).
pub(crate) async fn skew_dry_runs(cx: &Cx) -> Result<Outcome> {
    let versions = versions(cx)?.skew_kubernetes;
    if cx.existing {
        return Ok(skipped("an existing cluster has one version"));
    }
    cx.say(format!("server-side dry runs against the API servers of Kubernetes {}", versions.join(" ")));
    let mut accepted = Vec::new();
    for version in &versions {
        let kubeconfig = cx.run("scripts/test-cluster", ["apiserver", version], COMMAND_TIMEOUT * 5).await?;
        let kubeconfig = Kubeconfig::read_from(kubeconfig.trim()).context("the API server's kubeconfig")?;
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default()).await?;
        let client = Client::try_from(config)?;
        let server = client.apiserver_version().await?.git_version;
        if &server != version {
            bail!("scripts/test-cluster apiserver {version} serves {server}");
        }
        install_crds(cx, &client).await?;
        let runs = dry_run_examples(cx, &client).await?;
        k8s::dry_run(cx, &client, &ledger_tree(cx).join("ledger/base")).await?;
        cx.say(format!("{server}: {runs} example kustomizations and the ledger fixture's base accepted"));
        accepted.push(format!("{server}: {runs} + ledger"));
    }
    Ok(passed(format!("accepted by {}", accepted.join(", "))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_grpcroute_s_parent_refs_are_misspelt() {
        let built = "kind: GRPCRoute\nspec:\n  parentRefs:\n    - name: gw\n  rules: []\n---\nkind: X\nspec:\n    parentRefs: []\n";
        let broken = misspell_parent_refs(built).unwrap();
        assert!(broken.contains("\n  parentReferences:\n    - name: gw"), "{broken}");
        assert!(broken.contains("\n    parentRefs: []"), "{broken}");
        assert_eq!(misspell_parent_refs("kind: Service\n"), None);
    }
}
