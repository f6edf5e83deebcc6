//! The annotation vocabulary (`kuberpc/v1/options.proto`) as Rust values, and the ONE place
//! where written options become the model: [`resolve_deploy`] for a service, [`resolve_method`]
//! for each of its methods.
//!
//! The prost types behind [`ServiceOptions`] / [`MethodOptions`] (`kuberpc.v1.rs`) are
//! generated from options.proto and committed, with the field tables and option paths of
//! [`crate::schema`] (the tests in `generated_tests` fail when any is stale; `KUBERPC_BLESS=1`
//! rewrites them). Front ends only fill the typed options (what the user wrote, nothing more);
//! the resolvers apply the defaults ([`kuberpc_spec::defaults`], and `DEFAULT` beside the
//! spec's types) and the single-field rules (ranges, quantities, required fields). Cross-field
//! rules live in [`crate::model_rules`].

use std::collections::BTreeMap;

use heck::ToKebabCase;
use kuberpc_spec::defaults;

use crate::error::{Problem, Problems, Spans};
use crate::model::{
    method_path, Autoscale, Call, ClientPolicy, ContainerBuild, Deploy, Gateway, Ingress, Issuer, Lifecycle,
    MethodPolicy, MutualTls, Observability, Resources, Scheduling, SecretVolume, Slo, Storage, Toleration, Workload,
};

/// The source text of the vocabulary, resolvable as `kuberpc/v1/options.proto` without any
/// include path.
#[cfg(feature = "build")]
pub(crate) const OPTIONS_PROTO: &str = include_str!("../../proto/kuberpc/v1/options.proto");
/// The import path of the vocabulary.
#[cfg(feature = "build")]
pub(crate) const OPTIONS_PROTO_NAME: &str = "kuberpc/v1/options.proto";

/// The vocabulary as written beside an emitted `.proto`, so that the emitted tree compiles
/// with any protobuf toolchain (`protoc -I proto …`) without kuberpc: the generated header,
/// then [`OPTIONS_PROTO`] unchanged.
#[cfg(feature = "build")]
pub(crate) fn vocabulary_file() -> String {
    format!("{}\n{OPTIONS_PROTO}", crate::header::note("//", "its annotation vocabulary"))
}

/// "`port` expects an integer, found a string": how both front ends word a value of the
/// wrong type for an option at the dotted `path`.
pub(crate) fn type_mistake(path: &str, expected: &str, found: &str) -> String {
    format!("`{path}` expects {expected}, found {found}")
}

const ACCESS_MODES: [&str; 4] = ["ReadWriteOnce", "ReadWriteMany", "ReadOnlyMany", "ReadWriteOncePod"];

/// The vocabulary's messages as prost types, generated from `options.proto` (by the test
/// `options::generated_tests::the_vocabulary_types_are_generated_from_options_proto`, which fails when
/// this file is stale and rewrites it with `KUBERPC_BLESS=1`). Every field is optional, as
/// written; the defaults are applied by [`resolve_deploy`].
#[allow(missing_docs, clippy::all)]
mod written {
    include!("kuberpc.v1.rs");
}

mod environments;
mod image;
#[cfg(feature = "build")]
pub(crate) mod literal;
mod slo;

mod values;

pub(crate) use slo::ServiceContext;

use crate::schema::{path, OptionPath};

/// `(kuberpc.v1.service)` as written.
pub(crate) type ServiceOptions = written::ServiceDeployment;
/// `(kuberpc.v1.method)` as written.
pub(crate) type MethodOptions = written::MethodBehaviour;
/// `slo { … }` as written (of a service or a method).
pub(crate) type SloOptions = written::Slo;
/// `resources { … }` as written.
pub(crate) type ResourceOptions = written::Resources;
/// `autoscale { … }` as written.
pub(crate) type AutoscaleOptions = written::Autoscale;
/// `ingress { … }` as written.
pub(crate) type IngressOptions = written::Ingress;
/// `storage { … }` as written.
pub(crate) type StorageOptions = written::Storage;
/// `gateway { … }` as written.
pub(crate) type GatewayOptions = written::Gateway;
/// `scheduling { … }` as written.
pub(crate) type SchedulingOptions = written::Scheduling;
/// `client { … }` as written.
pub(crate) type ClientOptions = written::ClientPolicy;
/// One `calls { … }` as written.
pub(crate) type CallOptions = written::Call;
/// `observability { … }` as written.
pub(crate) type ObservabilityOptions = written::Observability;
/// `container { … }` as written.
pub(crate) type ContainerOptions = written::ContainerBuild;
/// One `secret_volumes { … }` as written.
pub(crate) type SecretVolumeOptions = written::SecretVolume;
/// One `environments { … }` as written.
pub(crate) type EnvironmentOptions = written::Environment;
/// `mtls { … }` as written.
pub(crate) type MutualTlsOptions = written::MutualTls;
/// `mtls.issuer { … }` as written.
pub(crate) type IssuerOptions = written::Issuer;

