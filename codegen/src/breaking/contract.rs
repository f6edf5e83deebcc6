//! What only kuberpc knows breaks: the deployment contract the options state, which callers
//! and the cluster rely on beside the wire — the app name (its Services' DNS names and
//! labels), the port, a method losing `idempotent` (callers' service config stops retrying
//! and hedging it, and a caller still on the old config retries what is no longer safe to),
//! a shorter deadline; and the changes that are safe only when the callee rolls out before
//! its callers (a method becoming idempotent: callers may retry it only once every pod is).
//! Streaming changes are buf's RPC_SAME_*_STREAMING.

use crate::error::Problem;
use crate::model::{Package, Service};
use crate::schema::path;

/// The contract rules, each with what it protects (for `--help`-like listings and docs).
pub const CONTRACT_RULES: &[(&str, &str)] = &[
    ("KUBERPC_SAME_APP", "the app name: its Deployment, its Services and their DNS names"),
    ("KUBERPC_SAME_PORT", "the port callers and probes connect to"),
    ("KUBERPC_IDEMPOTENT_KEPT", "a method callers retry and hedge"),
    ("KUBERPC_DEADLINE_NOT_SHORTER", "the time a method may take"),
];

/// What the deployment contract of `new` breaks against `old` (located at the option in the
/// new proto), and the changes that need the callee to roll out first (notes).
pub(super) fn compare(old: &[Package], new: &[Package]) -> (Vec<Problem>, Vec<Problem>) {
    let mut breaking = Vec::new();
    let mut notes = Vec::new();
    let services = |packages: &[Package]| packages.iter().flat_map(|p| p.services.clone()).collect::<Vec<Service>>();
    let (old, new) = (services(old), services(new));
    for was in &old {
        let Some(is) = new.iter().find(|s| s.full_name == was.full_name) else { continue };
        service(was, is, &mut breaking, &mut notes);
    }
    (breaking, notes)
}

fn service(was: &Service, is: &Service, breaking: &mut Vec<Problem>, notes: &mut Vec<Problem>) {
    let name = &is.full_name;
    let at = |option| is.spans.get(option);
    if was.deploy.app != is.deploy.app {
        let message = format!(
            "KUBERPC_SAME_APP: service {name:?} changed app from {:?} to {:?}: its Deployment, Services and DNS names change, so callers of {}-headless lose it",
            was.deploy.app, is.deploy.app, was.deploy.app
        );
        breaking.push(Problem::at(message, at(path::NAME)));
    }
    if was.deploy.port != is.deploy.port {
        let message = format!(
            "KUBERPC_SAME_PORT: service {name:?} changed port from {} to {}: callers configured with the old port (and the old pods' probes during the rollout) fail to connect",
            was.deploy.port, is.deploy.port
        );
        breaking.push(Problem::at(message, at(path::PORT)));
    }
    for old_method in &was.methods {
        let Some(method) = is.methods.iter().find(|m| m.name == old_method.name) else { continue };
        let (before, after) = (&old_method.policy, &method.policy);
        let rpc = format!("{name}/{}", method.name);
        if before.idempotent && !after.idempotent {
            let message = format!(
                "KUBERPC_IDEMPOTENT_KEPT: {rpc} is no longer idempotent: callers still on the old service config retry and hedge it, running it twice"
            );
            breaking.push(Problem::at(
                message,
                method.spans.get(path::IDEMPOTENT).or_else(|| method.spans.get(path::NAME)),
            ));
        }
        if let (Some(was_ms), Some(is_ms)) = (before.timeout_ms, after.timeout_ms) {
            if is_ms < was_ms {
                let message = format!(
                    "KUBERPC_DEADLINE_NOT_SHORTER: {rpc}'s deadline shrank from {was_ms} ms to {is_ms} ms: calls that took longer than {is_ms} ms now fail"
                );
                breaking.push(Problem::at(message, method.spans.get(path::TIMEOUT_MS)));
            }
        }
        if !before.idempotent && after.idempotent {
            let message = format!(
                "{rpc} became idempotent: safe only when {} rolls out before its callers take the new service config (they will retry and hedge it)",
                is.deploy.app
            );
            notes.push(Problem::at(message, method.spans.get(path::IDEMPOTENT)));
        }
    }
}
