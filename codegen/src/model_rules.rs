//! Cross-field rules, run once on the whole model before any output is produced.
//!
//! Single-field rules (ranges, quantities, required fields) are applied while options are
//! resolved ([`crate::options::resolve_deploy`]); the rules here relate several fields or
//! several services. Each is one small function saying why it exists. Entry point: [`enforce`].

use std::collections::BTreeMap;

use crate::error::{Error, Problem, Problems};
use crate::model::{headless_service_name, Package, Service, Workload};
use crate::schema::path;

/// Kubernetes label values and Service names are at most 63 characters.
pub(crate) const MAX_NAME_LEN: usize = 63;

/// A DNS-1123 label's characters: lower-case letters, digits and '-', alphanumeric at both
/// ends (the length is checked where the name's use says how long it may be).
pub(crate) fn has_dns_label_characters(name: &str) -> bool {
    let alphanumeric = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    name.starts_with(alphanumeric) && name.ends_with(alphanumeric) && name.chars().all(|c| alphanumeric(c) || c == '-')
}

/// Runs every rule and reports every violation.
pub fn enforce(packages: &[Package]) -> Result<(), Error> {
    let mut problems = Problems::default();
    let services: Vec<&Service> = packages.iter().flat_map(|p| &p.services).collect();
    for service in &services {
        autoscale_bounds(service, &mut problems);
        single_writer_storage(service, &mut problems);
        drain_fits_in_grace_period(service, &mut problems);
        app_name_is_a_dns_label(service, &mut problems);
        hedges_fit_idempotent_calls(service, &mut problems);
        mtls_has_no_plaintext_way_in(service, &mut problems);
    }
    unique_app_names(&services, &mut problems);
    problems.finish(())
}

/// A hedge sends the same call twice (the rule: [`crate::model::MethodPolicy::hedge_problem`]).
fn hedges_fit_idempotent_calls(service: &Service, problems: &mut Problems) {
    for method in &service.methods {
        if let Some(problem) = method.policy.hedge_problem(&method.name, &service.deploy.client) {
            problems.push(Problem::at(problem, method.spans.get(path::HEDGE_DELAY_MS)));
        }
    }
}

/// With mutual TLS the pods serve gRPC over TLS, to callers with a certificate of the CA
/// only; an ingress controller or a Gateway calls the gRPC port in plaintext without one, and a
/// browser (gRPC-Web) presents none, so every call that way would fail.
fn mtls_has_no_plaintext_way_in(service: &Service, problems: &mut Problems) {
    if service.deploy.mtls.is_none() {
        return;
    }
    const PROXY: &str = "the proxy would call its pods in plaintext, without a certificate, which they refuse";
    const PROXY_HELP: &str =
        "an outside path reaches a service without mtls; kuberpc has no identity for an ingress controller or a Gateway yet";
    let ways_in = [
        ("an Ingress (ingress)", service.deploy.ingress.is_some(), PROXY, PROXY_HELP),
        ("a Gateway route (gateway)", service.deploy.gateway.is_some(), PROXY, PROXY_HELP),
        (
            "gRPC-Web (web)",
            service.deploy.web.is_some(),
            "a browser presents no client certificate, which its pods require",
            "serve browsers from a service without mtls that calls this one",
        ),
        (
            "REST bindings (google.api.http)",
            service.rest_rules().next().is_some(),
            "REST is not served with mutual TLS yet (its HTTP/1.1 clients and their certificates)",
            "serve REST from a service without mtls that calls this one",
        ),
    ];
    for (way_in, _, why, help) in ways_in.iter().filter(|(_, written, ..)| *written) {
        let message = format!("{} has mutual TLS (mtls) and {way_in}: {why}", service.deploy.app);
        problems.push(Problem::at(message, service.spans.get(path::MTLS)).with_help(*help));
    }
}

/// An HPA with `minReplicas > maxReplicas` is rejected by the API server, and
/// `minReplicas: 0` needs an alpha feature gate: catch both here, at the option.
fn autoscale_bounds(service: &Service, problems: &mut Problems) {
    let Some(autoscale) = &service.deploy.autoscale else {
        return;
    };
    if autoscale.min == 0 {
        problems.push(Problem::at("autoscale.min must be at least 1", service.spans.get(path::AUTOSCALE_MIN)));
    }
    if autoscale.min > autoscale.max {
        problems.push(Problem::at(
            format!("autoscale.min ({}) is greater than autoscale.max ({})", autoscale.min, autoscale.max),
            service.spans.get(path::AUTOSCALE_MIN),
        ));
    }
}

/// A ReadWriteOnce volume attaches to one node: several replicas of a Deployment would hang
/// in ContainerCreating on every other node. By default such a service becomes a
/// StatefulSet; a user who forces a Deployment gets this error instead of a trap.
fn single_writer_storage(service: &Service, problems: &mut Problems) {
    let Some(storage) = &service.deploy.storage else { return };
    let max_replicas = service.deploy.max_replicas();
    if service.deploy.workload == Workload::Deployment && storage.is_single_writer() && max_replicas > 1 {
        problems.push(
            Problem::at(
                format!(
                    "storage.access_mode {} cannot be shared by up to {max_replicas} replicas of the Deployment {}",
                    storage.access_mode, service.deploy.app
                ),
                service.spans.get(path::STORAGE_ACCESS_MODE),
            )
            .with_help("leave `workload` unset (a StatefulSet gives each pod its own volume), use access_mode \"ReadWriteMany\", or keep replicas (and autoscale.max) at 1"),
        );
    }
}

/// Both drains and the in-flight calls fit in the grace period (the rule:
/// [`crate::model::Lifecycle::problem`]; the runtime relies on it too).
fn drain_fits_in_grace_period(service: &Service, problems: &mut Problems) {
    if let Some(problem) = service.deploy.lifecycle.problem() {
        problems.push(Problem::at(problem, service.spans.get(path::TERMINATION_GRACE_SECONDS)));
    }
}

/// Every object is named after the app, and `<app>-headless` must still be a valid
/// DNS-1123 label (Service names become DNS names).
fn app_name_is_a_dns_label(service: &Service, problems: &mut Problems) {
    let app = &service.deploy.app;
    let longest = headless_service_name(app);
    let limit = MAX_NAME_LEN - (longest.len() - app.len());
    // Service names are RFC 1035 labels: they also start with a letter.
    if !has_dns_label_characters(app) || !app.starts_with(|c: char| c.is_ascii_lowercase()) {
        problems.push(Problem::at(
            format!(
                "app name {app:?} is not a DNS-1123 label (lower-case letters, digits and '-', starting with a letter)"
            ),
            service.spans.get(path::NAME),
        ));
    } else if longest.len() > MAX_NAME_LEN {
        problems.push(Problem::at(
            format!("app name {app:?} is {} characters long; at most {limit} fit in \"{longest}\"", app.len()),
            service.spans.get(path::NAME),
        ));
    }
}

/// Two services with one app name would write the same `deploy/<app>/` directory and the
/// same object names.
fn unique_app_names(services: &[&Service], problems: &mut Problems) {
    let mut first_of: BTreeMap<&str, &Service> = BTreeMap::new();
    for service in services {
        match first_of.get(service.deploy.app.as_str()) {
            Some(first) => problems.push(Problem::at(
                format!(
                    "app name {:?} of {} is already used by {}",
                    service.deploy.app, service.full_name, first.full_name
                ),
                service.spans.get(path::NAME),
            )),
            None => {
                first_of.insert(&service.deploy.app, service);
            }
        }
    }
}
