//! What only kuberpc knows breaks: the deployment contract the options state, which callers and
//! the cluster rely on beside the wire — the app name (its Services' DNS names and labels), the
//! port, a method losing `idempotent` (callers' service config stops retrying and hedging it,
//! and a caller still on the old config retries what is no longer safe to), a shorter deadline
//! (the one a caller gets: the method's, else the service's default); and the changes that are
//! safe only when the callee rolls out before its callers (a method becoming idempotent:
//! callers may retry it only once every pod is). Streaming changes are buf's
//! RPC_SAME_*_STREAMING. Each finding is on its service or method, so `kuberpc:accept
//! KUBERPC_…` above it accepts it.

use prost_types::FileDescriptorSet;

use super::Finding;
use crate::error::Span;
use crate::model::{Package, Service};
use crate::schema::path;

/// The contract rules, each with what it protects (for `--help`-like listings and docs).
pub const CONTRACT_RULES: &[(&str, &str)] = &[
    ("KUBERPC_SAME_APP", "the app name: its Deployment, its Services and their DNS names"),
    ("KUBERPC_SAME_PORT", "the port callers and probes connect to"),
    ("KUBERPC_IDEMPOTENT_KEPT", "a method callers retry and hedge"),
    ("KUBERPC_DEADLINE_NOT_SHORTER", "the time a method may take"),
];

// descriptor.proto's field numbers and the vocabulary's extensions, for source paths.
const SERVICE_METHOD: i32 = 2;
const SERVICE_OPTIONS: i32 = 3;
const METHOD_OPTIONS: i32 = 4;
const SERVICE_EXTENSION: i32 = 50401;
const METHOD_EXTENSION: i32 = 50402;

/// A change to the contract: the finding (its rule, message and the element it is on, for
/// `kuberpc:accept`) and the option it is located at in the new proto.
pub(super) type Breach = (Finding, Option<Span>);

/// What the deployment contract of `new` (whose descriptors are `set`) breaks against `old`,
/// and the changes that need the callee to roll out first (notes).
pub(super) fn compare(old: &[Package], new: &[Package], set: &FileDescriptorSet) -> (Vec<Breach>, Vec<Breach>) {
    let mut out = Out { set, breaking: Vec::new(), notes: Vec::new() };
    let services = |packages: &[Package]| packages.iter().flat_map(|p| p.services.clone()).collect::<Vec<Service>>();
    let (old, new) = (services(old), services(new));
    for was in &old {
        let Some(is) = new.iter().find(|s| s.full_name == was.full_name) else { continue };
        service(was, is, &mut out);
    }
    (out.breaking, out.notes)
}

struct Out<'a> {
    set: &'a FileDescriptorSet,
    breaking: Vec<Breach>,
    notes: Vec<Breach>,
}

impl Out<'_> {
    /// A finding of `rule` on `service` (and its `method`), at `span`.
    fn add(
        &mut self,
        note: bool,
        rule: &'static str,
        message: String,
        (service, method): (&Service, Option<&str>),
        span: Option<Span>,
    ) {
        let file = self.set.file.iter().find(|f| f.name() == service.source_file);
        let index = |i: Option<usize>| i.and_then(|i| i32::try_from(i).ok());
        let service_at = file.and_then(|f| index(f.service.iter().position(|s| s.name() == service.name)));
        let mut path: Vec<i32> = service_at.map(|i| vec![6, i]).unwrap_or_default();
        let method_at = method.and_then(|method| {
            let declared = service_at.and_then(|i| file?.service.get(i as usize))?;
            index(declared.method.iter().position(|m| m.name() == method))
        });
        // At the kuberpc option statement, so a comment above or beside it accepts the change.
        match method_at {
            Some(j) => path.extend([SERVICE_METHOD, j, METHOD_OPTIONS, METHOD_EXTENSION]),
            None if !path.is_empty() => path.extend([SERVICE_OPTIONS, SERVICE_EXTENSION]),
            None => {}
        }
        let rpc = method.map(|method| format!("/{}/{method}", service.full_name));
        let file = Some(service.source_file.clone());
        let finding = Finding { rule, message, file, line: 1, column: 1, path, rpc };
        if note {
            self.notes.push((finding, span))
        } else {
            self.breaking.push((finding, span))
        }
    }
}

fn service(was: &Service, is: &Service, out: &mut Out<'_>) {
    let name = &is.full_name;
    let at = |option| is.spans.get(option);
    if was.deploy.app != is.deploy.app {
        let message = format!(
            "service {name:?} changed app from {:?} to {:?}: its Deployment, Services and DNS names change, so callers of {}-headless lose it",
            was.deploy.app, is.deploy.app, was.deploy.app
        );
        out.add(false, "KUBERPC_SAME_APP", message, (is, None), at(path::NAME));
    }
    if was.deploy.port != is.deploy.port {
        let message = format!(
            "service {name:?} changed port from {} to {}: callers configured with the old port (and the old pods' probes during the rollout) fail to connect",
            was.deploy.port, is.deploy.port
        );
        out.add(false, "KUBERPC_SAME_PORT", message, (is, None), at(path::PORT));
    }
    for old_method in &was.methods {
        let Some(method) = is.methods.iter().find(|m| m.name == old_method.name) else { continue };
        let (before, after) = (&old_method.policy, &method.policy);
        let rpc = format!("{name}/{}", method.name);
        let on = (is, Some(method.name.as_str()));
        if before.idempotent && !after.idempotent {
            let message = format!(
                "{rpc} is no longer idempotent: callers still on the old service config retry and hedge it, running it twice"
            );
            let span = method.spans.get(path::IDEMPOTENT).or_else(|| method.spans.get(path::NAME));
            out.add(false, "KUBERPC_IDEMPOTENT_KEPT", message, on, span);
        }
        let deadline = (before.deadline_ms(&was.deploy.client), after.deadline_ms(&is.deploy.client));
        let shrank = match deadline {
            (Some(was_ms), Some(is_ms)) if is_ms < was_ms => Some(format!("shrank from {was_ms} ms to {is_ms} ms")),
            (None, Some(is_ms)) => Some(format!("is {is_ms} ms where it had none")),
            _ => None,
        };
        if let (Some(shrank), Some(is_ms)) = (shrank, deadline.1) {
            let message = format!("{rpc}'s deadline {shrank}: calls that took longer than {is_ms} ms now fail");
            let span = method.spans.get(path::TIMEOUT_MS).or_else(|| at(path::CLIENT_DEFAULT_TIMEOUT_MS));
            out.add(false, "KUBERPC_DEADLINE_NOT_SHORTER", message, on, span);
        }
        if !before.idempotent && after.idempotent {
            let message = format!(
                "{rpc} became idempotent: safe only when {} rolls out before its callers take the new service config (they will retry and hedge it)",
                is.deploy.app
            );
            out.add(true, "", message, on, method.spans.get(path::IDEMPOTENT));
        }
    }
}
