//! The annotation vocabulary (`kuberpc/v1/options.proto`) as plain Rust values, and the ONE
//! place where written options become a resolved [`Deploy`].
//!
//! Front ends only fill [`ServiceOptions`] / [`MethodOptions`] (what the user wrote, nothing
//! more); [`resolve_deploy`] applies the documented defaults and the single-field rules
//! (ranges, quantities, required fields). Cross-field rules live in [`crate::check`].

use std::collections::BTreeMap;

use heck::ToKebabCase;

use crate::error::{Problem, Problems, Spans};
use crate::model::{Autoscale, Deploy, Gateway, Ingress, Resources, Storage, Workload};

/// The source text of the vocabulary, resolvable as `kuberpc/v1/options.proto` without any
/// include path.
pub const OPTIONS_PROTO: &str = include_str!("../../proto/kuberpc/v1/options.proto");
/// The import path of the vocabulary.
pub const OPTIONS_PROTO_NAME: &str = "kuberpc/v1/options.proto";

/// Default port of a service.
pub const DEFAULT_PORT: u32 = 50051;
const DEFAULT_CPU: &str = "100m";
const DEFAULT_MEMORY: &str = "128Mi";
const DEFAULT_CPU_PERCENT: u32 = 80;
const DEFAULT_INGRESS_CLASS: &str = "nginx";
const DEFAULT_INGRESS_CONTROLLER_NAMESPACE: &str = "ingress-nginx";
const DEFAULT_DRAIN_SECONDS: u32 = 5;
const DEFAULT_TERMINATION_GRACE_SECONDS: u32 = 30;
const ACCESS_MODES: [&str; 4] = ["ReadWriteOnce", "ReadWriteMany", "ReadOnlyMany", "ReadWriteOncePod"];

/// `(kuberpc.v1.service)` as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceOptions {
    /// `name`
    pub name: Option<String>,
    /// `image`
    pub image: Option<String>,
    /// `port`
    pub port: Option<u32>,
    /// `replicas`
    pub replicas: Option<u32>,
    /// `resources { … }`
    pub resources: Option<ResourceOptions>,
    /// `autoscale { … }`
    pub autoscale: Option<AutoscaleOptions>,
    /// `ingress { … }`
    pub ingress: Option<IngressOptions>,
    /// `storage { … }`
    pub storage: Option<StorageOptions>,
    /// `env`
    pub env: BTreeMap<String, String>,
    /// `workload`
    pub workload: Option<String>,
    /// `drain_seconds`
    pub drain_seconds: Option<u32>,
    /// `termination_grace_seconds`
    pub termination_grace_seconds: Option<u32>,
    /// `gateway { … }`
    pub gateway: Option<GatewayOptions>,
}

/// `gateway { … }` as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GatewayOptions {
    /// `parent`
    pub parent: Option<String>,
    /// `hostnames`
    pub hostnames: Vec<String>,
    /// `controller_namespace`
    pub controller_namespace: Option<String>,
}

/// `resources { … }` as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceOptions {
    /// `cpu`
    pub cpu: Option<String>,
    /// `memory`
    pub memory: Option<String>,
    /// `cpu_limit`
    pub cpu_limit: Option<String>,
    /// `memory_limit`
    pub memory_limit: Option<String>,
}

/// `autoscale { … }` as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AutoscaleOptions {
    /// `min`
    pub min: Option<u32>,
    /// `max`
    pub max: Option<u32>,
    /// `cpu_percent`
    pub cpu_percent: Option<u32>,
    /// `memory_percent`
    pub memory_percent: Option<u32>,
}

/// `ingress { … }` as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngressOptions {
    /// `host`
    pub host: Option<String>,
    /// `tls_secret`
    pub tls_secret: Option<String>,
    /// `class_name`
    pub class_name: Option<String>,
    /// `path`
    pub path: Option<String>,
    /// `controller_namespace`
    pub controller_namespace: Option<String>,
}

/// `storage { … }` as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StorageOptions {
    /// `size`
    pub size: Option<String>,
    /// `mount_path`
    pub mount_path: Option<String>,
    /// `storage_class`
    pub storage_class: Option<String>,
    /// `access_mode`
    pub access_mode: Option<String>,
}

/// `(kuberpc.v1.method)` as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MethodOptions {
    /// `timeout_ms`
    pub timeout_ms: Option<u64>,
    /// `idempotent`
    pub idempotent: Option<bool>,
}

