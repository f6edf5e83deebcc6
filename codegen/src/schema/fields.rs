// @generated from proto/kuberpc/v1/options.proto by the tests in `options::generated_tests`
// (`KUBERPC_BLESS=1 cargo test -p kuberpc-codegen --lib options` rewrites it).

/// `kuberpc.v1.ServiceDeployment`
pub(crate) const SERVICE_DEPLOYMENT: &[Field] = &[
    Field { name: "name", number: 1, kind: Kind::Str },
    Field { name: "image", number: 2, kind: Kind::Str },
    Field { name: "port", number: 3, kind: Kind::U32 },
    Field { name: "replicas", number: 4, kind: Kind::U32 },
    Field { name: "resources", number: 5, kind: Kind::Group(RESOURCES) },
    Field { name: "autoscale", number: 6, kind: Kind::Group(AUTOSCALE) },
    Field { name: "ingress", number: 7, kind: Kind::Group(INGRESS) },
    Field { name: "storage", number: 8, kind: Kind::Group(STORAGE) },
    Field { name: "env", number: 9, kind: Kind::Map },
    Field { name: "workload", number: 10, kind: Kind::Str },
    Field { name: "drain_seconds", number: 11, kind: Kind::U32 },
    Field { name: "termination_grace_seconds", number: 12, kind: Kind::U32 },
    Field { name: "gateway", number: 13, kind: Kind::Group(GATEWAY) },
    Field { name: "args", number: 14, kind: Kind::StrList },
    Field { name: "pod_annotations", number: 15, kind: Kind::Map },
    Field { name: "scheduling", number: 16, kind: Kind::Group(SCHEDULING) },
    Field { name: "environments", number: 17, kind: Kind::GroupList(ENVIRONMENT) },
    Field { name: "secret_env", number: 18, kind: Kind::StrList },
    Field { name: "secret_volumes", number: 19, kind: Kind::GroupList(SECRET_VOLUME) },
    Field { name: "client", number: 20, kind: Kind::Group(CLIENT_POLICY) },
    Field { name: "container", number: 21, kind: Kind::Group(CONTAINER_BUILD) },
    Field { name: "observability", number: 22, kind: Kind::Group(OBSERVABILITY) },
    Field { name: "reflection", number: 23, kind: Kind::Bool },
    Field { name: "calls", number: 24, kind: Kind::GroupList(CALL) },
    Field { name: "forbid_call_cycles", number: 25, kind: Kind::Bool },
    Field { name: "mtls", number: 26, kind: Kind::Group(MUTUAL_TLS) },
    Field { name: "web", number: 27, kind: Kind::Group(WEB) },
    Field { name: "slo", number: 28, kind: Kind::Group(SLO) },
];

/// `kuberpc.v1.Slo`
pub(crate) const SLO: &[Field] = &[
    Field { name: "availability", number: 1, kind: Kind::F64 },
    Field { name: "latency_percent", number: 2, kind: Kind::F64 },
    Field { name: "latency_ms", number: 3, kind: Kind::U64 },
];

/// `kuberpc.v1.Web`
pub(crate) const WEB: &[Field] = &[
    Field { name: "origins", number: 1, kind: Kind::StrList },
];

/// `kuberpc.v1.MutualTls`
pub(crate) const MUTUAL_TLS: &[Field] = &[
    Field { name: "trust_domain", number: 1, kind: Kind::Str },
    Field { name: "issuer", number: 2, kind: Kind::Group(ISSUER) },
    Field { name: "health_port", number: 3, kind: Kind::U32 },
    Field { name: "certificate_hours", number: 4, kind: Kind::U32 },
];

/// `kuberpc.v1.Issuer`
pub(crate) const ISSUER: &[Field] = &[
    Field { name: "kind", number: 1, kind: Kind::Str },
    Field { name: "name", number: 2, kind: Kind::Str },
    Field { name: "group", number: 3, kind: Kind::Str },
];

/// `kuberpc.v1.Call`
pub(crate) const CALL: &[Field] = &[
    Field { name: "service", number: 1, kind: Kind::Str },
    Field { name: "methods", number: 2, kind: Kind::StrList },
];

/// `kuberpc.v1.Observability`
pub(crate) const OBSERVABILITY: &[Field] = &[
    Field { name: "metrics_port", number: 1, kind: Kind::U32 },
    Field { name: "monitoring_namespace", number: 2, kind: Kind::Str },
    Field { name: "otlp_endpoint", number: 3, kind: Kind::Str },
    Field { name: "sample_ratio", number: 4, kind: Kind::F64 },
    Field { name: "service_monitor", number: 5, kind: Kind::Bool },
];