/// Applies defaults and single-field rules. `service_name` is the name as declared
/// (`RouteGuide`); problems are located through `spans`.
pub fn resolve_deploy(service_name: &str, options: &ServiceOptions, spans: &Spans, problems: &mut Problems) -> Deploy {
    values::plain_strings(options, spans, problems);
    let mut rules = FieldRules { spans, problems, element: None };
    let app = options.name.clone().unwrap_or_else(|| service_name.to_kebab_case());
    let written_port = options.port.unwrap_or(u32::from(defaults::PORT));
    let port = u16::try_from(written_port).ok().filter(|p| *p != 0).unwrap_or_else(|| {
        rules.fail(path::PORT, format!("port {written_port} is out of range: it must be between 1 and 65535"));
        defaults::PORT
    });
    let replicas = options.replicas.unwrap_or(defaults::REPLICAS);
    if replicas == 0 {
        rules.fail(path::REPLICAS, "replicas must be at least 1 (an overlay may scale to 0)".to_string());
    }
    rules.int32(path::REPLICAS, replicas);
    let image = options.image.clone().unwrap_or_else(|| format!("{app}:latest"));
    if let Some(problem) = image::reference_problem(&image) {
        rules.fail(path::IMAGE, format!("image {image:?} is not an image reference: {problem}"));
    }
    let autoscale = options.autoscale.as_ref().map(|a| resolve_autoscale(a, &mut rules));
    let storage = options.storage.as_ref().map(|s| resolve_storage(&app, s, &mut rules));
    let max_replicas = autoscale.as_ref().map_or(replicas, |a| a.max);
    let mut deploy = Deploy {
        resources: resolve_resources(options.resources.clone().unwrap_or_default(), &mut rules),
        ingress: options.ingress.as_ref().map(|i| resolve_ingress(&app, i, &mut rules)),
        gateway: options.gateway.as_ref().map(|g| resolve_gateway(g, &mut rules)),
        env: resolve_env(&options.env, &mut rules),
        workload: resolve_workload(options.workload.as_deref(), storage.as_ref(), max_replicas, &mut rules),
        lifecycle: Lifecycle {
            drain_seconds: options.drain_seconds.unwrap_or(Lifecycle::DEFAULT.drain_seconds),
            termination_grace_seconds: options
                .termination_grace_seconds
                .unwrap_or(Lifecycle::DEFAULT.termination_grace_seconds),
        },
        args: options.args.clone(),
        pod_annotations: resolve_pod_annotations(&options.pod_annotations, &mut rules),
        scheduling: resolve_scheduling(options.scheduling.clone().unwrap_or_default(), &mut rules),
        environments: Vec::new(),
        secret_env: resolve_secret_env(&options.secret_env, &mut rules),
        secret_volumes: Vec::new(),
        client: resolve_client(options.client.unwrap_or_default(), &mut rules),
        container: resolve_container(options.container.clone().unwrap_or_default(), &mut rules),
        observability: resolve_observability(options.observability.clone().unwrap_or_default(), port, &mut rules),
        mtls: None,
        web: None,
        reflection: options.reflection.unwrap_or(defaults::REFLECTION),
        calls: resolve_calls(&options.calls, &mut rules),
        forbid_call_cycles: options.forbid_call_cycles.unwrap_or(false),
        callers: Vec::new(),
        autoscale,
        storage,
        app,
        image,
        port,
        replicas,
    };
    deploy.secret_volumes = resolve_secret_volumes(&options.secret_volumes, &deploy, &mut rules);
    deploy.web = options
        .web
        .as_ref()
        .map(|web| kuberpc_spec::Web { origins: resolve_origins(path::WEB_ORIGINS, &web.origins, &mut rules) });
    deploy.environments = environments::resolve_environments(&options.environments, &deploy, &mut rules);
    let metrics_port = deploy.observability.metrics_port;
    deploy.mtls = options.mtls.as_ref().map(|m| resolve_mtls(m, deploy.port, metrics_port, &mut rules));
    if let Some(objectives) = &options.slo {
        slo::check_service(objectives, metrics_port.is_some(), &mut rules);
    }
    deploy
}

/// The call policy and objectives of the RPC `method` of `service`, from its
/// `(kuberpc.v1.method)` as written (at `spans`) and its streaming kind: what both front ends
/// give a method.
pub(crate) fn resolve_method(
    service: &ServiceContext<'_>,
    method: &str,
    written: &MethodOptions,
    (client_streaming, server_streaming): (bool, bool),
    spans: &Spans,
    problems: &mut Problems,
) -> (MethodPolicy<String>, Option<Slo>) {
    let mut policy = MethodPolicy {
        path: method_path(service.full_name, method),
        timeout_ms: written.timeout_ms,
        idempotent: written.idempotent.unwrap_or(false),
        client_streaming,
        server_streaming,
        hedge_delay_ms: written.hedge_delay_ms,
        latency_objective_ms: None,
    };
    FieldRules { spans, problems: &mut *problems, element: None }.at_least_one(path::TIMEOUT_MS, written.timeout_ms);
    let slo = slo::resolve(service, written, &policy, spans, problems);
    policy.latency_objective_ms = slo.and_then(|s| s.latency).map(|l| l.threshold_ms);
    (policy, slo)
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
            rules.fail(path::WORKLOAD, format!("workload {other:?} is not one of Deployment, StatefulSet"));
            Workload::Deployment
        }
        None if storage.is_some_and(Storage::is_single_writer) && max_replicas > 1 => Workload::StatefulSet,
        None => Workload::Deployment,
    }
}

fn resolve_gateway(options: &GatewayOptions, rules: &mut FieldRules<'_>) -> Gateway {
    let parent = rules.required(path::GATEWAY_PARENT, &options.parent, String::new());
    let (parent_namespace, parent_name) = match parent.split_once('/') {
        Some((namespace, name)) => (Some(namespace.to_string()), name.to_string()),
        None => (None, parent),
    };
    if parent_name.is_empty() || parent_namespace.as_ref().is_some_and(String::is_empty) {
        rules.fail(path::GATEWAY_PARENT, "gateway.parent must be \"name\" or \"namespace/name\"".to_string());
    } else if !is_dns_subdomain(&parent_name) || parent_namespace.as_deref().is_some_and(|n| !is_dns_label(n)) {
        let message =
            format!("gateway.parent {parent_name:?} is not \"name\" or \"namespace/name\" of Kubernetes names");
        rules.fail(path::GATEWAY_PARENT, message);
    }
    for host in &options.hostnames {
        if let Some(problem) = values::host_problem(host) {
            rules.fail(path::GATEWAY_HOSTNAMES, format!("gateway.hostnames {host:?} {problem}"));
        }
    }
    if let Some(namespace) = options.controller_namespace.as_deref().filter(|n| !is_dns_label(n)) {
        let message = format!("gateway.controller_namespace {namespace:?} is not a namespace name (a DNS-1123 label)");
        rules.fail(path::GATEWAY_CONTROLLER_NAMESPACE, message);
    }
    Gateway {
        controller_namespace: options.controller_namespace.clone().or_else(|| parent_namespace.clone()),
        parent_name,
        parent_namespace,
        hostnames: options.hostnames.clone(),
    }
}

/// Records single-field problems at the field's place: in the service's options, or in
/// element `index` of a repeated group (`environments[1].name`).
struct FieldRules<'a> {
    spans: &'a Spans,
    problems: &'a mut Problems,
    element: Option<(OptionPath, usize)>,
}