/// Applies defaults and single-field rules. `service_name` is the name as declared
/// (`RouteGuide`); problems are located through `spans`.
pub fn resolve_deploy(service_name: &str, options: &ServiceOptions, spans: &Spans, problems: &mut Problems) -> Deploy {
    let mut rules = FieldRules { spans, problems };
    let app = options.name.clone().unwrap_or_else(|| service_name.to_kebab_case());
    let port = options.port.unwrap_or(DEFAULT_PORT);
    if !(1..=65535).contains(&port) {
        rules.fail("port", format!("port {port} is out of range: it must be between 1 and 65535"));
    }
    let replicas = options.replicas.unwrap_or(1);
    if replicas == 0 {
        rules.fail("replicas", "replicas must be at least 1 (an overlay may scale to 0)".to_string());
    }
    let image = options.image.clone().unwrap_or_else(|| format!("{app}:latest"));
    if image.trim().is_empty() || image.chars().any(char::is_whitespace) {
        rules.fail("image", format!("image {image:?} is not an image reference"));
    }
    let autoscale = options.autoscale.as_ref().map(|a| resolve_autoscale(a, &mut rules));
    let storage = options.storage.as_ref().map(|s| resolve_storage(&app, s, &mut rules));
    let max_replicas = autoscale.as_ref().map_or(replicas, |a| a.max);
    Deploy {
        resources: resolve_resources(options.resources.clone().unwrap_or_default(), &mut rules),
        ingress: options.ingress.as_ref().map(|i| resolve_ingress(&app, i, &mut rules)),
        gateway: options.gateway.as_ref().map(|g| resolve_gateway(g, &mut rules)),
        env: resolve_env(&options.env, &mut rules),
        workload: resolve_workload(options.workload.as_deref(), storage.as_ref(), max_replicas, &mut rules),
        drain_seconds: options.drain_seconds.unwrap_or(DEFAULT_DRAIN_SECONDS),
        termination_grace_seconds: options.termination_grace_seconds.unwrap_or(DEFAULT_TERMINATION_GRACE_SECONDS),
        autoscale,
        storage,
        app,
        image,
        port,
        replicas,
    }
}

/// An explicit `workload` wins; otherwise single-writer storage that several replicas would
/// need becomes a StatefulSet, so each pod gets its own volume.
fn resolve_workload(
    written: Option<&str>,
    storage: Option<&Storage>,
    max_replicas: u32,
    rules: &mut FieldRules<'_>,
) -> Workload {
    match written {
        Some("Deployment") => Workload::Deployment,
        Some("StatefulSet") => Workload::StatefulSet,
        Some(other) => {
            rules.fail("workload", format!("workload {other:?} is not one of Deployment, StatefulSet"));
            Workload::Deployment
        }
        None if storage.is_some_and(Storage::is_single_writer) && max_replicas > 1 => Workload::StatefulSet,
        None => Workload::Deployment,
    }
}

fn resolve_gateway(options: &GatewayOptions, rules: &mut FieldRules<'_>) -> Gateway {
    let parent = rules.required("gateway.parent", &options.parent, String::new());
    let (parent_namespace, parent_name) = match parent.split_once('/') {
        Some((namespace, name)) => (Some(namespace.to_string()), name.to_string()),
        None => (None, parent),
    };
    if parent_name.is_empty() || parent_namespace.as_ref().is_some_and(String::is_empty) {
        rules.fail("gateway.parent", "gateway.parent must be \"name\" or \"namespace/name\"".to_string());
    }
    Gateway {
        controller_namespace: options.controller_namespace.clone().or_else(|| parent_namespace.clone()),
        parent_name,
        parent_namespace,
        hostnames: options.hostnames.clone(),
    }
}

/// Records single-field problems at the field's place.
struct FieldRules<'a> {
    spans: &'a Spans,
    problems: &'a mut Problems,
}

impl FieldRules<'_> {
    fn fail(&mut self, field: &str, message: String) {
        self.problems.push(Problem::at(message, self.spans.get(field)));
    }

    fn required<T: Clone>(&mut self, field: &str, value: &Option<T>, fallback: T) -> T {
        value.clone().unwrap_or_else(|| {
            self.fail(field, format!("{field} is required"));
            fallback
        })
    }

    fn quantity(&mut self, field: &str, value: String) -> String {
        if !is_quantity(&value) {
            self.fail(
                field,
                format!("{field} {value:?} is not a Kubernetes quantity (e.g. \"250m\", \"1\", \"256Mi\")"),
            );
        }
        value
    }
}

/// Limits default to the requests (Guaranteed QoS); a derived limit is not checked again,
/// so one bad request is reported once.
fn resolve_resources(options: ResourceOptions, rules: &mut FieldRules<'_>) -> Resources {
    let cpu = rules.quantity("resources.cpu", options.cpu.unwrap_or_else(|| DEFAULT_CPU.into()));
    let memory = rules.quantity("resources.memory", options.memory.unwrap_or_else(|| DEFAULT_MEMORY.into()));
    Resources {
        cpu_limit: options.cpu_limit.map_or_else(|| cpu.clone(), |l| rules.quantity("resources.cpu_limit", l)),
        memory_limit: options
            .memory_limit
            .map_or_else(|| memory.clone(), |l| rules.quantity("resources.memory_limit", l)),
        cpu,
        memory,
    }
}

