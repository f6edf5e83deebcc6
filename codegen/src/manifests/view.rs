//! The data templates see: typed views of a service, built from the model only and
//! serialized for handlebars. A view field is named once, here, as a struct field: a view
//! built with a misspelt key does not compile. A template that names a field no view has
//! fails to render (strict mode, `if`/`unless` included) and fails a test that walks every
//! block of every template against the views' shapes (`template_names`), rendered or not.
//!
//! Everything a template prints is decided here (names, labels, the port, and the names that
//! tie objects together: [`CONTAINER`], [`PORT_NAME`], [`VOLUME`], [`HEALTH_PORT_NAME`]), so
//! two templates — or a
//! template and the rules that read the rendered objects — cannot disagree; templates only
//! lay values out (a user's own template may still spell a name by hand).

use std::collections::BTreeMap;

use kuberpc_spec::PathTemplate;
use serde::Serialize;

use super::network::{self, CallAddress, PolicyView};
use crate::model::{
    headless_service_name, Autoscale, Deploy, Environment, Gateway, Ingress, Issuer, Lifecycle, MutualTls, Package,
    Resources, Scheduling, SecretVolume, Service, Workload,
};

/// The server container, in the pod and in every overlay patch that selects it by name.
pub(crate) const CONTAINER: &str = "server";
/// The gRPC port's name: container port, Service ports, probes' checks, Ingress and policy.
pub(crate) const PORT_NAME: &str = "grpc";
/// The metrics port's name: container port and the NetworkPolicy's scrape rule.
pub(crate) const METRICS_PORT_NAME: &str = "metrics";
/// The data volume, in the pod and in a StatefulSet's claim template.
pub(crate) const VOLUME: &str = "data";
/// The plaintext health port's name under mutual TLS: the container port the probes ask.
pub(crate) const HEALTH_PORT_NAME: &str = "health";
/// The volume of the certificate's Secret under mutual TLS.
pub(crate) const MTLS_VOLUME: &str = "mtls";
/// The namespace the base's certificate names (where a namespace-less apply puts it); each
/// environment's component puts its overlay's namespace in its place.
pub(crate) const BASE_NAMESPACE: &str = "default";
/// The mode of the certificate's files: read by the owner and the group (the pod's fsGroup,
/// which the server runs as), nobody else; 0440 written in decimal, as JSON has no octal.
const CERTIFICATE_FILE_MODE: u32 = 0o440;

/// The view of one service, as the base templates see it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ServiceView<'a> {
    app: &'a str,
    names: Names,
    metrics: Option<MetricsView<'a>>,
    telemetry: TelemetryView<'a>,
    pod_user: u32,
    workload: &'static str,
    service_account: &'a str,
    env_config_map: Option<String>,
    env_from: Vec<EnvSource<'a>>,
    secret_volumes: &'a [SecretVolume],
    pod_volume_claim: Option<String>,
    lifecycle: Lifecycle,
    network_policy: PolicyView,
    calls: Vec<CallAddress>,
    gateway: Option<GatewayView<'a>>,
    service: &'a str,
    image: &'a str,
    image_name: &'a str,
    port: u16,
    /// `None` when an autoscaler owns the count.
    replicas: Option<u32>,
    labels: BTreeMap<&'static str, String>,
    selector: BTreeMap<&'static str, String>,
    headless_service: String,
    env: Vec<EnvVar<'a>>,
    args: &'a [String],
    pod_annotations: BTreeMap<&'a str, String>,
    scheduling: &'a Scheduling,
    resources: &'a Resources,
    autoscale: Option<&'a Autoscale>,
    ingress: Option<&'a Ingress>,
    storage: Option<StorageView<'a>>,
    /// Mutual TLS, when on.
    mtls: Option<MtlsView<'a>>,
    /// The port the kubelet's gRPC probes ask: the plaintext health port under mutual TLS,
    /// else the gRPC port.
    probe_port: u16,
    /// The base files the kustomization lists, in order.
    base_resources: Vec<&'static str>,
    service_config: ServiceConfigView,
}

