//! Cross-object rules over one app's rendered base, run before anything is written.
//!
//! Each object passed its own typed round trip already; these rules catch what is only wrong
//! between objects (a Service whose targetPort names no container port is valid on its own
//! and silently broken in a cluster). They run on the rendered set, not the model, so a user
//! template cannot break a reference unnoticed. One small function per rule; [`check_set`]
//! runs them all and returns every violation.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{Container, PersistentVolumeClaim, PodTemplateSpec, Service};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde::de::DeserializeOwned;

use super::certificate::Certificate;
use super::gateway::{GrpcRoute, HttpRoute, Route, RouteRule};
use super::service_monitor::ServiceMonitor;
use crate::model_rules::{has_dns_label_characters, MAX_NAME_LEN};
use crate::options::is_quantity;

/// The objects of one rendered base, by kind.
#[derive(Debug, Default)]
pub(crate) struct RenderedSet {
    deployments: Vec<Deployment>,
    stateful_sets: Vec<StatefulSet>,
    services: Vec<Service>,
    hpas: Vec<HorizontalPodAutoscaler>,
    pdbs: Vec<PodDisruptionBudget>,
    ingresses: Vec<Ingress>,
    grpc_routes: Vec<GrpcRoute>,
    http_routes: Vec<HttpRoute>,
    monitors: Vec<ServiceMonitor>,
    claims: Vec<PersistentVolumeClaim>,
    policies: Vec<NetworkPolicy>,
    certificates: Vec<Certificate>,
    /// `(kind, name)` of every object, for the naming rule.
    names: Vec<(String, String)>,
}

impl RenderedSet {
    /// Types the parsed documents of a base (each already validated on its own).
    pub(crate) fn from_documents(documents: impl IntoIterator<Item = serde_json::Value>) -> Result<Self, String> {
        let mut set = RenderedSet::default();
        for value in documents {
            let kind = value["kind"].as_str().unwrap_or_default().to_string();
            let name = value["metadata"]["name"].as_str().unwrap_or_default().to_string();
            match kind.as_str() {
                "Deployment" => set.deployments.push(typed(value)?),
                "StatefulSet" => set.stateful_sets.push(typed(value)?),
                "Service" => set.services.push(typed(value)?),
                "HorizontalPodAutoscaler" => set.hpas.push(typed(value)?),
                "PodDisruptionBudget" => set.pdbs.push(typed(value)?),
                "Ingress" => set.ingresses.push(typed(value)?),
                "GRPCRoute" => set.grpc_routes.push(typed(value)?),
                "HTTPRoute" => set.http_routes.push(typed(value)?),
                "ServiceMonitor" => set.monitors.push(typed(value)?),
                "PersistentVolumeClaim" => set.claims.push(typed(value)?),
                "NetworkPolicy" => set.policies.push(typed(value)?),
                "Certificate" => set.certificates.push(typed(value)?),
                _ => {}
            }
            if kind != "Kustomization" {
                set.names.push((kind, name));
            }
        }
        Ok(set)
    }

    /// Every workload as `(kind, name, selector, pod template)`.
    fn workloads(&self) -> Vec<Workload<'_>> {
        let deployments = self.deployments.iter().filter_map(|d| {
            let spec = d.spec.as_ref()?;
            Some(Workload {
                kind: "Deployment",
                name: name_of(&d.metadata),
                selector: &spec.selector,
                pod: &spec.template,
            })
        });
        let stateful_sets = self.stateful_sets.iter().filter_map(|s| {
            let spec = s.spec.as_ref()?;
            Some(Workload {
                kind: "StatefulSet",
                name: name_of(&s.metadata),
                selector: &spec.selector,
                pod: &spec.template,
            })
        });
        deployments.chain(stateful_sets).collect()
    }
}

struct Workload<'a> {
    kind: &'static str,
    name: &'a str,
    selector: &'a LabelSelector,
    pod: &'a PodTemplateSpec,
}

impl Workload<'_> {
    fn pod_labels(&self) -> BTreeMap<String, String> {
        self.pod.metadata.as_ref().and_then(|m| m.labels.clone()).unwrap_or_default()
    }

    fn containers(&self) -> &[Container] {
        self.pod.spec.as_ref().map_or(&[], |s| s.containers.as_slice())
    }
}

fn typed<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, String> {
    serde_json::from_value(value).map_err(|e| e.to_string())
}