impl FieldRules<'_> {
    /// The same rules, reporting inside element `index` of the repeated group `list`.
    fn element(&mut self, list: OptionPath, index: usize) -> FieldRules<'_> {
        FieldRules { spans: self.spans, problems: &mut *self.problems, element: Some((list, index)) }
    }

    fn fail(&mut self, field: OptionPath, message: String) {
        let span = match self.element {
            Some((list, index)) => self.spans.get_element(list, index, field),
            None => self.spans.get(field),
        };
        self.problems.push(Problem::at(message, span));
    }

    /// Zero, written or defaulted, where it would mean "never" or "nothing".
    fn at_least_one(&mut self, field: OptionPath, value: Option<u64>) {
        if value == Some(0) {
            self.fail(field, format!("{field} must be at least 1"));
        }
    }

    fn required<T: Clone>(&mut self, field: OptionPath, value: &Option<T>, fallback: T) -> T {
        value.clone().unwrap_or_else(|| {
            self.fail(field, format!("{field} is required"));
            fallback
        })
    }

    /// A non-negative Kubernetes quantity.
    fn quantity(&mut self, field: OptionPath, value: String) -> String {
        if !is_quantity(&value) {
            self.fail(
                field,
                format!("{field} {value:?} is not a Kubernetes quantity (e.g. \"250m\", \"1\", \"256Mi\")"),
            );
        } else if value.starts_with('-') {
            self.fail(field, format!("{field} {value:?} is negative"));
        }
        value
    }

    /// A count that Kubernetes holds in an int32 (replicas, utilization percentages).
    fn int32(&mut self, field: OptionPath, value: u32) {
        if i32::try_from(value).is_err() {
            self.fail(
                field,
                format!("{field} {value} is out of range: Kubernetes holds it in an int32 (at most {})", i32::MAX),
            );
        }
    }

    /// A limit below its request: the API server refuses the pod.
    fn limit_not_below_request(&mut self, field: OptionPath, request: &str, limit: &str) {
        if let (Some(request_value), Some(limit_value)) =
            (values::quantity_value(request), values::quantity_value(limit))
        {
            if limit_value < request_value {
                self.fail(field, format!("{field} {limit:?} is below its request {request:?}"));
            }
        }
    }
}

/// Limits default to the requests (Guaranteed QoS); a derived limit is not checked again,
/// so one bad request is reported once.
fn resolve_resources(options: ResourceOptions, rules: &mut FieldRules<'_>) -> Resources {
    let cpu = rules.quantity(path::RESOURCES_CPU, options.cpu.unwrap_or_else(|| defaults::CPU.into()));
    let memory = rules.quantity(path::RESOURCES_MEMORY, options.memory.unwrap_or_else(|| defaults::MEMORY.into()));
    let resources = Resources {
        cpu_limit: options.cpu_limit.map_or_else(|| cpu.clone(), |l| rules.quantity(path::RESOURCES_CPU_LIMIT, l)),
        memory_limit: options
            .memory_limit
            .map_or_else(|| memory.clone(), |l| rules.quantity(path::RESOURCES_MEMORY_LIMIT, l)),
        cpu,
        memory,
    };
    rules.limit_not_below_request(path::RESOURCES_CPU_LIMIT, &resources.cpu, &resources.cpu_limit);
    rules.limit_not_below_request(path::RESOURCES_MEMORY_LIMIT, &resources.memory, &resources.memory_limit);
    resources
}

fn resolve_autoscale(options: &AutoscaleOptions, rules: &mut FieldRules<'_>) -> Autoscale {
    let min = options.min.unwrap_or(defaults::AUTOSCALE_MIN);
    let max = rules.required(path::AUTOSCALE_MAX, &options.max, min);
    rules.int32(path::AUTOSCALE_MIN, min);
    rules.int32(path::AUTOSCALE_MAX, max);
    for (field, percent) in
        [(path::AUTOSCALE_CPU_PERCENT, options.cpu_percent), (path::AUTOSCALE_MEMORY_PERCENT, options.memory_percent)]
    {
        rules.int32(field, percent.unwrap_or_default());
    }
    let cpu_percent = match (options.cpu_percent, options.memory_percent) {
        (None, None) => Some(defaults::AUTOSCALE_CPU_PERCENT),
        (cpu, _) => cpu,
    };
    rules.at_least_one(path::AUTOSCALE_CPU_PERCENT, cpu_percent.map(u64::from));
    rules.at_least_one(path::AUTOSCALE_MEMORY_PERCENT, options.memory_percent.map(u64::from));
    Autoscale { min, max, cpu_percent, memory_percent: options.memory_percent }
}

fn resolve_ingress(app: &str, options: &IngressOptions, rules: &mut FieldRules<'_>) -> Ingress {
    let path = options.path.clone().unwrap_or_else(|| defaults::INGRESS_PATH.into());
    if !path.starts_with('/') || path.contains(char::is_whitespace) {
        rules.fail(path::INGRESS_PATH, format!("ingress.path {path:?} must start with '/' and hold no spaces"));
    }
    if let Some(problem) = options.host.as_deref().and_then(values::host_problem) {
        rules.fail(
            path::INGRESS_HOST,
            format!("ingress.host {:?} {problem}", options.host.as_deref().unwrap_or_default()),
        );
    }
    for (field, name) in
        [(path::INGRESS_TLS_SECRET, &options.tls_secret), (path::INGRESS_CLASS_NAME, &options.class_name)]
    {
        if let Some(name) = name.as_deref().filter(|name| !is_dns_subdomain(name)) {
            rules.fail(field, format!("{field} {name:?} is not a Kubernetes object name (a DNS-1123 subdomain)"));
        }
    }
    if let Some(namespace) = options.controller_namespace.as_deref().filter(|n| !is_dns_label(n)) {
        let message = format!("ingress.controller_namespace {namespace:?} is not a namespace name (a DNS-1123 label)");
        rules.fail(path::INGRESS_CONTROLLER_NAMESPACE, message);
    }
    Ingress {
        host: rules.required(path::INGRESS_HOST, &options.host, String::new()),
        tls_secret: options.tls_secret.clone().unwrap_or_else(|| format!("{app}-tls")),
        class_name: options.class_name.clone().unwrap_or_else(|| defaults::INGRESS_CLASS_NAME.into()),
        path,
        controller_namespace: options
            .controller_namespace
            .clone()
            .unwrap_or_else(|| defaults::INGRESS_CONTROLLER_NAMESPACE.into()),
    }
}

