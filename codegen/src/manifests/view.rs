//! The data templates see: one JSON view of a service, built from the model only.
//!
//! Everything a template prints is decided here (names, labels, the port, and the names that
//! tie objects together: [`CONTAINER`], [`PORT_NAME`], [`VOLUME`]), so two templates — or a
//! template and the rules that read the rendered objects — cannot disagree; templates only
//! lay values out (a user's own template may still spell a name by hand).

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::model::{
    headless_service_name, Autoscale, Deploy, Environment, Gateway, Package, Resources, Scheduling, Service, Workload,
};

/// The server container, in the pod and in every overlay patch that selects it by name.
pub(crate) const CONTAINER: &str = "server";
/// The gRPC port's name: container port, Service ports, probes' checks, Ingress and policy.
pub(crate) const PORT_NAME: &str = "grpc";
/// The metrics port's name: container port and the NetworkPolicy's scrape rule.
pub(crate) const METRICS_PORT_NAME: &str = "metrics";
/// The data volume, in the pod and in a StatefulSet's claim template.
pub(crate) const VOLUME: &str = "data";

/// The metrics port, who may scrape it and whether a ServiceMonitor does; `null` when
/// metrics are off.
fn metrics_view(deploy: &Deploy) -> Value {
    let namespace = &deploy.observability.monitoring_namespace;
    deploy.observability.metrics_port.map_or(Value::Null, |port| {
        let service_monitor = deploy.observability.service_monitor;
        json!({ "port": port, "monitoring_namespace": namespace, "service_monitor": service_monitor })
    })
}

/// The OpenTelemetry SDK's environment: the service and the pod as resource attributes
/// (from the downward API variables the template defines first), the collector and the
/// sampler when given.
fn telemetry_view(deploy: &Deploy) -> Value {
    let observability = &deploy.observability;
    let workload = match deploy.workload {
        Workload::Deployment => "k8s.deployment.name",
        Workload::StatefulSet => "k8s.statefulset.name",
    };
    json!({
        "service_name": deploy.app,
        "resource_attributes": format!(
            "k8s.namespace.name=$(POD_NAMESPACE),k8s.pod.name=$(POD_NAME),{workload}={}",
            deploy.app
        ),
        "otlp_endpoint": observability.otlp_endpoint,
        "sample_ratio": observability.sample_ratio,
    })
}

/// The user's pod annotations, plus the common `prometheus.io/*` ones when metrics are on and
/// no ServiceMonitor scrapes them (the user's win).
fn pod_annotations(deploy: &Deploy) -> BTreeMap<String, String> {
    let mut annotations = BTreeMap::new();
    let annotated = deploy.observability.metrics_port.filter(|_| !deploy.observability.service_monitor);
    if let Some(port) = annotated {
        annotations.insert("prometheus.io/scrape".to_string(), "true".to_string());
        annotations.insert("prometheus.io/port".to_string(), port.to_string());
        annotations.insert("prometheus.io/path".to_string(), "/metrics".to_string());
    }
    annotations.extend(deploy.pod_annotations.iter().map(|(k, v)| (k.clone(), v.clone())));
    annotations
}

/// Name of the PersistentVolumeClaim of `app`.
fn claim_name(app: &str) -> String {
    format!("{app}-{VOLUME}")
}

/// The view of one service, as the base templates see it.
pub(crate) fn service_view(package: &Package, service: &Service) -> Value {
    let deploy = &service.deploy;
    let app = deploy.app.as_str();
    let selector =
        BTreeMap::from([("app.kubernetes.io/name", app.to_string()), ("app.kubernetes.io/instance", app.to_string())]);
    let mut labels = selector.clone();
    // No `app.kubernetes.io/version`: an overlay's kustomize `images:` changes the image but
    // could not change such a label, which would then state a version that is not running.
    labels.insert("app.kubernetes.io/component", "grpc-server".into());
    labels.insert("app.kubernetes.io/part-of", label_value(if package.name.is_empty() { app } else { &package.name }));
    labels.insert("app.kubernetes.io/managed-by", "kuberpc".into());
    let env: Vec<Value> = deploy.env.iter().map(|(name, value)| json!({ "name": name, "value": value })).collect();
    let claim = deploy.storage.as_ref().filter(|_| deploy.workload == Workload::Deployment).map(|_| claim_name(app));
    json!({
        "app": app,
        "names": { "container": CONTAINER, "port": PORT_NAME, "volume": VOLUME, "metrics_port": METRICS_PORT_NAME },
        "metrics": metrics_view(deploy),
        "telemetry": telemetry_view(deploy),
        "pod_user": crate::dockerfile::POD_USER,
        "workload": deploy.workload.kind(),
        "service_account": app,
        "env_config_map": (!deploy.env.is_empty()).then(|| env_config_map_name(app, &deploy.env)),
        "env_from": env_from(app, deploy),
        "secret_volumes": deploy.secret_volumes.iter().map(|v| json!({
            "name": v.name, "mount_path": v.mount_path, "volume": v.volume,
        })).collect::<Vec<_>>(),
        "pod_volume_claim": claim,
        "lifecycle": deploy.lifecycle,
        "allowed_namespaces": allowed_namespaces(deploy),
        "gateway": deploy.gateway.as_ref().map(|g| gateway_view(service, g)),
        "service": service.full_name,
        "image": deploy.image,
        "image_name": image_name(&deploy.image),
        "port": deploy.port,
        "replicas": if deploy.autoscale.is_some() { None } else { Some(deploy.replicas) },
        "labels": labels,
        "selector": selector,
        "headless_service": headless_service_name(app),
        "env": env,
        "args": deploy.args,
        "pod_annotations": pod_annotations(deploy),
        "scheduling": scheduling_view(&deploy.scheduling),
        "resources": resources_view(&deploy.resources),
        "autoscale": deploy.autoscale.as_ref().map(autoscale_view),
        "ingress": deploy.ingress.as_ref().map(|i| json!({
            "host": i.host,
            "tls_secret": i.tls_secret,
            "class_name": i.class_name,
            "path": i.path,
        })),
        "storage": deploy.storage.as_ref().map(|s| json!({
            "claim_name": claim_name(app),
            "size": s.size,
            "mount_path": s.mount_path,
            "storage_class": s.storage_class,
            "access_mode": s.access_mode,
        })),
    })
}