fn name_of(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> &str {
    meta.name.as_deref().unwrap_or_default()
}

/// Runs every rule; each violation is one sentence naming the objects involved.
pub(crate) fn check_set(set: &RenderedSet) -> Vec<String> {
    let mut violations = Vec::new();
    selectors_match_pod_labels(set, &mut violations);
    service_ports_target_container_ports(set, &mut violations);
    policies_select_the_pods_and_their_ports(set, &mut violations);
    probes_ask_the_serving_port(set, &mut violations);
    autoscaler_targets_the_workload(set, &mut violations);
    autoscaler_bounds(set, &mut violations);
    backends_name_service_ports(set, &mut violations);
    volumes_are_defined_and_mounted(set, &mut violations);
    names_are_dns_labels(set, &mut violations);
    quantities_parse(set, &mut violations);
    certificate_is_mounted_where_the_runtime_reads_it(set, &mut violations);
    certificate_names_the_pods_service_account(set, &mut violations);
    certificate_names_every_service(set, &mut violations);
    violations
}

/// `selector` selects pods carrying `labels` only if every matchLabels pair is among them.
fn selects(selector: &BTreeMap<String, String>, labels: &BTreeMap<String, String>) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// A workload whose selector misses its own pod labels is rejected by the API server; a
/// Service or PDB whose selector misses them silently routes to or protects nothing.
fn selectors_match_pod_labels(set: &RenderedSet, out: &mut Vec<String>) {
    for workload in set.workloads() {
        let labels = workload.pod_labels();
        let own = workload.selector.match_labels.clone().unwrap_or_default();
        if !selects(&own, &labels) {
            out.push(format!("{} {}: selector does not match its pod template labels", workload.kind, workload.name));
        }
        for service in &set.services {
            let selector = service.spec.as_ref().and_then(|s| s.selector.clone()).unwrap_or_default();
            if !selects(&selector, &labels) {
                out.push(format!(
                    "Service {}: selector matches no pod of {} {}",
                    name_of(&service.metadata),
                    workload.kind,
                    workload.name
                ));
            }
        }
        for pdb in &set.pdbs {
            let selector = pdb.spec.as_ref().and_then(|s| s.selector.as_ref()).and_then(|s| s.match_labels.clone());
            if !selects(&selector.unwrap_or_default(), &labels) {
                out.push(format!(
                    "PodDisruptionBudget {}: selector matches no pod of {} {}",
                    name_of(&pdb.metadata),
                    workload.kind,
                    workload.name
                ));
            }
        }
    }
}

/// A Service port whose targetPort names no container port sends traffic nowhere.
fn service_ports_target_container_ports(set: &RenderedSet, out: &mut Vec<String>) {
    let container_ports = container_ports(set);
    for service in &set.services {
        for port in service.spec.as_ref().and_then(|s| s.ports.as_ref()).into_iter().flatten() {
            let found = match &port.target_port {
                Some(IntOrString::String(name)) => container_ports.iter().any(|(n, _)| n.as_deref() == Some(name)),
                Some(IntOrString::Int(number)) => container_ports.iter().any(|(_, p)| p == number),
                None => container_ports.iter().any(|(_, p)| *p == port.port),
            };
            if !found {
                out.push(format!(
                    "Service {}: port {} targets {:?}, which no container port of the workload provides",
                    name_of(&service.metadata),
                    port.port,
                    port.target_port
                ));
            }
        }
    }
}

/// A NetworkPolicy whose selector misses the app's pods leaves them open to everyone (and
/// closes whatever it does select); an ingress port naming no container port admits nothing,
/// so the callers it means are refused.
fn policies_select_the_pods_and_their_ports(set: &RenderedSet, out: &mut Vec<String>) {
    let ports = container_ports(set);
    for policy in &set.policies {
        let name = name_of(&policy.metadata);
        let spec = policy.spec.as_ref();
        let selector = spec.and_then(|s| s.pod_selector.as_ref()).and_then(|s| s.match_labels.clone());
        for workload in
            set.workloads().iter().filter(|w| !selects(selector.as_ref().unwrap_or(&BTreeMap::new()), &w.pod_labels()))
        {
            out.push(format!(
                "NetworkPolicy {name}: podSelector matches no pod of {} {}",
                workload.kind, workload.name
            ));
        }
        let rules = spec.and_then(|s| s.ingress.as_ref()).into_iter().flatten();
        for port in rules.flat_map(|rule| rule.ports.iter().flatten()).filter_map(|p| p.port.as_ref()) {
            let found = match port {
                IntOrString::String(port_name) => ports.iter().any(|(n, _)| n.as_deref() == Some(port_name)),
                IntOrString::Int(number) => ports.iter().any(|(_, p)| p == number),
            };
            if !found {
                out.push(format!("NetworkPolicy {name}: ingress port {port:?} is no container port of the workload"));
            }
        }
    }
}

/// `(name, number)` of every container port of the workloads.
fn container_ports(set: &RenderedSet) -> Vec<(Option<String>, i32)> {
    let containers = set.workloads().iter().flat_map(|w| w.containers().to_vec()).collect::<Vec<_>>();
    containers.into_iter().flat_map(|c| c.ports.unwrap_or_default()).map(|p| (p.name, p.container_port)).collect()
}

/// Probes that ask another port than the one serving health check a server that is not there:
/// the gRPC port, or under mutual TLS the plaintext health port (the kubelet's gRPC probe has
/// no client certificate, so on the gRPC port it would fail the TLS handshake).
fn probes_ask_the_serving_port(set: &RenderedSet, out: &mut Vec<String>) {
    for workload in set.workloads() {
        for container in workload.containers() {
            let port_named = |name: &str| {
                container.ports.iter().flatten().find(|p| p.name.as_deref() == Some(name)).map(|p| p.container_port)
            };
            let (port_name, grpc_port) = match port_named(super::view::HEALTH_PORT_NAME) {
                Some(port) => (super::view::HEALTH_PORT_NAME, Some(port)),
                None => (super::view::PORT_NAME, port_named(super::view::PORT_NAME)),
            };
            let probes = [
                ("startupProbe", &container.startup_probe),
                ("readinessProbe", &container.readiness_probe),
                ("livenessProbe", &container.liveness_probe),
            ];
            for (which, probe) in probes {
                let Some(probe) = probe else { continue };
                let port = probe.grpc.as_ref().map(|g| g.port);
                if port.is_none() || port != grpc_port {
                    out.push(format!(
                        "{} {}: {which} of container {} checks port {port:?}, not the {port_name} port {grpc_port:?}",
                        workload.kind, workload.name, container.name
                    ));
                }
            }
        }
    }
}

/// An HPA whose scaleTargetRef names no workload scales nothing.
fn autoscaler_targets_the_workload(set: &RenderedSet, out: &mut Vec<String>) {
    let workloads = set.workloads();
    for hpa in &set.hpas {
        let Some(target) = hpa.spec.as_ref().map(|s| &s.scale_target_ref) else { continue };
        if !workloads.iter().any(|w| w.kind == target.kind && w.name == target.name) {
            out.push(format!(
                "HorizontalPodAutoscaler {}: scaleTargetRef {} {} is not in the base",
                name_of(&hpa.metadata),
                target.kind,
                target.name
            ));
        }
    }
}

/// The API server rejects minReplicas > maxReplicas, and minReplicas 0 needs an alpha gate.
fn autoscaler_bounds(set: &RenderedSet, out: &mut Vec<String>) {
    for hpa in &set.hpas {
        let Some(spec) = &hpa.spec else { continue };
        let min = spec.min_replicas.unwrap_or(1);
        if min < 1 || min > spec.max_replicas {
            out.push(format!(
                "HorizontalPodAutoscaler {}: minReplicas {min} must be between 1 and maxReplicas {}",
                name_of(&hpa.metadata),
                spec.max_replicas
            ));
        }
    }
}

/// Ingress, GRPCRoute and HTTPRoute backends must name a Service of the base and one of its
/// ports.
fn backends_name_service_ports(set: &RenderedSet, out: &mut Vec<String>) {
    let has_port = |service: &str, name: Option<&str>, number: Option<i32>| {
        set.services.iter().filter(|s| name_of(&s.metadata) == service).any(|s| {
            s.spec.as_ref().and_then(|s| s.ports.as_ref()).into_iter().flatten().any(|p| match (name, number) {
                (Some(name), _) => p.name.as_deref() == Some(name),
                (None, Some(number)) => p.port == number,
                (None, None) => false,
            })
        })
    };
    for ingress in &set.ingresses {
        let rules = ingress.spec.as_ref().and_then(|s| s.rules.as_ref()).into_iter().flatten();
        let paths = rules.filter_map(|r| r.http.as_ref()).flat_map(|h| &h.paths);
        for backend in paths.filter_map(|p| p.backend.service.as_ref()) {
            let port = backend.port.as_ref();
            if !has_port(&backend.name, port.and_then(|p| p.name.as_deref()), port.and_then(|p| p.number)) {
                out.push(format!(
                    "Ingress {}: backend {} {port:?} names no Service port of the base",
                    name_of(&ingress.metadata),
                    backend.name
                ));
            }
        }
    }
    fn route_backends<R: RouteRule>(
        routes: &[Route<R>],
        has_port: impl Fn(&str, Option<&str>, Option<i32>) -> bool,
        out: &mut Vec<String>,
    ) {
        for route in routes {
            for (service, port) in route.backends().filter(|(service, port)| !has_port(service, None, *port)) {
                out.push(format!(
                    "{}: backend {service} port {port:?} names no Service port of the base",
                    route.kind()
                ));
            }
        }
    }
    route_backends(&set.grpc_routes, has_port, out);
    route_backends(&set.http_routes, has_port, out);
    for monitor in &set.monitors {
        let selected: Vec<&Service> =
            set.services.iter().filter(|s| has_labels(&s.metadata, &monitor.match_labels())).collect();
        for port in monitor.ports() {
            if !selected.iter().any(|s| has_port(name_of(&s.metadata), Some(port), None)) {
                out.push(format!("ServiceMonitor: no Service it selects has a port named {port:?}"));
            }
        }
    }
}

/// Whether an object carries every label of `wanted`.
fn has_labels(metadata: &ObjectMeta, wanted: &BTreeMap<String, String>) -> bool {
    let labels = metadata.labels.as_ref();
    wanted.iter().all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
}

/// Every claimed volume must be defined (a PVC of the base, or a volumeClaimTemplate) and
/// every mount must name a volume of the pod; a volume nobody mounts is a leftover.
fn volumes_are_defined_and_mounted(set: &RenderedSet, out: &mut Vec<String>) {
    let claims: Vec<&str> = set.claims.iter().map(|c| name_of(&c.metadata)).collect();
    for workload in set.workloads() {
        let templates: Vec<String> = set
            .stateful_sets
            .iter()
            .filter(|s| name_of(&s.metadata) == workload.name && workload.kind == "StatefulSet")
            .flat_map(|s| s.spec.as_ref().and_then(|s| s.volume_claim_templates.clone()).unwrap_or_default())
            .filter_map(|t| t.metadata.name)
            .collect();
        let volumes = workload.pod.spec.as_ref().and_then(|s| s.volumes.clone()).unwrap_or_default();
        let mounts: Vec<String> = workload
            .containers()
            .iter()
            .flat_map(|c| c.volume_mounts.clone().unwrap_or_default())
            .map(|m| m.name)
            .collect();
        for volume in &volumes {
            if let Some(claim) = &volume.persistent_volume_claim {
                if !claims.contains(&claim.claim_name.as_str()) {
                    out.push(format!(
                        "{} {}: volume {} claims {}, which the base does not define",
                        workload.kind, workload.name, volume.name, claim.claim_name
                    ));
                }
            }
            if !mounts.contains(&volume.name) {
                out.push(format!(
                    "{} {}: volume {} is mounted by no container",
                    workload.kind, workload.name, volume.name
                ));
            }
        }
        for mount in &mounts {
            if !volumes.iter().any(|v| &v.name == mount) && !templates.contains(mount) {
                out.push(format!(
                    "{} {}: a container mounts {mount}, which is no volume of the pod",
                    workload.kind, workload.name
                ));
            }
        }
    }
}

/// Object names become DNS names (Services) or label values: DNS-1123 labels, ≤ 63 chars.
fn names_are_dns_labels(set: &RenderedSet, out: &mut Vec<String>) {
    for (kind, name) in &set.names {
        if !has_dns_label_characters(name) || name.len() > MAX_NAME_LEN {
            out.push(format!("{kind} {name:?}: the name is not a DNS-1123 label of at most 63 characters"));
        }
    }
}

/// A quantity that does not parse is rejected by the API server at apply time; catch it here.
fn quantities_parse(set: &RenderedSet, out: &mut Vec<String>) {
    for workload in set.workloads() {
        for container in workload.containers() {
            let resources = container.resources.as_ref();
            let all = resources.into_iter().flat_map(|r| r.requests.iter().flatten().chain(r.limits.iter().flatten()));
            for (resource, quantity) in all {
                if !is_quantity(&quantity.0) {
                    out.push(format!(
                        "{} {}: {resource} quantity {:?} does not parse",
                        workload.kind, workload.name, quantity.0
                    ));
                }
            }
        }
    }
    for claim in &set.claims {
        let requests = claim.spec.as_ref().and_then(|s| s.resources.as_ref()).and_then(|r| r.requests.as_ref());
        for (resource, quantity) in requests.into_iter().flatten() {
            if !is_quantity(&quantity.0) {
                out.push(format!(
                    "PersistentVolumeClaim {}: {resource} quantity {:?} does not parse",
                    name_of(&claim.metadata),
                    quantity.0
                ));
            }
        }
    }
}

/// The runtime reads its certificate from [`kuberpc_spec::CERT_DIR`]: the Certificate's Secret
/// must be a volume of the pods, mounted there read-only — a Secret mounted elsewhere, or not
/// at all, leaves a server that cannot start.
fn certificate_is_mounted_where_the_runtime_reads_it(set: &RenderedSet, out: &mut Vec<String>) {
    for certificate in &set.certificates {
        let secret = certificate.secret_name();
        for workload in set.workloads() {
            let volumes = workload.pod.spec.as_ref().and_then(|s| s.volumes.as_ref()).into_iter().flatten();
            let of_secret: Vec<&str> = volumes
                .filter(|v| v.secret.as_ref().and_then(|s| s.secret_name.as_deref()) == Some(secret))
                .map(|v| v.name.as_str())
                .collect();
            let mounts = workload.containers().iter().flat_map(|c| c.volume_mounts.iter().flatten());
            let mounted = mounts
                .filter(|m| of_secret.contains(&m.name.as_str()))
                .any(|m| m.mount_path == kuberpc_spec::CERT_DIR && m.read_only == Some(true));
            if !mounted {
                out.push(format!(
                    "Certificate {}: its Secret {secret} is not mounted read-only at {} in {} {}, where the server reads it",
                    name_of(&certificate.metadata),
                    kuberpc_spec::CERT_DIR,
                    workload.kind,
                    workload.name
                ));
            }
        }
    }
}

/// The certificate's SPIFFE ID is what the services the pods call admit them by: its
/// ServiceAccount must be the one the pods run as.
fn certificate_names_the_pods_service_account(set: &RenderedSet, out: &mut Vec<String>) {
    for certificate in &set.certificates {
        let accounts: Vec<&str> =
            certificate.uris().iter().filter_map(|uri| uri.rsplit_once("/sa/").map(|(_, sa)| sa)).collect();
        for workload in set.workloads() {
            let account = workload.pod.spec.as_ref().and_then(|s| s.service_account_name.as_deref());
            if accounts.len() != 1 || account != accounts.first().copied() {
                out.push(format!(
                    "Certificate {}: its identity {:?} is not the ServiceAccount {account:?} of {} {}",
                    name_of(&certificate.metadata),
                    certificate.uris(),
                    workload.kind,
                    workload.name
                ));
            }
        }
    }
}

/// Clients verify the server by the name they dial, one of the app's Services: the
/// certificate must be valid for each of them.
fn certificate_names_every_service(set: &RenderedSet, out: &mut Vec<String>) {
    for certificate in &set.certificates {
        for service in &set.services {
            let name = name_of(&service.metadata);
            if !certificate.dns_names().iter().any(|dns| dns == name) {
                out.push(format!(
                    "Certificate {}: dnsNames lack the Service {name}, which its callers dial",
                    name_of(&certificate.metadata)
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::manifests::{render, Templates};

    /// The rendered Kubernetes objects of the base of the one service in `proto` (under
    /// `include`, relative to the repository root), as `(file, yaml)`.
    fn base(include: &str, proto: &str) -> Vec<(String, String)> {
        let package = &crate::manifests::tests::fixture(include, proto);
        let files = render(package, &package.services[0], &Templates::embedded()).unwrap();
        let base = Path::new(&package.services[0].deploy.app).join("base");
        files
            .into_iter()
            .filter_map(|f| {
                Some((f.path.strip_prefix(&base).ok()?.to_str()?.to_string(), String::from_utf8(f.content).ok()?))
            })
            .filter(|(file, _)| file.ends_with(".yaml"))
            .collect()
    }

    fn greeter() -> Vec<(String, String)> {
        base("examples/greeter/proto", "greeter/v1/greeter.proto")
    }

    fn ledger() -> Vec<(String, String)> {
        base("codegen/tests/fixtures", "ledger/v1/ledger.proto")
    }

    /// The teller of the bank fixture: mutual TLS.
    fn teller() -> Vec<(String, String)> {
        base("codegen/tests/fixtures", "bank/v1/bank.proto")
    }

    /// The violations after replacing the `nth` (from 0, negative from the end) occurrence
    /// of `from` in `file` with `to`.
    fn violations_after(mut docs: Vec<(String, String)>, file: &str, from: &str, to: &str, nth: isize) -> Vec<String> {
        let (_, yaml) = docs.iter_mut().find(|(f, _)| f == file).unwrap_or_else(|| panic!("no {file}"));
        let found: Vec<usize> = yaml.match_indices(from).map(|(i, _)| i).collect();
        let index = if nth < 0 { found.len() as isize + nth } else { nth };
        let at = *found.get(index as usize).unwrap_or_else(|| panic!("{from:?} #{nth} not in {file}"));
        yaml.replace_range(at..at + from.len(), to);
        check_set(&parsed(&docs))
    }

    fn parsed(docs: &[(String, String)]) -> RenderedSet {
        RenderedSet::from_documents(docs.iter().map(|(_, yaml)| serde_yaml::from_str(yaml).unwrap())).unwrap()
    }

    fn assert_violation(violations: &[String], expected: &str) {
        assert!(
            violations.iter().any(|v| v.contains(expected)),
            "no violation containing {expected:?} in {violations:?}"
        );
    }

    #[test]
    fn generated_bases_pass_every_rule() {
        for docs in [greeter(), ledger(), teller()] {
            let violations = check_set(&parsed(&docs));
            assert!(violations.is_empty(), "{violations:?}");
        }
    }

    #[test]
    fn service_selector_must_match_pod_labels() {
        let v = violations_after(
            greeter(),
            "service.yaml",
            "app.kubernetes.io/name: \"greeter\"",
            "app.kubernetes.io/name: \"other\"",
            -1,
        );
        assert_violation(&v, "Service greeter: selector matches no pod of Deployment greeter");
    }

    #[test]
    fn workload_selector_must_match_its_pod_labels() {
        let v = violations_after(
            greeter(),
            "deployment.yaml",
            "app.kubernetes.io/name: \"greeter\"",
            "app.kubernetes.io/name: \"other\"",
            1,
        );
        assert_violation(&v, "Deployment greeter: selector does not match its pod template labels");
    }

    #[test]
    fn pdb_selector_must_match_pod_labels() {
        let v = violations_after(
            greeter(),
            "pdb.yaml",
            "app.kubernetes.io/name: \"greeter\"",
            "app.kubernetes.io/name: \"other\"",
            -1,
        );
        assert_violation(&v, "PodDisruptionBudget greeter: selector matches no pod");
    }

    #[test]
    fn service_target_port_must_name_a_container_port() {
        let v = violations_after(greeter(), "service.yaml", "targetPort: grpc", "targetPort: grcp", 0);
        assert_violation(&v, "Service greeter: port 50051 targets Some(String(\"grcp\"))");
    }

    #[test]
    fn a_network_policy_must_select_the_pods_and_name_their_ports() {
        let v = violations_after(
            greeter(),
            "networkpolicy.yaml",
            "app.kubernetes.io/instance: \"greeter\"",
            "app.kubernetes.io/instance: \"greter\"",
            1,
        );
        assert_violation(&v, "NetworkPolicy greeter: podSelector matches no pod of Deployment greeter");
        let v = violations_after(greeter(), "networkpolicy.yaml", "- port: grpc", "- port: grcp", 0);
        assert_violation(&v, "NetworkPolicy greeter: ingress port String(\"grcp\") is no container port");
    }

    #[test]
    fn probes_must_use_the_grpc_port() {
        let v =
            violations_after(greeter(), "deployment.yaml", "              port: 50051", "              port: 50052", 0);
        assert_violation(&v, "startupProbe of container server checks port Some(50052), not the grpc port Some(50051)");
    }

    #[test]
    fn under_mutual_tls_probes_must_use_the_health_port() {
        let v =
            violations_after(teller(), "deployment.yaml", "              port: 8081", "              port: 50051", 0);
        assert_violation(
            &v,
            "startupProbe of container server checks port Some(50051), not the health port Some(8081)",
        );
    }

    #[test]
    fn the_certificate_must_be_mounted_read_only_where_the_runtime_reads_it() {
        let v = violations_after(teller(), "deployment.yaml", "\"/var/run/kuberpc/tls\"", "\"/etc/tls\"", 0);
        assert_violation(
            &v,
            "Certificate teller-mtls: its Secret teller-mtls is not mounted read-only at /var/run/kuberpc/tls",
        );
        let v = violations_after(
            teller(),
            "certificate.yaml",
            "secretName: \"teller-mtls\"",
            "secretName: \"teller-tls\"",
            0,
        );
        assert_violation(&v, "its Secret teller-tls is not mounted");
    }

    #[test]
    fn the_certificate_must_name_the_pods_service_account() {
        let v = violations_after(teller(), "certificate.yaml", "/sa/teller\"", "/sa/vault\"", 0);
        assert_violation(&v, "is not the ServiceAccount Some(\"teller\") of Deployment teller");
    }

    #[test]
    fn the_certificate_must_name_every_service() {
        let v = violations_after(teller(), "certificate.yaml", "- \"teller-headless\"", "- \"teller-h\"", 0);
        assert_violation(&v, "Certificate teller-mtls: dnsNames lack the Service teller-headless");
    }

    #[test]
    fn autoscaler_must_target_the_workload() {
        let v = violations_after(ledger(), "hpa.yaml", "kind: StatefulSet", "kind: Deployment", 0);
        assert_violation(&v, "scaleTargetRef Deployment ledger is not in the base");
    }

    #[test]
    fn autoscaler_min_must_not_exceed_max() {
        let v = violations_after(greeter(), "hpa.yaml", "minReplicas: 2", "minReplicas: 20", 0);
        assert_violation(&v, "minReplicas 20 must be between 1 and maxReplicas 10");
    }

    #[test]
    fn ingress_backend_must_name_a_service_port() {
        let v = violations_after(greeter(), "ingress.yaml", "name: grpc", "name: http", 0);
        assert_violation(&v, "Ingress greeter: backend greeter");
    }

    #[test]
    fn a_service_monitor_must_select_a_service_with_its_port() {
        assert!(check_set(&parsed(&greeter())).is_empty());
        let port = violations_after(greeter(), "service-headless.yaml", "name: metrics", "name: metric", 0);
        assert_violation(&port, "ServiceMonitor: no Service it selects has a port named \"metrics\"");
        let selector =
            violations_after(greeter(), "servicemonitor.yaml", "instance: \"greeter\"", "instance: \"x\"", -1);
        assert_violation(&selector, "ServiceMonitor: no Service it selects has a port named \"metrics\"");
    }

    #[test]
    fn route_backend_must_name_a_service_port() {
        let v = violations_after(ledger(), "grpcroute.yaml", "port: 50051", "port: 50052", 0);
        assert_violation(&v, "GRPCRoute: backend ledger port Some(50052)");
        let v = violations_after(greeter(), "httproute.yaml", "port: 50051", "port: 50052", 0);
        assert_violation(&v, "HTTPRoute: backend greeter port Some(50052)");
    }

    #[test]
    fn claims_must_be_defined() {
        let v = violations_after(
            greeter(),
            "deployment.yaml",
            "claimName: \"greeter-data\"",
            "claimName: \"greeter-dat\"",
            0,
        );
        assert_violation(&v, "volume data claims greeter-dat, which the base does not define");
    }

    #[test]
    fn mounts_and_volumes_must_pair_up() {
        let v = violations_after(
            greeter(),
            "deployment.yaml",
            "- name: data\n              mountPath",
            "- name: cache\n              mountPath",
            0,
        );
        assert_violation(&v, "a container mounts cache, which is no volume of the pod");
        assert_violation(&v, "volume data is mounted by no container");
    }

    #[test]
    fn names_must_be_dns_labels() {
        let v = violations_after(greeter(), "serviceaccount.yaml", "name: \"greeter\"", "name: \"Greeter_SA\"", 0);
        assert_violation(&v, "ServiceAccount \"Greeter_SA\": the name is not a DNS-1123 label");
    }

    #[test]
    fn quantities_must_parse() {
        let v = violations_after(greeter(), "deployment.yaml", "cpu: \"250m\"", "cpu: \"250mm\"", 0);
        assert_violation(&v, "cpu quantity \"250mm\" does not parse");
    }
}