fn resolve_storage(app: &str, options: &StorageOptions, rules: &mut FieldRules<'_>) -> Storage {
    let size = rules.required(path::STORAGE_SIZE, &options.size, "1Gi".to_string());
    let access_mode = options.access_mode.clone().unwrap_or_else(|| defaults::STORAGE_ACCESS_MODE.into());
    if !ACCESS_MODES.contains(&access_mode.as_str()) {
        rules.fail(
            path::STORAGE_ACCESS_MODE,
            format!("storage.access_mode {access_mode:?} is not one of {}", ACCESS_MODES.join(", ")),
        );
    }
    if access_mode == "ReadWriteMany" && options.storage_class.is_none() {
        rules.fail(
            path::STORAGE_ACCESS_MODE,
            "storage.access_mode ReadWriteMany needs a storage_class that provides it: most default classes \
             are ReadWriteOnce only, and the claim would stay Pending"
                .to_string(),
        );
    }
    let mount_path = options.mount_path.clone().unwrap_or_else(|| format!("/var/lib/{app}"));
    if let Some(problem) = values::mount_path_problem(&mount_path) {
        rules.fail(path::STORAGE_MOUNT_PATH, format!("storage.mount_path {mount_path:?} {problem}"));
    }
    if let Some(class) = options.storage_class.as_deref().filter(|class| !is_dns_subdomain(class)) {
        let message = format!("storage.storage_class {class:?} is not a StorageClass name (a DNS-1123 subdomain)");
        rules.fail(path::STORAGE_STORAGE_CLASS, message);
    }
    if values::quantity_value(&size).is_some_and(|bytes| bytes <= 0.0) {
        rules.fail(path::STORAGE_SIZE, format!("storage.size {size:?} claims no space"));
    }
    Storage {
        size: rules.quantity(path::STORAGE_SIZE, size),
        mount_path,
        storage_class: options.storage_class.clone(),
        access_mode,
    }
}

fn resolve_pod_annotations(
    annotations: &BTreeMap<String, String>,
    rules: &mut FieldRules<'_>,
) -> BTreeMap<String, String> {
    for key in annotations.keys().filter(|key| !is_qualified_name(key)) {
        rules.fail(path::POD_ANNOTATIONS, format!("pod_annotations key {key:?} is not a Kubernetes qualified name"));
    }
    annotations.clone()
}

fn resolve_scheduling(options: SchedulingOptions, rules: &mut FieldRules<'_>) -> Scheduling {
    if let Some(class) = options.priority_class.as_ref().filter(|class| !is_dns_subdomain(class)) {
        rules.fail(
            path::SCHEDULING_PRIORITY_CLASS,
            format!("scheduling.priority_class {class:?} is not a DNS-1123 subdomain"),
        );
    }
    for (label, value) in &options.node_selector {
        if !is_qualified_name(label) || !is_label_value(value) {
            rules.fail(
                path::SCHEDULING_NODE_SELECTOR,
                format!("scheduling.node_selector {label:?}: {value:?} is not a Kubernetes label"),
            );
        }
    }
    let tolerations = options.tolerations.iter().filter_map(|written| {
        let toleration = toleration(written);
        if let Err(reason) = &toleration {
            rules.fail(path::SCHEDULING_TOLERATIONS, format!("scheduling.tolerations {written:?}: {reason}"));
        }
        toleration.ok()
    });
    Scheduling {
        tolerations: tolerations.collect(),
        priority_class: options.priority_class,
        node_selector: options.node_selector,
    }
}

/// A toleration in `kubectl taint` syntax: `key[=value][:Effect]`.
fn toleration(written: &str) -> Result<Toleration, String> {
    let (taint, effect) = match written.rsplit_once(':') {
        Some((taint, effect)) => (taint, Some(effect)),
        None => (written, None),
    };
    if let Some(effect) = effect.filter(|effect| !TAINT_EFFECTS.contains(effect)) {
        return Err(format!("effect {effect:?} is not one of {}", TAINT_EFFECTS.join(", ")));
    }
    let (key, value) = match taint.split_once('=') {
        Some((key, value)) => (key, Some(value)),
        None => (taint, None),
    };
    if !is_qualified_name(key) {
        return Err(format!("key {key:?} is not a Kubernetes qualified name (write `key=value:Effect`)"));
    }
    if value.is_some_and(|value| !is_label_value(value)) {
        return Err(format!("value {:?} is not a Kubernetes label value", value.unwrap_or_default()));
    }
    Ok(Toleration {
        key: key.to_string(),
        operator: if value.is_some() { "Equal" } else { "Exists" },
        value: value.map(str::to_string),
        effect: effect.map(str::to_string),
    })
}

const TAINT_EFFECTS: [&str; 3] = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

/// A label value: at most 63 characters, alphanumerics with `-`, `_`, `.` inside; may be empty.
fn is_label_value(value: &str) -> bool {
    let inner = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    value.is_empty()
        || (value.len() <= 63
            && value.starts_with(|c: char| c.is_ascii_alphanumeric())
            && value.ends_with(|c: char| c.is_ascii_alphanumeric())
            && value.chars().all(inner))
}

/// A qualified name (label, annotation or taint key): `name` or `prefix/name`, the prefix a
/// DNS-1123 subdomain and the name a non-empty label value.
fn is_qualified_name(key: &str) -> bool {
    let (prefix, name) = key.rsplit_once('/').map_or((None, key), |(prefix, name)| (Some(prefix), name));
    !name.is_empty() && is_label_value(name) && prefix.is_none_or(is_dns_subdomain)
}

/// A DNS-1123 subdomain: lower-case alphanumerics, `-` and `.`, at most 253 characters.
fn is_dns_subdomain(name: &str) -> bool {
    name.len() <= 253 && name.split('.').all(crate::model_rules::has_dns_label_characters)
}

/// A DNS-1123 label (a namespace name): at most 63 characters.
fn is_dns_label(name: &str) -> bool {
    name.len() <= crate::model_rules::MAX_NAME_LEN && crate::model_rules::has_dns_label_characters(name)
}