fn resolve_autoscale(options: &AutoscaleOptions, rules: &mut FieldRules<'_>) -> Autoscale {
    let min = options.min.unwrap_or(1);
    let max = rules.required("autoscale.max", &options.max, min);
    let cpu_percent = match (options.cpu_percent, options.memory_percent) {
        (None, None) => Some(DEFAULT_CPU_PERCENT),
        (cpu, _) => cpu,
    };
    for (field, value) in [("autoscale.cpu_percent", cpu_percent), ("autoscale.memory_percent", options.memory_percent)]
    {
        if value == Some(0) {
            rules.fail(field, format!("{field} must be at least 1"));
        }
    }
    Autoscale { min, max, cpu_percent, memory_percent: options.memory_percent }
}

fn resolve_ingress(app: &str, options: &IngressOptions, rules: &mut FieldRules<'_>) -> Ingress {
    let path = options.path.clone().unwrap_or_else(|| "/".into());
    if !path.starts_with('/') {
        rules.fail("ingress.path", format!("ingress.path {path:?} must start with '/'"));
    }
    Ingress {
        host: rules.required("ingress.host", &options.host, String::new()),
        tls_secret: options.tls_secret.clone().unwrap_or_else(|| format!("{app}-tls")),
        class_name: options.class_name.clone().unwrap_or_else(|| DEFAULT_INGRESS_CLASS.into()),
        path,
        controller_namespace: options
            .controller_namespace
            .clone()
            .unwrap_or_else(|| DEFAULT_INGRESS_CONTROLLER_NAMESPACE.into()),
    }
}

fn resolve_storage(app: &str, options: &StorageOptions, rules: &mut FieldRules<'_>) -> Storage {
    let size = rules.required("storage.size", &options.size, "1Gi".to_string());
    let access_mode = options.access_mode.clone().unwrap_or_else(|| ACCESS_MODES[0].into());
    if !ACCESS_MODES.contains(&access_mode.as_str()) {
        rules.fail(
            "storage.access_mode",
            format!("storage.access_mode {access_mode:?} is not one of {}", ACCESS_MODES.join(", ")),
        );
    }
    let mount_path = options.mount_path.clone().unwrap_or_else(|| format!("/var/lib/{app}"));
    if !mount_path.starts_with('/') {
        rules.fail("storage.mount_path", format!("storage.mount_path {mount_path:?} must be an absolute path"));
    }
    Storage {
        size: rules.quantity("storage.size", size),
        mount_path,
        storage_class: options.storage_class.clone(),
        access_mode,
    }
}

fn resolve_env(env: &BTreeMap<String, String>, rules: &mut FieldRules<'_>) -> BTreeMap<String, String> {
    for name in env.keys() {
        let valid = !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !valid {
            rules.fail("env", format!("env name {name:?} is not a valid environment variable name"));
        }
    }
    env.clone()
}

/// Whether `value` is a Kubernetes resource quantity: a decimal number followed by a binary
/// (`Ki`…`Ei`) or decimal (`n u m k M G T P E`) suffix or an exponent (`1e3`).
pub fn is_quantity(value: &str) -> bool {
    let unsigned = value.strip_prefix(['+', '-']).unwrap_or(value);
    let number_end = unsigned.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(unsigned.len());
    let (number, suffix) = unsigned.split_at(number_end);
    let digits = number.replace('.', "");
    if digits.is_empty() || number.matches('.').count() > 1 {
        return false;
    }
    const SUFFIXES: [&str; 16] = ["", "n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
    if SUFFIXES.contains(&suffix) {
        return true;
    }
    let exponent = suffix.strip_prefix(['e', 'E']).map(|e| e.strip_prefix(['+', '-']).unwrap_or(e));
    exponent.is_some_and(|e| !e.is_empty() && e.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        for good in ["250m", "1", "0.5", "256Mi", "1Gi", "1e3", "+1", "100n"] {
            assert!(is_quantity(good), "{good}");
        }
        for bad in ["250mm", "", "Mi", "1.2.3", "1 Gi", "1GB", "e3", "1e"] {
            assert!(!is_quantity(bad), "{bad}");
        }
    }

    #[test]
    fn defaults_for_an_unannotated_service() {
        let mut problems = Problems::default();
        let deploy = resolve_deploy("RouteGuide", &ServiceOptions::default(), &Spans::default(), &mut problems);
        problems.finish(()).unwrap();
        assert_eq!(deploy.app, "route-guide");
        assert_eq!(deploy.port, DEFAULT_PORT);
        assert_eq!(deploy.image, "route-guide:latest");
        assert_eq!(deploy.resources.cpu_limit, DEFAULT_CPU);
        assert_eq!(deploy.autoscale, None);
    }

    #[test]
    fn every_single_field_problem_is_reported() {
        let options = ServiceOptions {
            port: Some(70000),
            resources: Some(ResourceOptions { cpu: Some("250mm".into()), ..Default::default() }),
            ingress: Some(IngressOptions::default()),
            ..Default::default()
        };
        let mut problems = Problems::default();
        resolve_deploy("Greeter", &options, &Spans::default(), &mut problems);
        let error = problems.finish(()).unwrap_err();
        let messages: Vec<_> = error.problems().iter().map(|p| p.message()).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(messages[0].contains("port 70000"));
        assert!(messages[1].contains("resources.cpu \"250mm\""));
        assert!(messages[2].contains("ingress.host is required"));
    }
}