/// The names that tie objects together.
#[derive(Debug, Clone, Serialize)]
struct Names {
    container: &'static str,
    port: &'static str,
    volume: &'static str,
    metrics_port: &'static str,
    health_port: &'static str,
}

/// The certificate of mutual TLS, its Secret in the pod, and the plaintext health port.
#[derive(Debug, Clone, Serialize)]
struct MtlsView<'a> {
    /// The Certificate's name, and the Secret's.
    certificate: String,
    secret: String,
    issuer: &'a Issuer,
    /// `24h`, and a third of it.
    duration: String,
    renew_before: String,
    /// The SPIFFE ID, naming [`BASE_NAMESPACE`].
    identity: String,
    dns_names: Vec<String>,
    health_port: u16,
    /// Where the Secret is mounted (the runtime reads it there).
    cert_dir: &'static str,
    volume: &'static str,
    file_mode: u32,
    /// Where [`BASE_NAMESPACE`] stands in the Certificate, for the environments' components.
    namespace_targets: Vec<NamespaceTarget>,
}

/// One kustomize replacement target: the fields of the Certificate holding the namespace, at
/// part `index` when split at `delimiter`.
#[derive(Debug, Clone, Serialize)]
struct NamespaceTarget {
    certificate: String,
    field_paths: Vec<String>,
    delimiter: &'static str,
    index: usize,
}

/// The metrics port, who may scrape it and whether a ServiceMonitor does.
#[derive(Debug, Clone, Serialize)]
struct MetricsView<'a> {
    port: u16,
    monitoring_namespace: &'a str,
    service_monitor: bool,
}

/// The OpenTelemetry SDK's environment.
#[derive(Debug, Clone, Serialize)]
struct TelemetryView<'a> {
    service_name: &'a str,
    resource_attributes: String,
    otlp_endpoint: Option<&'a str>,
    sample_ratio: Option<&'a str>,
}

/// One source of the container's `envFrom`: a ConfigMap or a Secret.
#[derive(Debug, Clone, Serialize)]
struct EnvSource<'a> {
    config_map: Option<String>,
    secret: Option<&'a str>,
}

#[derive(Debug, Clone, Serialize)]
struct EnvVar<'a> {
    name: &'a str,
    value: &'a str,
}

#[derive(Debug, Clone, Serialize)]
struct GatewayView<'a> {
    parent_name: &'a str,
    parent_namespace: Option<&'a str>,
    hostnames: &'a [String],
    /// A GRPCRoute's matches (a port that speaks HTTP/2 only).
    matches: Vec<RouteMatch<'a>>,
    /// An HTTPRoute's matches (a port that speaks HTTP/1.1 too).
    paths: Vec<RoutePath>,
}

/// One GRPCRoute match: a method of the service, or (`method` `None`) the whole service.
#[derive(Debug, Clone, Serialize)]
struct RouteMatch<'a> {
    service: &'a str,
    method: Option<&'a str>,
}

/// One HTTPRoute path match.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
struct RoutePath {
    /// `PathPrefix` (whole segments) or `Exact`.
    kind: &'static str,
    value: String,
}

#[derive(Debug, Clone, Serialize)]
struct StorageView<'a> {
    claim_name: String,
    size: &'a str,
    mount_path: &'a str,
    storage_class: Option<&'a str>,
    access_mode: &'a str,
}

/// The gRPC service config's file and the ConfigMap kustomize makes of it.
#[derive(Debug, Clone, Serialize)]
struct ServiceConfigView {
    file: &'static str,
    config_map: String,
}

/// A service view with the environment its component and overlay templates read.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct EnvironmentView<'a> {
    #[serde(flatten)]
    service: &'a ServiceView<'a>,
    environment: EnvironmentFacts<'a>,
}

#[derive(Debug, Clone, Serialize)]
struct EnvironmentFacts<'a> {
    name: &'a str,
    namespace: &'a str,
    replicas: u32,
    autoscale: Option<&'a Autoscale>,
    resources: &'a Resources,
    ingress_host: Option<&'a str>,
    network_policy: PolicyView,
    calls: Vec<CallAddress>,
    /// The server's variables that differ there: each caller's identity from another
    /// namespace (mutual TLS), the origins whose pages may call (gRPC-Web).
    variables: Vec<Variable>,
    /// What those variables are, in words, a line each, for the patch's comment.
    variables_are: Vec<&'static str>,
    /// The objectives' rule groups there (none without `slo`).
    slo_rules: Vec<super::slo::RuleGroup>,
}