/// Zero would mean "never" for a deadline and "always" for a ping: both are mistakes.
fn resolve_client(options: ClientOptions, rules: &mut FieldRules<'_>) -> ClientPolicy {
    let default = ClientPolicy::DEFAULT;
    let policy = ClientPolicy {
        default_timeout_ms: options.default_timeout_ms.unwrap_or(default.default_timeout_ms),
        keepalive_interval_ms: options.keepalive_interval_ms.unwrap_or(default.keepalive_interval_ms),
        keepalive_timeout_ms: options.keepalive_timeout_ms.unwrap_or(default.keepalive_timeout_ms),
        connect_timeout_ms: options.connect_timeout_ms.unwrap_or(default.connect_timeout_ms),
        eject_after_failures: options.eject_after_failures.unwrap_or(default.eject_after_failures),
        base_ejection_ms: options.base_ejection_ms.unwrap_or(default.base_ejection_ms),
        max_ejection_percent: options.max_ejection_percent.unwrap_or(default.max_ejection_percent),
        max_concurrent_requests: options.max_concurrent_requests.unwrap_or(default.max_concurrent_requests),
        retry_budget_percent: options.retry_budget_percent.unwrap_or(default.retry_budget_percent),
        min_retries_per_second: options.min_retries_per_second.unwrap_or(default.min_retries_per_second),
    };
    rules.at_least_one(path::CLIENT_DEFAULT_TIMEOUT_MS, Some(policy.default_timeout_ms));
    rules.at_least_one(path::CLIENT_KEEPALIVE_INTERVAL_MS, Some(u64::from(policy.keepalive_interval_ms)));
    rules.at_least_one(path::CLIENT_KEEPALIVE_TIMEOUT_MS, Some(u64::from(policy.keepalive_timeout_ms)));
    rules.at_least_one(path::CLIENT_CONNECT_TIMEOUT_MS, Some(u64::from(policy.connect_timeout_ms)));
    rules.at_least_one(path::CLIENT_BASE_EJECTION_MS, Some(u64::from(policy.base_ejection_ms)));
    for (field, percent) in [
        (path::CLIENT_MAX_EJECTION_PERCENT, policy.max_ejection_percent),
        (path::CLIENT_RETRY_BUDGET_PERCENT, policy.retry_budget_percent),
    ] {
        if percent > 100 {
            rules.fail(field, format!("{field} is a percentage: at most 100, not {percent}"));
        }
    }
    policy
}

/// The metrics port is a port other than the gRPC one (0: off); the namespace a DNS label;
/// the collector an http(s) URL with a port; the sample ratio within 0 to 1; a ServiceMonitor
/// needs the metrics port.
fn resolve_observability(options: ObservabilityOptions, grpc_port: u16, rules: &mut FieldRules<'_>) -> Observability {
    let metrics_port = resolve_metrics_port(options.metrics_port, grpc_port, rules);
    let monitoring_namespace =
        options.monitoring_namespace.unwrap_or_else(|| defaults::OBSERVABILITY_MONITORING_NAMESPACE.to_string());
    if !is_dns_label(&monitoring_namespace) {
        rules.fail(
            path::OBSERVABILITY_MONITORING_NAMESPACE,
            format!("monitoring_namespace {monitoring_namespace:?} is not a namespace name (a DNS-1123 label)"),
        );
    }
    if let Some(problem) = options.otlp_endpoint.as_deref().and_then(otlp_endpoint_problem) {
        rules.fail(path::OBSERVABILITY_OTLP_ENDPOINT, problem);
    }
    let sample_ratio = options.sample_ratio.map(|ratio| {
        if !(0.0..=1.0).contains(&ratio) {
            let message = format!("sample_ratio {ratio} is not a share of traces: it must be between 0 and 1");
            rules.fail(path::OBSERVABILITY_SAMPLE_RATIO, message);
        }
        ratio.to_string()
    });
    let service_monitor = options.service_monitor.unwrap_or(false);
    if service_monitor && metrics_port.is_none() {
        let message = "service_monitor needs the metrics: metrics_port is 0".to_string();
        rules.fail(path::OBSERVABILITY_SERVICE_MONITOR, message);
    }
    let otlp_endpoint = options.otlp_endpoint;
    Observability { metrics_port, monitoring_namespace, otlp_endpoint, sample_ratio, service_monitor }
}

/// Why `endpoint` cannot be an OTLP/gRPC collector URL, if it cannot: the exporter needs the
/// scheme, and without a port it would call port 80 rather than OTLP's 4317.
fn otlp_endpoint_problem(endpoint: &str) -> Option<String> {
    let why = |reason: &str| Some(format!("otlp_endpoint {endpoint:?} {reason}"));
    let Some(rest) = endpoint.strip_prefix("http://").or_else(|| endpoint.strip_prefix("https://")) else {
        return why("must start with http:// or https://");
    };
    let authority = rest.split('/').next().unwrap_or_default();
    let Some((host, port)) = authority.rsplit_once(':') else {
        return why("names no port: write the collector's OTLP/gRPC port, usually 4317");
    };
    if host.is_empty() || host.contains(char::is_whitespace) {
        return why("names no host");
    }
    match port.parse::<u16>() {
        Ok(port) if port > 0 => None,
        _ => why(&format!("has no valid port: {port:?}")),
    }
}

/// 0 turns the metrics off; otherwise a port of its own.
fn resolve_metrics_port(written: Option<u32>, grpc_port: u16, rules: &mut FieldRules<'_>) -> Option<u16> {
    let written = written.unwrap_or(defaults::OBSERVABILITY_METRICS_PORT);
    match u16::try_from(written) {
        Ok(0) => None,
        Ok(port) if port == grpc_port => {
            rules.fail(
                path::OBSERVABILITY_METRICS_PORT,
                format!("metrics_port {port} is the gRPC port: the metrics need a port of their own"),
            );
            None
        }
        Ok(port) => Some(port),
        Err(_) => {
            rules.fail(
                path::OBSERVABILITY_METRICS_PORT,
                format!("metrics_port {written} is out of range: it must be between 1 and 65535, or 0 for no metrics"),
            );
            None
        }
    }
}