/// The container's `envFrom`: the env ConfigMap, then each Secret of `secret_env`.
fn env_from(app: &str, deploy: &Deploy) -> Vec<Value> {
    let config_map = (!deploy.env.is_empty()).then(|| json!({ "config_map": env_config_map_name(app, &deploy.env) }));
    config_map.into_iter().chain(deploy.secret_env.iter().map(|name| json!({ "secret": name }))).collect()
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

/// Namespaces besides the pod's own that may reach the gRPC port: the ingress controller's
/// and the Gateway's, when those are in use.
fn allowed_namespaces(deploy: &Deploy) -> Vec<String> {
    let ingress = deploy.ingress.as_ref().map(|i| i.controller_namespace.clone());
    let gateway = deploy.gateway.as_ref().and_then(|g| g.controller_namespace.clone());
    let mut namespaces: Vec<String> = ingress.into_iter().chain(gateway).collect();
    namespaces.sort();
    namespaces.dedup();
    namespaces
}

/// At most this many matches fit in one GRPCRoute rule; a larger service is matched whole.
const MAX_ROUTE_MATCHES: usize = 64;

fn gateway_view(service: &Service, gateway: &Gateway) -> Value {
    let matches: Vec<Value> = if service.methods.is_empty() || service.methods.len() > MAX_ROUTE_MATCHES {
        vec![json!({ "service": service.full_name, "method": null })]
    } else {
        service.methods.iter().map(|m| json!({ "service": service.full_name, "method": m.name })).collect()
    };
    json!({
        "parent_name": gateway.parent_name,
        "parent_namespace": gateway.parent_namespace,
        "hostnames": gateway.hostnames,
        "matches": matches,
    })
}

fn resources_view(resources: &Resources) -> Value {
    json!({
        "cpu": resources.cpu,
        "memory": resources.memory,
        "cpu_limit": resources.cpu_limit,
        "memory_limit": resources.memory_limit,
    })
}

/// The service view with the `environment` entry that its component and overlay templates
/// read.
pub(crate) fn environment_view(base: &Value, environment: &Environment) -> Value {
    let mut view = base.clone();
    view["environment"] = json!({
        "name": environment.name,
        "namespace": environment.namespace,
        "replicas": environment.replicas,
        "autoscale": environment.autoscale.as_ref().map(autoscale_view),
        "resources": resources_view(&environment.resources),
        "ingress_host": environment.ingress_host,
    });
    view
}

fn scheduling_view(scheduling: &Scheduling) -> Value {
    let tolerations: Vec<Value> = scheduling
        .tolerations
        .iter()
        .map(|t| json!({ "key": t.key, "operator": t.operator, "value": t.value, "effect": t.effect }))
        .collect();
    json!({
        "priority_class": scheduling.priority_class,
        "node_selector": scheduling.node_selector,
        "tolerations": tolerations,
    })
}

fn autoscale_view(autoscale: &Autoscale) -> Value {
    json!({
        "min": autoscale.min,
        "max": autoscale.max,
        "cpu_percent": autoscale.cpu_percent,
        "memory_percent": autoscale.memory_percent,
    })
}

/// The image reference without tag or digest (what kustomize `images` match on).
fn image_name(image: &str) -> String {
    let without_digest = image.split('@').next().unwrap_or(image);
    match without_digest.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => name.to_string(),
        _ => without_digest.to_string(),
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
    fn label_values_are_valid() {
        assert_eq!(label_value("v1.0+build"), "v1.0-build");
        assert_eq!(label_value("x".repeat(70)).len(), 63);
    }
}
