// @generated from proto/kuberpc/v1/options.proto by the tests in `options::generated_tests`
// (`KUBERPC_BLESS=1 cargo test -p kuberpc-codegen --lib options` rewrites it).
/// `name`
pub const NAME: OptionPath = OptionPath("name");
/// `image`
pub const IMAGE: OptionPath = OptionPath("image");
/// `port`
pub const PORT: OptionPath = OptionPath("port");
/// `replicas`
pub const REPLICAS: OptionPath = OptionPath("replicas");
/// `resources`
pub const RESOURCES: OptionPath = OptionPath("resources");
/// `resources.cpu`
pub const RESOURCES_CPU: OptionPath = OptionPath("resources.cpu");
/// `resources.memory`
pub const RESOURCES_MEMORY: OptionPath = OptionPath("resources.memory");
/// `resources.cpu_limit`
pub const RESOURCES_CPU_LIMIT: OptionPath = OptionPath("resources.cpu_limit");
/// `resources.memory_limit`
pub const RESOURCES_MEMORY_LIMIT: OptionPath = OptionPath("resources.memory_limit");
/// `autoscale`
pub const AUTOSCALE: OptionPath = OptionPath("autoscale");
/// `autoscale.min`
pub const AUTOSCALE_MIN: OptionPath = OptionPath("autoscale.min");
/// `autoscale.max`
pub const AUTOSCALE_MAX: OptionPath = OptionPath("autoscale.max");
/// `autoscale.cpu_percent`
pub const AUTOSCALE_CPU_PERCENT: OptionPath = OptionPath("autoscale.cpu_percent");
/// `autoscale.memory_percent`
pub const AUTOSCALE_MEMORY_PERCENT: OptionPath = OptionPath("autoscale.memory_percent");
/// `ingress`
pub const INGRESS: OptionPath = OptionPath("ingress");
/// `ingress.host`
pub const INGRESS_HOST: OptionPath = OptionPath("ingress.host");
/// `ingress.tls_secret`
pub const INGRESS_TLS_SECRET: OptionPath = OptionPath("ingress.tls_secret");
/// `ingress.class_name`
pub const INGRESS_CLASS_NAME: OptionPath = OptionPath("ingress.class_name");
/// `ingress.path`
pub const INGRESS_PATH: OptionPath = OptionPath("ingress.path");
/// `ingress.controller_namespace`
pub const INGRESS_CONTROLLER_NAMESPACE: OptionPath = OptionPath("ingress.controller_namespace");
/// `storage`
pub const STORAGE: OptionPath = OptionPath("storage");
/// `storage.size`
pub const STORAGE_SIZE: OptionPath = OptionPath("storage.size");
/// `storage.mount_path`
pub const STORAGE_MOUNT_PATH: OptionPath = OptionPath("storage.mount_path");
/// `storage.storage_class`
pub const STORAGE_STORAGE_CLASS: OptionPath = OptionPath("storage.storage_class");
/// `storage.access_mode`
pub const STORAGE_ACCESS_MODE: OptionPath = OptionPath("storage.access_mode");
/// `env`
pub const ENV: OptionPath = OptionPath("env");
/// `workload`
pub const WORKLOAD: OptionPath = OptionPath("workload");
/// `drain_seconds`
pub const DRAIN_SECONDS: OptionPath = OptionPath("drain_seconds");
/// `termination_grace_seconds`
pub const TERMINATION_GRACE_SECONDS: OptionPath = OptionPath("termination_grace_seconds");
/// `gateway`
pub const GATEWAY: OptionPath = OptionPath("gateway");
/// `gateway.parent`
pub const GATEWAY_PARENT: OptionPath = OptionPath("gateway.parent");
/// `gateway.hostnames`
pub const GATEWAY_HOSTNAMES: OptionPath = OptionPath("gateway.hostnames");
/// `gateway.controller_namespace`
pub const GATEWAY_CONTROLLER_NAMESPACE: OptionPath = OptionPath("gateway.controller_namespace");
/// `timeout_ms`
pub const TIMEOUT_MS: OptionPath = OptionPath("timeout_ms");
/// `idempotent`
pub const IDEMPOTENT: OptionPath = OptionPath("idempotent");