/// The binary is a cargo target name; the toolchain a Rust version; both images references.
fn resolve_container(options: ContainerOptions, rules: &mut FieldRules<'_>) -> ContainerBuild {
    let binary = options.binary.unwrap_or_else(|| defaults::CONTAINER_BINARY.to_string());
    let is_cargo_name =
        |name: &str| !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !is_cargo_name(&binary) {
        rules.fail(path::CONTAINER_BINARY, format!("container.binary {binary:?} is not a cargo target name"));
    }
    if let Some(package) = options.package.as_ref().filter(|p| !is_cargo_name(p)) {
        rules.fail(path::CONTAINER_PACKAGE, format!("container.package {package:?} is not a cargo package name"));
    }
    let rust_version = options.rust_version.unwrap_or_else(|| defaults::CONTAINER_RUST_VERSION.to_string());
    let parts: Vec<&str> = rust_version.split('.').collect();
    if parts.len() > 3 || !parts.iter().all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit())) {
        rules.fail(
            path::CONTAINER_RUST_VERSION,
            format!("container.rust_version {rust_version:?} is not 1, 1.88 or 1.88.0"),
        );
    }
    let builder_image = options.builder_image.unwrap_or_else(|| format!("rust:{rust_version}-bookworm"));
    let runtime_image = options.runtime_image.unwrap_or_else(|| defaults::CONTAINER_RUNTIME_IMAGE.to_string());
    for (field, image) in
        [(path::CONTAINER_BUILDER_IMAGE, &builder_image), (path::CONTAINER_RUNTIME_IMAGE, &runtime_image)]
    {
        if let Some(problem) = image::reference_problem(image) {
            rules.fail(field, format!("{field} {image:?} is not an image reference: {problem}"));
        }
    }
    ContainerBuild { binary, rust_version, builder_image, runtime_image, package: options.package }
}

/// The trust domain a DNS name (it is the authority of every SPIFFE ID), the issuer a
/// cert-manager issuer by Kubernetes names, the health port a port of its own (the kubelet's
/// probes ask it in plaintext), a certificate valid for 1 hour to a year.
fn resolve_mtls(
    options: &MutualTlsOptions,
    grpc_port: u16,
    metrics_port: Option<u16>,
    rules: &mut FieldRules<'_>,
) -> MutualTls {
    let trust_domain = options.trust_domain.clone().unwrap_or_else(|| defaults::MTLS_TRUST_DOMAIN.to_string());
    if let Some(problem) = trust_domain_problem(&trust_domain) {
        rules.fail(path::MTLS_TRUST_DOMAIN, format!("mtls.trust_domain {trust_domain:?} {problem}"));
    }
    let issuer = resolve_issuer(options.issuer.clone().unwrap_or_default(), rules);
    let written_port = options.health_port.unwrap_or(u32::from(defaults::MTLS_HEALTH_PORT));
    let health_port = match u16::try_from(written_port) {
        Ok(0) | Err(_) => {
            let message = format!("mtls.health_port {written_port} is out of range: it must be between 1 and 65535");
            rules.fail(path::MTLS_HEALTH_PORT, message);
            defaults::MTLS_HEALTH_PORT
        }
        Ok(port) if port == grpc_port => {
            let message = format!(
                "mtls.health_port {port} is the gRPC port: the probes' plaintext health needs a port of its own"
            );
            rules.fail(path::MTLS_HEALTH_PORT, message);
            port
        }
        Ok(port) if Some(port) == metrics_port => {
            let message = format!(
                "mtls.health_port {port} is the metrics port (observability.metrics_port): health needs a port of its own"
            );
            rules.fail(path::MTLS_HEALTH_PORT, message);
            port
        }
        Ok(port) => port,
    };
    let certificate_hours = options.certificate_hours.unwrap_or(defaults::MTLS_CERTIFICATE_HOURS);
    if !(1..=MAX_CERTIFICATE_HOURS).contains(&certificate_hours) {
        let message = format!(
            "mtls.certificate_hours {certificate_hours} is out of range: at least 1, at most {MAX_CERTIFICATE_HOURS} (a year)"
        );
        rules.fail(path::MTLS_CERTIFICATE_HOURS, message);
    }
    MutualTls { trust_domain, issuer, health_port, certificate_hours }
}

/// The longest a certificate may be valid: a year (cert-manager renews it at a third left).
const MAX_CERTIFICATE_HOURS: u32 = 24 * 365;

/// Why `trust_domain` cannot be a SPIFFE trust domain, if it cannot: it is the authority of
/// every SPIFFE ID (`spiffe://<trust domain>/ns/…`), so a scheme, a path or a port would make
/// every identity another one.
fn trust_domain_problem(trust_domain: &str) -> Option<&'static str> {
    if trust_domain.contains("://") {
        Some("has a scheme: write the domain alone (\"cluster.local\"), kuberpc writes `spiffe://`")
    } else if trust_domain.contains('/') {
        Some("has a path: a trust domain is a DNS name (\"cluster.local\"), the path of an identity is kuberpc's")
    } else if trust_domain.contains(':') {
        Some("has a port: a trust domain is a DNS name (\"cluster.local\")")
    } else if !is_dns_subdomain(trust_domain) || trust_domain.split('.').any(|label| label.len() > 63) {
        Some("is not a DNS name (lower-case letters, digits, '-' and '.')")
    } else {
        None
    }
}

const ISSUER_KINDS: [&str; 2] = ["ClusterIssuer", "Issuer"];

/// A cert-manager `issuerRef`: a known kind, Kubernetes names for the name and group.
fn resolve_issuer(options: IssuerOptions, rules: &mut FieldRules<'_>) -> Issuer {
    let kind = options.kind.unwrap_or_else(|| defaults::MTLS_ISSUER_KIND.to_string());
    if !ISSUER_KINDS.contains(&kind.as_str()) {
        let message = format!("mtls.issuer.kind {kind:?} is not one of {}", ISSUER_KINDS.join(", "));
        rules.fail(path::MTLS_ISSUER_KIND, message);
    }
    let name = options.name.unwrap_or_else(|| defaults::MTLS_ISSUER_NAME.to_string());
    if !is_dns_subdomain(&name) {
        let message = format!("mtls.issuer.name {name:?} is not an issuer name (a DNS-1123 subdomain)");
        rules.fail(path::MTLS_ISSUER_NAME, message);
    }
    let group = options.group.unwrap_or_else(|| defaults::MTLS_ISSUER_GROUP.to_string());
    if !is_dns_subdomain(&group) {
        let message = format!("mtls.issuer.group {group:?} is not an API group (a DNS-1123 subdomain)");
        rules.fail(path::MTLS_ISSUER_GROUP, message);
    }
    Issuer { kind, name, group }
}