/// One variable of the server container.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Variable {
    pub(crate) name: String,
    pub(crate) value: String,
}

/// The view of `service`, whose base kustomization lists `base_resources`.
pub(crate) fn service_view<'a>(
    package: &Package,
    service: &'a Service,
    base_resources: Vec<&'static str>,
) -> ServiceView<'a> {
    let deploy = &service.deploy;
    let app = deploy.app.as_str();
    ServiceView {
        app,
        names: Names {
            container: CONTAINER,
            port: PORT_NAME,
            volume: VOLUME,
            metrics_port: METRICS_PORT_NAME,
            health_port: HEALTH_PORT_NAME,
        },
        metrics: metrics_view(deploy),
        telemetry: telemetry_view(deploy),
        pod_user: crate::dockerfile::POD_USER,
        workload: deploy.workload.kind(),
        service_account: app,
        env_config_map: (!deploy.env.is_empty()).then(|| env_config_map_name(app, &deploy.env)),
        env_from: env_from(app, deploy),
        secret_volumes: &deploy.secret_volumes,
        pod_volume_claim: deploy
            .storage
            .as_ref()
            .filter(|_| deploy.workload == Workload::Deployment)
            .map(|_| claim_name(app)),
        lifecycle: deploy.lifecycle,
        network_policy: network::policy(service, network::Place::BASE),
        calls: network::call_addresses(service, network::Place::BASE),
        gateway: deploy.gateway.as_ref().map(|g| gateway_view(service, g)),
        service: &service.full_name,
        image: &deploy.image,
        image_name: image_name(&deploy.image),
        port: deploy.port,
        replicas: if deploy.autoscale.is_some() { None } else { Some(deploy.replicas) },
        labels: labels(package, app),
        selector: selector(app),
        headless_service: headless_service_name(app),
        env: deploy.env.iter().map(|(name, value)| EnvVar { name, value }).collect(),
        args: &deploy.args,
        pod_annotations: pod_annotations(deploy),
        scheduling: &deploy.scheduling,
        resources: &deploy.resources,
        autoscale: deploy.autoscale.as_ref(),
        ingress: deploy.ingress.as_ref(),
        storage: deploy.storage.as_ref().map(|s| StorageView {
            claim_name: claim_name(app),
            size: &s.size,
            mount_path: &s.mount_path,
            storage_class: s.storage_class.as_deref(),
            access_mode: &s.access_mode,
        }),
        mtls: deploy.mtls.as_ref().map(|mtls| mtls_view(app, mtls)),
        probe_port: deploy.mtls.as_ref().map_or(deploy.port, |mtls| mtls.health_port),
        base_resources,
        service_config: ServiceConfigView {
            file: crate::service_config::FILE,
            config_map: crate::service_config::config_map_name(app),
        },
    }
}