/// `kuberpc.v1.ContainerBuild`
pub(crate) const CONTAINER_BUILD: &[Field] = &[
    Field { name: "binary", number: 1, kind: Kind::Str },
    Field { name: "rust_version", number: 2, kind: Kind::Str },
    Field { name: "builder_image", number: 3, kind: Kind::Str },
    Field { name: "runtime_image", number: 4, kind: Kind::Str },
    Field { name: "package", number: 5, kind: Kind::Str },
];

/// `kuberpc.v1.ClientPolicy`
pub(crate) const CLIENT_POLICY: &[Field] = &[
    Field { name: "default_timeout_ms", number: 1, kind: Kind::U64 },
    Field { name: "keepalive_interval_ms", number: 2, kind: Kind::U32 },
    Field { name: "keepalive_timeout_ms", number: 3, kind: Kind::U32 },
    Field { name: "connect_timeout_ms", number: 4, kind: Kind::U32 },
    Field { name: "eject_after_failures", number: 5, kind: Kind::U32 },
    Field { name: "base_ejection_ms", number: 6, kind: Kind::U32 },
    Field { name: "max_ejection_percent", number: 7, kind: Kind::U32 },
    Field { name: "max_concurrent_requests", number: 8, kind: Kind::U32 },
    Field { name: "retry_budget_percent", number: 9, kind: Kind::U32 },
    Field { name: "min_retries_per_second", number: 10, kind: Kind::U32 },
];

/// `kuberpc.v1.SecretVolume`
pub(crate) const SECRET_VOLUME: &[Field] = &[
    Field { name: "name", number: 1, kind: Kind::Str },
    Field { name: "mount_path", number: 2, kind: Kind::Str },
];

/// `kuberpc.v1.Environment`
pub(crate) const ENVIRONMENT: &[Field] = &[
    Field { name: "name", number: 1, kind: Kind::Str },
    Field { name: "namespace", number: 2, kind: Kind::Str },
    Field { name: "replicas", number: 3, kind: Kind::U32 },
    Field { name: "autoscale", number: 4, kind: Kind::Group(AUTOSCALE) },
    Field { name: "resources", number: 5, kind: Kind::Group(RESOURCES) },
    Field { name: "ingress_host", number: 6, kind: Kind::Str },
    Field { name: "web_origins", number: 7, kind: Kind::StrList },
];

/// `kuberpc.v1.Scheduling`
pub(crate) const SCHEDULING: &[Field] = &[
    Field { name: "priority_class", number: 1, kind: Kind::Str },
    Field { name: "node_selector", number: 2, kind: Kind::Map },
    Field { name: "tolerations", number: 3, kind: Kind::StrList },
];

/// `kuberpc.v1.Gateway`
pub(crate) const GATEWAY: &[Field] = &[
    Field { name: "parent", number: 1, kind: Kind::Str },
    Field { name: "hostnames", number: 2, kind: Kind::StrList },
    Field { name: "controller_namespace", number: 3, kind: Kind::Str },
];

/// `kuberpc.v1.Resources`
pub(crate) const RESOURCES: &[Field] = &[
    Field { name: "cpu", number: 1, kind: Kind::Str },
    Field { name: "memory", number: 2, kind: Kind::Str },
    Field { name: "cpu_limit", number: 3, kind: Kind::Str },
    Field { name: "memory_limit", number: 4, kind: Kind::Str },
];

/// `kuberpc.v1.Autoscale`
pub(crate) const AUTOSCALE: &[Field] = &[
    Field { name: "min", number: 1, kind: Kind::U32 },
    Field { name: "max", number: 2, kind: Kind::U32 },
    Field { name: "cpu_percent", number: 3, kind: Kind::U32 },
    Field { name: "memory_percent", number: 4, kind: Kind::U32 },
];

/// `kuberpc.v1.Ingress`
pub(crate) const INGRESS: &[Field] = &[
    Field { name: "host", number: 1, kind: Kind::Str },
    Field { name: "tls_secret", number: 2, kind: Kind::Str },
    Field { name: "class_name", number: 3, kind: Kind::Str },
    Field { name: "path", number: 4, kind: Kind::Str },
    Field { name: "controller_namespace", number: 5, kind: Kind::Str },
];

/// `kuberpc.v1.Storage`
pub(crate) const STORAGE: &[Field] = &[
    Field { name: "size", number: 1, kind: Kind::Str },
    Field { name: "mount_path", number: 2, kind: Kind::Str },
    Field { name: "storage_class", number: 3, kind: Kind::Str },
    Field { name: "access_mode", number: 4, kind: Kind::Str },
];

/// `kuberpc.v1.MethodBehaviour`
pub(crate) const METHOD_BEHAVIOUR: &[Field] = &[
    Field { name: "timeout_ms", number: 1, kind: Kind::U64 },
    Field { name: "idempotent", number: 2, kind: Kind::Bool },
    Field { name: "hedge_delay_ms", number: 3, kind: Kind::U64 },
    Field { name: "slo", number: 4, kind: Kind::Group(SLO) },
];