/// Each callee named (a proto full name or an app name), each method once; whether they
/// exist is the call graph's question (`graph`), asked once every service is known.
fn resolve_calls(written: &[CallOptions], rules: &mut FieldRules<'_>) -> Vec<Call> {
    let mut calls = Vec::new();
    for (index, options) in written.iter().enumerate() {
        let mut rules = rules.element(path::CALLS, index);
        let service = rules.required(path::CALLS_SERVICE, &options.service, String::new());
        let is_name = |s: &str| !s.is_empty() && s.split('.').all(|part| is_identifier(part) || is_dns_label(part));
        if options.service.is_some() && !is_name(&service) {
            let message = format!(
                "calls.service {service:?} is neither a proto full name (`greeter.v1.Greeter`) nor an app name"
            );
            rules.fail(path::CALLS_SERVICE, message);
        }
        // A name that cannot name a service is not looked up as well.
        let service = if is_name(&service) { service } else { String::new() };
        let mut methods: Vec<String> = Vec::new();
        for method in &options.methods {
            if !is_identifier(method) {
                rules.fail(path::CALLS_METHODS, format!("calls.methods {method:?} is not a method name"));
            } else if methods.contains(method) {
                rules.fail(path::CALLS_METHODS, format!("calls.methods names {method:?} twice"));
            }
            methods.push(method.clone());
        }
        calls.push(Call { service, methods, callee: None });
    }
    calls
}