/// The certificate of `app` in [`BASE_NAMESPACE`]: its SPIFFE ID (the app's ServiceAccount,
/// which its pods run as) and the names clients dial, short and namespaced, of both Services.
fn mtls_view<'a>(app: &str, mtls: &'a MutualTls) -> MtlsView<'a> {
    let certificate = format!("{app}-mtls");
    let services = [app.to_string(), headless_service_name(app)];
    let namespaced = services.iter().map(|name| format!("{name}.{BASE_NAMESPACE}.svc.cluster.local"));
    let dns_names: Vec<String> = services.iter().cloned().chain(namespaced).collect();
    // The namespace's part of each field, counted as kustomize splits it.
    let uri_index = format!("spiffe://{}/ns/", mtls.trust_domain).split('/').count() - 1;
    let dns_index = format!("{app}.").split('.').count() - 1;
    let namespaced_fields = (services.len()..dns_names.len()).map(|i| format!("spec.dnsNames.{i}")).collect();
    let namespace_targets = vec![
        NamespaceTarget {
            certificate: certificate.clone(),
            field_paths: vec!["spec.uris.0".into()],
            delimiter: "/",
            index: uri_index,
        },
        NamespaceTarget {
            certificate: certificate.clone(),
            field_paths: namespaced_fields,
            delimiter: ".",
            index: dns_index,
        },
    ];
    // Renewed with a third of the time left: whole hours when they divide, else minutes.
    let renew_minutes = mtls.certificate_hours * 20;
    let renew_before =
        if renew_minutes.is_multiple_of(60) { format!("{}h", renew_minutes / 60) } else { format!("{renew_minutes}m") };
    MtlsView {
        secret: certificate.clone(),
        certificate,
        issuer: &mtls.issuer,
        duration: format!("{}h", mtls.certificate_hours),
        renew_before,
        identity: mtls.identity(BASE_NAMESPACE, app),
        dns_names,
        health_port: mtls.health_port,
        cert_dir: kuberpc_spec::CERT_DIR,
        volume: MTLS_VOLUME,
        file_mode: CERTIFICATE_FILE_MODE,
        namespace_targets,
    }
}

/// The labels that select the app's pods.
fn selector(app: &str) -> BTreeMap<&'static str, String> {
    BTreeMap::from([("app.kubernetes.io/name", app.to_string()), ("app.kubernetes.io/instance", app.to_string())])
}

/// Every object's labels: the selector's and what the app is part of.
fn labels(package: &Package, app: &str) -> BTreeMap<&'static str, String> {
    let mut labels = selector(app);
    // No `app.kubernetes.io/version`: an overlay's kustomize `images:` changes the image but
    // could not change such a label, which would then state a version that is not running.
    labels.insert("app.kubernetes.io/component", "grpc-server".into());
    labels.insert("app.kubernetes.io/part-of", label_value(if package.name.is_empty() { app } else { &package.name }));
    labels.insert("app.kubernetes.io/managed-by", "kuberpc".into());
    labels
}

/// The metrics port, who may scrape it and whether a ServiceMonitor does; `None` when
/// metrics are off.
fn metrics_view(deploy: &Deploy) -> Option<MetricsView<'_>> {
    let observability = &deploy.observability;
    observability.metrics_port.map(|port| MetricsView {
        port,
        monitoring_namespace: &observability.monitoring_namespace,
        service_monitor: observability.service_monitor,
    })
}

/// The OpenTelemetry SDK's environment: the service and the pod as resource attributes
/// (from the downward API variables the template defines first), the collector and the
/// sampler when given.
fn telemetry_view(deploy: &Deploy) -> TelemetryView<'_> {
    let observability = &deploy.observability;
    let workload = match deploy.workload {
        Workload::Deployment => "k8s.deployment.name",
        Workload::StatefulSet => "k8s.statefulset.name",
    };
    TelemetryView {
        service_name: &deploy.app,
        resource_attributes: format!(
            "k8s.namespace.name=$(POD_NAMESPACE),k8s.pod.name=$(POD_NAME),{workload}={}",
            deploy.app
        ),
        otlp_endpoint: observability.otlp_endpoint.as_deref(),
        sample_ratio: observability.sample_ratio.as_deref(),
    }
}

/// The user's pod annotations, plus the common `prometheus.io/*` ones when metrics are on and
/// no ServiceMonitor scrapes them (the user's win).
fn pod_annotations(deploy: &Deploy) -> BTreeMap<&str, String> {
    let mut annotations = BTreeMap::new();
    let annotated = deploy.observability.metrics_port.filter(|_| !deploy.observability.service_monitor);
    if let Some(port) = annotated {
        annotations.insert("prometheus.io/scrape", "true".to_string());
        annotations.insert("prometheus.io/port", port.to_string());
        annotations.insert("prometheus.io/path", "/metrics".to_string());
    }
    annotations.extend(deploy.pod_annotations.iter().map(|(k, v)| (k.as_str(), v.clone())));
    annotations
}

/// Name of the PersistentVolumeClaim of `app`.
fn claim_name(app: &str) -> String {
    format!("{app}-{VOLUME}")
}

/// The container's `envFrom`: the env ConfigMap, then each Secret of `secret_env`.
fn env_from<'a>(app: &str, deploy: &'a Deploy) -> Vec<EnvSource<'a>> {
    let config_map = (!deploy.env.is_empty())
        .then(|| EnvSource { config_map: Some(env_config_map_name(app, &deploy.env)), secret: None });
    let secrets = deploy.secret_env.iter().map(|name| EnvSource { config_map: None, secret: Some(name) });
    config_map.into_iter().chain(secrets).collect()
}

/// Name of the env ConfigMap: a hash of the content is part of it, so that changing a value
/// changes the pod template and rolls the pods (as kustomize's configMapGenerator does).
fn env_config_map_name(app: &str, env: &BTreeMap<String, String>) -> String {
    // FNV-1a: stable across Rust versions and platforms, unlike `DefaultHasher`.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for (name, value) in env {
        for byte in name.bytes().chain([0]).chain(value.bytes()).chain([0]) {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{app}-env-{:08x}", hash >> 32)
}

/// At most this many matches fit in one route rule (GRPCRoute and HTTPRoute alike); a larger
/// service is matched whole (a GRPCRoute) or by every path (an HTTPRoute).
const MAX_ROUTE_MATCHES: usize = 64;

fn gateway_view<'a>(service: &'a Service, gateway: &'a Gateway) -> GatewayView<'a> {
    let service_name = service.full_name.as_str();
    let (matches, paths) = if service.speaks_http1() {
        (Vec::new(), route_paths(service_name, service.rest_rules().map(|rule| rule.template.as_str())))
    } else if service.methods.is_empty() || service.methods.len() > MAX_ROUTE_MATCHES {
        (vec![RouteMatch { service: service_name, method: None }], Vec::new())
    } else {
        let methods = service.methods.iter().map(|m| RouteMatch { service: service_name, method: Some(&m.name) });
        (methods.collect(), Vec::new())
    };
    GatewayView {
        parent_name: &gateway.parent_name,
        parent_namespace: gateway.parent_namespace.as_deref(),
        hostnames: &gateway.hostnames,
        matches,
        paths,
    }
}

/// What an HTTPRoute matches: the service's own paths (`/pkg.Service/Method`: native gRPC and
/// gRPC-Web) and each REST binding's literal prefix (its one path when it has no wildcard),
/// none that another covers; every path (`/`) when more than a rule holds.
fn route_paths<'t>(service_name: &str, templates: impl Iterator<Item = &'t str>) -> Vec<RoutePath> {
    let prefix = |value: String| RoutePath { kind: "PathPrefix", value };
    let rest = templates.filter_map(|template| PathTemplate::parse(template).ok()).map(|t| {
        let (value, whole) = t.literal_prefix();
        if whole {
            RoutePath { kind: "Exact", value }
        } else {
            prefix(value)
        }
    });
    let mut paths: Vec<RoutePath> = rest.chain([prefix(format!("/{service_name}"))]).collect();
    paths.sort();
    paths.dedup();
    let covers = |outer: &RoutePath, inner: &RoutePath| {
        outer != inner
            && outer.kind == "PathPrefix"
            && (outer.value == "/"
                || inner.value == outer.value
                || inner.value.starts_with(&format!("{}/", outer.value)))
    };
    let kept: Vec<RoutePath> =
        paths.iter().filter(|path| !paths.iter().any(|outer| covers(outer, path))).cloned().collect();
    if kept.len() > MAX_ROUTE_MATCHES {
        vec![prefix("/".into())]
    } else {
        kept
    }
}

/// The view of `service` (of the model `model`) in `environment`, for its component and overlay
/// templates.
pub(crate) fn environment_view<'a>(
    service: &'a ServiceView<'a>,
    model: &Service,
    environment: &'a Environment,
) -> EnvironmentView<'a> {
    let place = network::Place::environment(environment);
    let (identities, origins) = (network::caller_identities(model, place), web_origins(environment));
    let facts = EnvironmentFacts {
        network_policy: network::policy(model, place),
        calls: network::call_addresses(model, place),
        variables_are: variables_are(&identities, origins.is_some()),
        variables: identities.into_iter().chain(origins).collect(),
        name: &environment.name,
        namespace: &environment.namespace,
        replicas: environment.replicas,
        autoscale: environment.autoscale.as_ref(),
        resources: &environment.resources,
        ingress_host: environment.ingress_host.as_deref(),
        slo_rules: super::slo::rule_groups(model, &environment.namespace),
    };
    EnvironmentView { service, environment: facts }
}