/// A protobuf identifier: a letter or `_`, then letters, digits and `_`.
fn is_identifier(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Origins a browser's page may call from, each as a browser sends it, none twice.
fn resolve_origins(field: OptionPath, written: &[String], rules: &mut FieldRules<'_>) -> Vec<String> {
    for problem in kuberpc_spec::origins_problems(written) {
        let message = match problem {
            kuberpc_spec::OriginsProblem::StarNotAlone => format!("{field}: {problem}"),
            _ => format!("{field} {problem}"),
        };
        rules.fail(field, message);
    }
    written.to_vec()
}

fn resolve_secret_env(names: &[String], rules: &mut FieldRules<'_>) -> Vec<String> {
    for name in names.iter().filter(|name| !is_dns_subdomain(name)) {
        rules.fail(path::SECRET_ENV, format!("secret_env {name:?} is not a Secret name (a DNS-1123 subdomain)"));
    }
    names.to_vec()
}

/// Each mounted at its own absolute path, apart from the data volume's and `/tmp`.
fn resolve_secret_volumes(
    written: &[SecretVolumeOptions],
    deploy: &Deploy,
    rules: &mut FieldRules<'_>,
) -> Vec<SecretVolume> {
    let mut taken: Vec<String> = vec!["/tmp".into()];
    taken.extend(deploy.storage.as_ref().map(|s| s.mount_path.clone()));
    let mut volumes = Vec::new();
    for (index, options) in written.iter().enumerate() {
        let mut rules = rules.element(path::SECRET_VOLUMES, index);
        let name = rules.required(path::SECRET_VOLUMES_NAME, &options.name, String::new());
        if options.name.is_some() && !is_dns_subdomain(&name) {
            let message = format!("secret_volumes.name {name:?} is not a Secret name (a DNS-1123 subdomain)");
            rules.fail(path::SECRET_VOLUMES_NAME, message);
        }
        let mount_path = options.mount_path.clone().unwrap_or_default();
        if let Some(problem) = values::mount_path_problem(&mount_path) {
            let message = format!("secret_volumes.mount_path {mount_path:?} {problem}");
            rules.fail(path::SECRET_VOLUMES_MOUNT_PATH, message);
        } else if taken.contains(&mount_path) {
            let message = format!("secret_volumes.mount_path {mount_path:?} is already mounted");
            rules.fail(path::SECRET_VOLUMES_MOUNT_PATH, message);
        }
        taken.push(mount_path.clone());
        volumes.push(SecretVolume { volume: format!("secret-{index}"), name, mount_path });
    }
    volumes
}

fn resolve_env(env: &BTreeMap<String, String>, rules: &mut FieldRules<'_>) -> BTreeMap<String, String> {
    // What the API server accepts as a variable and ConfigMap key (no `.`, no `..` start),
    // starting with a letter or `_` so that a shell can read it too.
    for name in env.keys() {
        let valid = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !valid {
            rules.fail(path::ENV, format!("env name {name:?} is not a valid environment variable name"));
        }
    }
    env.clone()
}

/// Whether `value` is a Kubernetes resource quantity ([`values::quantity_value`]).
pub(crate) fn is_quantity(value: &str) -> bool {
    values::quantity_value(value).is_some()
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
        assert_eq!(deploy.port, defaults::PORT);
        assert_eq!(deploy.image, "route-guide:latest");
        assert_eq!(deploy.resources.cpu_limit, defaults::CPU);
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

#[cfg(all(test, feature = "build"))]
mod generated_tests {
    use std::path::Path;

    use heck::ToShoutySnakeCase;
    use prost_types::field_descriptor_proto::{Label, Type};
    use prost_types::{DescriptorProto, FileDescriptorProto};

    fn vocabulary() -> FileDescriptorProto {
        let fds = crate::proto::vocabulary_descriptor_set().expect("options.proto compiles");
        fds.file.into_iter().find(|f| f.name() == super::OPTIONS_PROTO_NAME).unwrap()
    }

    /// Compares `generated` with the committed file (rewriting it with `KUBERPC_BLESS=1`).
    fn assert_fresh(file: &str, generated: &str) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(file);
        if std::env::var_os("KUBERPC_BLESS").is_some() {
            std::fs::write(&path, generated).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == generated,
            "{} is stale: run `KUBERPC_BLESS=1 cargo test -p kuberpc-codegen --lib options`",
            path.display()
        );
    }

    const HEADER: &str = "// @generated from proto/kuberpc/v1/options.proto by the tests in \
        `options::generated_tests`\n// (`KUBERPC_BLESS=1 cargo test -p kuberpc-codegen --lib options` rewrites it).\n";

    /// `kuberpc.v1.rs` is what prost-build makes of options.proto today: a field added to
    /// the vocabulary reaches the typed options (and so both front ends) by regenerating,
    /// never by hand.
    #[test]
    fn the_vocabulary_types_are_generated_from_options_proto() {
        let file = vocabulary();
        let requests = vec![(prost_build::Module::from_protobuf_package_name(file.package()), file)];
        let mut config = prost_build::Config::new();
        config.btree_map(["."]);
        let modules = config.generate(requests).unwrap();
        let [(_, code)]: [_; 1] = modules.into_iter().collect::<Vec<_>>().try_into().unwrap();
        assert_fresh("options/kuberpc.v1.rs", &format!("{HEADER}{code}"));
    }

    /// `fields.rs` is the shape of every vocabulary message, read from the descriptor. A field
    /// of a kind the attribute syntax and the emitted text cannot express fails here, so the
    /// vocabulary cannot grow what a front end would silently ignore.
    #[test]
    fn the_field_tables_are_generated_from_options_proto() {
        let file = vocabulary();
        let mut out = String::from(HEADER);
        for message in &file.message_type {
            out.push_str(&format!(
                "\n/// `kuberpc.v1.{}`\npub(crate) const {}: &[Field] = &[\n",
                message.name(),
                message.name().to_shouty_snake_case()
            ));
            for field in &message.field {
                let kind = kind(message, field);
                out.push_str(&format!(
                    "    Field {{ name: {:?}, number: {}, kind: {kind} }},\n",
                    field.name(),
                    field.number()
                ));
            }
            out.push_str("];\n");
        }
        assert_fresh("schema/fields.rs", &out);
    }

    /// Every fixed default (`kuberpc_spec::defaults::all`, one row per constant the
    /// resolver applies) is documented in options.proto with the same value: a default
    /// changed in one place only fails here.
    #[test]
    fn options_proto_documents_every_default_the_resolver_applies() {
        let file = vocabulary();
        for (path, value) in kuberpc_spec::defaults::all() {
            let comment = field_comment(&file, "ServiceDeployment", path);
            assert!(
                comment.contains(&format!("Default: {value}")),
                "{path}: options.proto says {comment:?}, kuberpc applies {value}"
            );
        }
        assert!(super::ACCESS_MODES.contains(&kuberpc_spec::defaults::STORAGE_ACCESS_MODE));
    }

    /// The comment above the field at the dotted `path` of `message`.
    fn field_comment(file: &FileDescriptorProto, message: &str, path: &str) -> String {
        let (index, message) = file.message_type.iter().enumerate().find(|(_, m)| m.name() == message).unwrap();
        let (name, rest) = path.split_once('.').map_or((path, None), |(a, b)| (a, Some(b)));
        let (field_index, field) =
            (message.field.iter().enumerate().find(|(_, f)| f.name() == name)).unwrap_or_else(|| {
                panic!("{} has no option {name:?}: a default names an option that does not exist", message.name())
            });
        if let Some(rest) = rest {
            return field_comment(file, field.type_name().rsplit('.').next().unwrap(), rest);
        }
        let location = [4, index as i32, 2, field_index as i32];
        let info = file.source_code_info.as_ref().unwrap();
        let found = info.location.iter().find(|l| l.path == location).unwrap();
        found.leading_comments().split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// `paths.rs`: a constant per option path of the service and method options.
    #[test]
    fn the_option_paths_are_generated_from_options_proto() {
        let file = vocabulary();
        let mut out = String::from(HEADER);
        // A path both roots have (`slo.…`) is one constant: spans are looked up per element.
        let mut seen = std::collections::BTreeMap::new();
        for root in ["ServiceDeployment", "MethodBehaviour"] {
            let mut paths = Vec::new();
            collect_paths(&file, root, "", &mut paths);
            for path in paths {
                let name = path.replace('.', "_").to_shouty_snake_case();
                match seen.insert(name.clone(), path.clone()) {
                    Some(same) if same == path => continue,
                    Some(other) => panic!("the option paths {other} and {path} make the constant {name}"),
                    None => {}
                }
                out.push_str(&format!("/// `{path}`\npub(crate) const {name}: OptionPath = OptionPath({path:?});\n"));
            }
        }
        assert_fresh("schema/paths.rs", &out);
    }

    fn collect_paths(file: &FileDescriptorProto, message: &str, prefix: &str, out: &mut Vec<String>) {
        let message = file.message_type.iter().find(|m| m.name() == message).unwrap();
        for field in &message.field {
            let path = if prefix.is_empty() { field.name().to_string() } else { format!("{prefix}.{}", field.name()) };
            out.push(path.clone());
            // Groups and repeated groups: messages of the file itself (map entries are nested).
            let type_name = field.type_name().rsplit('.').next().unwrap_or_default();
            let is_group = field.r#type() == Type::Message && file.message_type.iter().any(|m| m.name() == type_name);
            if is_group {
                collect_paths(file, type_name, &path, out);
            }
        }
    }

    fn kind(message: &DescriptorProto, field: &prost_types::FieldDescriptorProto) -> String {
        let repeated = field.label() == Label::Repeated;
        let entry = message
            .nested_type
            .iter()
            .find(|n| field.type_name().ends_with(&format!(".{}.{}", message.name(), n.name())));
        match (field.r#type(), repeated, entry) {
            (Type::String, false, _) => "Kind::Str".into(),
            (Type::String, true, _) => "Kind::StrList".into(),
            (Type::Uint32, false, _) => "Kind::U32".into(),
            (Type::Uint64, false, _) => "Kind::U64".into(),
            (Type::Bool, false, _) => "Kind::Bool".into(),
            (Type::Double, false, _) => "Kind::F64".into(),
            (Type::Message, true, Some(entry))
                if entry.field.iter().all(|f| f.r#type() == Type::String)
                    && entry.options.as_ref().is_some_and(|o| o.map_entry()) =>
            {
                "Kind::Map".into()
            }
            (Type::Message, repeated, None) => {
                let name = field.type_name().rsplit('.').next().unwrap_or_default();
                let kind = if repeated { "GroupList" } else { "Group" };
                format!("Kind::{kind}({})", name.to_shouty_snake_case())
            }
            (other, repeated, _) => panic!(
                "options.proto: `{}.{}` is a {}{other:?}, which the attribute syntax and the emitted option text \
                 cannot express yet: add it to schema::Kind (and its three uses) first",
                message.name(),
                field.name(),
                if repeated { "repeated " } else { "" }
            ),
        }
    }
}