/// The comment on an environment's variables: what each kind present is for.
fn variables_are(identities: &[Variable], origins: bool) -> Vec<&'static str> {
    let identities = (!identities.is_empty()).then_some(
        "the identity of each caller from another namespace, which admits it (its own namespace's need none)",
    );
    let origins = origins.then_some("the origins whose pages may call it (gRPC-Web)");
    identities.into_iter().chain(origins).collect()
}

/// The origins of an environment whose own differ from the base's.
fn web_origins(environment: &Environment) -> Option<Variable> {
    let origins = environment.web_origins.as_ref()?;
    Some(Variable { name: kuberpc_spec::WEB_ORIGINS_ENV.into(), value: origins.join(",") })
}

/// The image reference without tag or digest (what kustomize `images` match on).
fn image_name(image: &str) -> &str {
    let without_digest = image.split('@').next().unwrap_or(image);
    match without_digest.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => name,
        _ => without_digest,
    }
}

/// A Kubernetes label value: at most 63 of `[A-Za-z0-9._-]`, alphanumeric at both ends.
fn label_value(value: impl AsRef<str>) -> String {
    let cleaned: String = value
        .as_ref()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '-' })
        .take(63)
        .collect();
    cleaned.trim_matches(|c: char| !c.is_ascii_alphanumeric()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_parts() {
        assert_eq!(image_name("localhost:5000/greeter:1.0"), "localhost:5000/greeter");
        assert_eq!(image_name("localhost:5000/greeter"), "localhost:5000/greeter");
        assert_eq!(image_name("greeter@sha256:0123"), "greeter");
        assert_eq!(image_name("ghcr.io/acme/greeter:1.4@sha256:0123"), "ghcr.io/acme/greeter");
    }

    #[test]
    fn an_httproute_matches_the_service_and_each_binding_once() {
        let paths = |templates: &[&str]| -> Vec<(&'static str, String)> {
            route_paths("shelf.v1.Shelves", templates.iter().copied()).into_iter().map(|p| (p.kind, p.value)).collect()
        };
        let prefix = |value: &str| ("PathPrefix", value.to_string());
        assert_eq!(paths(&[]), [prefix("/shelf.v1.Shelves")]);
        assert_eq!(
            paths(&["/v1/{name=shelves/*}", "/v1/shelves", "/v1/shelves/{id}/books:move", "/v2/things:count"]),
            [("Exact", "/v2/things:count".to_string()), prefix("/shelf.v1.Shelves"), prefix("/v1/shelves")],
            "an Exact or a longer prefix under a prefix goes; an Exact of its own stays"
        );
        assert_eq!(paths(&["/v1/a", "/v1/a/{x}"]), [prefix("/shelf.v1.Shelves"), prefix("/v1/a")]);
        assert_eq!(
            paths(&["/v1/ab/{x}", "/v1/a/{x}"]),
            [prefix("/shelf.v1.Shelves"), prefix("/v1/a"), prefix("/v1/ab")]
        );
        assert_eq!(paths(&["/{name=**}", "/v1/x/{y}"]), [prefix("/")], "'/' covers every path");
        let many: Vec<String> = (0..MAX_ROUTE_MATCHES).map(|n| format!("/v1/r{n}/{{x}}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(paths(&many), [prefix("/")], "more than a rule holds: every path");
        assert_eq!(paths(&many[1..]).len(), MAX_ROUTE_MATCHES);
    }

    #[test]
    fn label_values_are_valid() {
        assert_eq!(label_value("v1.0+build"), "v1.0-build");
        assert_eq!(label_value("x".repeat(70)).len(), 63);
    }
}
