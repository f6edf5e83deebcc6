// @generated from proto/kuberpc/v1/options.proto by the tests in `options::generated_tests`
// (`KUBERPC_BLESS=1 cargo test -p kuberpc-codegen --lib options` rewrites it).
/// `name`
pub(crate) const NAME: OptionPath = OptionPath("name");
/// `image`
pub(crate) const IMAGE: OptionPath = OptionPath("image");
/// `port`
pub(crate) const PORT: OptionPath = OptionPath("port");
/// `replicas`
pub(crate) const REPLICAS: OptionPath = OptionPath("replicas");
/// `resources`
pub(crate) const RESOURCES: OptionPath = OptionPath("resources");
/// `resources.cpu`
pub(crate) const RESOURCES_CPU: OptionPath = OptionPath("resources.cpu");
/// `resources.memory`
pub(crate) const RESOURCES_MEMORY: OptionPath = OptionPath("resources.memory");
/// `resources.cpu_limit`
pub(crate) const RESOURCES_CPU_LIMIT: OptionPath = OptionPath("resources.cpu_limit");
/// `resources.memory_limit`
pub(crate) const RESOURCES_MEMORY_LIMIT: OptionPath = OptionPath("resources.memory_limit");
/// `autoscale`
pub(crate) const AUTOSCALE: OptionPath = OptionPath("autoscale");
/// `autoscale.min`
pub(crate) const AUTOSCALE_MIN: OptionPath = OptionPath("autoscale.min");
/// `autoscale.max`
pub(crate) const AUTOSCALE_MAX: OptionPath = OptionPath("autoscale.max");
/// `autoscale.cpu_percent`
pub(crate) const AUTOSCALE_CPU_PERCENT: OptionPath = OptionPath("autoscale.cpu_percent");
/// `autoscale.memory_percent`
pub(crate) const AUTOSCALE_MEMORY_PERCENT: OptionPath = OptionPath("autoscale.memory_percent");
/// `ingress`
pub(crate) const INGRESS: OptionPath = OptionPath("ingress");
/// `ingress.host`
pub(crate) const INGRESS_HOST: OptionPath = OptionPath("ingress.host");
/// `ingress.tls_secret`
pub(crate) const INGRESS_TLS_SECRET: OptionPath = OptionPath("ingress.tls_secret");
/// `ingress.class_name`
pub(crate) const INGRESS_CLASS_NAME: OptionPath = OptionPath("ingress.class_name");
/// `ingress.path`
pub(crate) const INGRESS_PATH: OptionPath = OptionPath("ingress.path");
/// `ingress.controller_namespace`
pub(crate) const INGRESS_CONTROLLER_NAMESPACE: OptionPath = OptionPath("ingress.controller_namespace");
/// `storage`
pub(crate) const STORAGE: OptionPath = OptionPath("storage");
/// `storage.size`
pub(crate) const STORAGE_SIZE: OptionPath = OptionPath("storage.size");
/// `storage.mount_path`
pub(crate) const STORAGE_MOUNT_PATH: OptionPath = OptionPath("storage.mount_path");
/// `storage.storage_class`
pub(crate) const STORAGE_STORAGE_CLASS: OptionPath = OptionPath("storage.storage_class");
/// `storage.access_mode`
pub(crate) const STORAGE_ACCESS_MODE: OptionPath = OptionPath("storage.access_mode");
/// `env`
pub(crate) const ENV: OptionPath = OptionPath("env");
/// `workload`
pub(crate) const WORKLOAD: OptionPath = OptionPath("workload");
/// `drain_seconds`
pub(crate) const DRAIN_SECONDS: OptionPath = OptionPath("drain_seconds");
/// `termination_grace_seconds`
pub(crate) const TERMINATION_GRACE_SECONDS: OptionPath = OptionPath("termination_grace_seconds");
/// `gateway`
pub(crate) const GATEWAY: OptionPath = OptionPath("gateway");
/// `gateway.parent`
pub(crate) const GATEWAY_PARENT: OptionPath = OptionPath("gateway.parent");
/// `gateway.hostnames`
pub(crate) const GATEWAY_HOSTNAMES: OptionPath = OptionPath("gateway.hostnames");
/// `gateway.controller_namespace`
pub(crate) const GATEWAY_CONTROLLER_NAMESPACE: OptionPath = OptionPath("gateway.controller_namespace");
/// `args`
pub(crate) const ARGS: OptionPath = OptionPath("args");
/// `pod_annotations`
pub(crate) const POD_ANNOTATIONS: OptionPath = OptionPath("pod_annotations");
/// `scheduling`
pub(crate) const SCHEDULING: OptionPath = OptionPath("scheduling");
/// `scheduling.priority_class`
pub(crate) const SCHEDULING_PRIORITY_CLASS: OptionPath = OptionPath("scheduling.priority_class");
/// `scheduling.node_selector`
pub(crate) const SCHEDULING_NODE_SELECTOR: OptionPath = OptionPath("scheduling.node_selector");
/// `scheduling.tolerations`
pub(crate) const SCHEDULING_TOLERATIONS: OptionPath = OptionPath("scheduling.tolerations");
/// `environments`
pub(crate) const ENVIRONMENTS: OptionPath = OptionPath("environments");
/// `environments.name`
pub(crate) const ENVIRONMENTS_NAME: OptionPath = OptionPath("environments.name");
/// `environments.namespace`
pub(crate) const ENVIRONMENTS_NAMESPACE: OptionPath = OptionPath("environments.namespace");
/// `environments.replicas`
pub(crate) const ENVIRONMENTS_REPLICAS: OptionPath = OptionPath("environments.replicas");
/// `environments.autoscale`
pub(crate) const ENVIRONMENTS_AUTOSCALE: OptionPath = OptionPath("environments.autoscale");
/// `environments.autoscale.min`
pub(crate) const ENVIRONMENTS_AUTOSCALE_MIN: OptionPath = OptionPath("environments.autoscale.min");
/// `environments.autoscale.max`
pub(crate) const ENVIRONMENTS_AUTOSCALE_MAX: OptionPath = OptionPath("environments.autoscale.max");
/// `environments.autoscale.cpu_percent`
pub(crate) const ENVIRONMENTS_AUTOSCALE_CPU_PERCENT: OptionPath = OptionPath("environments.autoscale.cpu_percent");
/// `environments.autoscale.memory_percent`
pub(crate) const ENVIRONMENTS_AUTOSCALE_MEMORY_PERCENT: OptionPath = OptionPath("environments.autoscale.memory_percent");
/// `environments.resources`
pub(crate) const ENVIRONMENTS_RESOURCES: OptionPath = OptionPath("environments.resources");
/// `environments.resources.cpu`
pub(crate) const ENVIRONMENTS_RESOURCES_CPU: OptionPath = OptionPath("environments.resources.cpu");
/// `environments.resources.memory`
pub(crate) const ENVIRONMENTS_RESOURCES_MEMORY: OptionPath = OptionPath("environments.resources.memory");
/// `environments.resources.cpu_limit`
pub(crate) const ENVIRONMENTS_RESOURCES_CPU_LIMIT: OptionPath = OptionPath("environments.resources.cpu_limit");
/// `environments.resources.memory_limit`
pub(crate) const ENVIRONMENTS_RESOURCES_MEMORY_LIMIT: OptionPath = OptionPath("environments.resources.memory_limit");
/// `environments.ingress_host`
pub(crate) const ENVIRONMENTS_INGRESS_HOST: OptionPath = OptionPath("environments.ingress_host");
/// `environments.web_origins`
pub(crate) const ENVIRONMENTS_WEB_ORIGINS: OptionPath = OptionPath("environments.web_origins");
/// `secret_env`
pub(crate) const SECRET_ENV: OptionPath = OptionPath("secret_env");
/// `secret_volumes`
pub(crate) const SECRET_VOLUMES: OptionPath = OptionPath("secret_volumes");
/// `secret_volumes.name`
pub(crate) const SECRET_VOLUMES_NAME: OptionPath = OptionPath("secret_volumes.name");
/// `secret_volumes.mount_path`
pub(crate) const SECRET_VOLUMES_MOUNT_PATH: OptionPath = OptionPath("secret_volumes.mount_path");
/// `client`
pub(crate) const CLIENT: OptionPath = OptionPath("client");
/// `client.default_timeout_ms`
pub(crate) const CLIENT_DEFAULT_TIMEOUT_MS: OptionPath = OptionPath("client.default_timeout_ms");
/// `client.keepalive_interval_ms`
pub(crate) const CLIENT_KEEPALIVE_INTERVAL_MS: OptionPath = OptionPath("client.keepalive_interval_ms");
/// `client.keepalive_timeout_ms`
pub(crate) const CLIENT_KEEPALIVE_TIMEOUT_MS: OptionPath = OptionPath("client.keepalive_timeout_ms");
/// `client.connect_timeout_ms`
pub(crate) const CLIENT_CONNECT_TIMEOUT_MS: OptionPath = OptionPath("client.connect_timeout_ms");
/// `client.eject_after_failures`
pub(crate) const CLIENT_EJECT_AFTER_FAILURES: OptionPath = OptionPath("client.eject_after_failures");
/// `client.base_ejection_ms`
pub(crate) const CLIENT_BASE_EJECTION_MS: OptionPath = OptionPath("client.base_ejection_ms");
/// `client.max_ejection_percent`
pub(crate) const CLIENT_MAX_EJECTION_PERCENT: OptionPath = OptionPath("client.max_ejection_percent");
/// `client.max_concurrent_requests`
pub(crate) const CLIENT_MAX_CONCURRENT_REQUESTS: OptionPath = OptionPath("client.max_concurrent_requests");
/// `client.retry_budget_percent`
pub(crate) const CLIENT_RETRY_BUDGET_PERCENT: OptionPath = OptionPath("client.retry_budget_percent");
/// `client.min_retries_per_second`
pub(crate) const CLIENT_MIN_RETRIES_PER_SECOND: OptionPath = OptionPath("client.min_retries_per_second");
/// `container`
pub(crate) const CONTAINER: OptionPath = OptionPath("container");
/// `container.binary`
pub(crate) const CONTAINER_BINARY: OptionPath = OptionPath("container.binary");
/// `container.rust_version`
pub(crate) const CONTAINER_RUST_VERSION: OptionPath = OptionPath("container.rust_version");
/// `container.builder_image`
pub(crate) const CONTAINER_BUILDER_IMAGE: OptionPath = OptionPath("container.builder_image");
/// `container.runtime_image`
pub(crate) const CONTAINER_RUNTIME_IMAGE: OptionPath = OptionPath("container.runtime_image");
/// `container.package`
pub(crate) const CONTAINER_PACKAGE: OptionPath = OptionPath("container.package");
/// `observability`
pub(crate) const OBSERVABILITY: OptionPath = OptionPath("observability");
/// `observability.metrics_port`
pub(crate) const OBSERVABILITY_METRICS_PORT: OptionPath = OptionPath("observability.metrics_port");
/// `observability.monitoring_namespace`
pub(crate) const OBSERVABILITY_MONITORING_NAMESPACE: OptionPath = OptionPath("observability.monitoring_namespace");
/// `observability.otlp_endpoint`
pub(crate) const OBSERVABILITY_OTLP_ENDPOINT: OptionPath = OptionPath("observability.otlp_endpoint");
/// `observability.sample_ratio`
pub(crate) const OBSERVABILITY_SAMPLE_RATIO: OptionPath = OptionPath("observability.sample_ratio");
/// `observability.service_monitor`
pub(crate) const OBSERVABILITY_SERVICE_MONITOR: OptionPath = OptionPath("observability.service_monitor");
/// `reflection`
pub(crate) const REFLECTION: OptionPath = OptionPath("reflection");
/// `calls`
pub(crate) const CALLS: OptionPath = OptionPath("calls");
/// `calls.service`
pub(crate) const CALLS_SERVICE: OptionPath = OptionPath("calls.service");
/// `calls.methods`
pub(crate) const CALLS_METHODS: OptionPath = OptionPath("calls.methods");
/// `forbid_call_cycles`
pub(crate) const FORBID_CALL_CYCLES: OptionPath = OptionPath("forbid_call_cycles");
/// `mtls`
pub(crate) const MTLS: OptionPath = OptionPath("mtls");
/// `mtls.trust_domain`
pub(crate) const MTLS_TRUST_DOMAIN: OptionPath = OptionPath("mtls.trust_domain");
/// `mtls.issuer`
pub(crate) const MTLS_ISSUER: OptionPath = OptionPath("mtls.issuer");
/// `mtls.issuer.kind`
pub(crate) const MTLS_ISSUER_KIND: OptionPath = OptionPath("mtls.issuer.kind");
/// `mtls.issuer.name`
pub(crate) const MTLS_ISSUER_NAME: OptionPath = OptionPath("mtls.issuer.name");
/// `mtls.issuer.group`
pub(crate) const MTLS_ISSUER_GROUP: OptionPath = OptionPath("mtls.issuer.group");
/// `mtls.health_port`
pub(crate) const MTLS_HEALTH_PORT: OptionPath = OptionPath("mtls.health_port");
/// `mtls.certificate_hours`
pub(crate) const MTLS_CERTIFICATE_HOURS: OptionPath = OptionPath("mtls.certificate_hours");
/// `web`
pub(crate) const WEB: OptionPath = OptionPath("web");
/// `web.origins`
pub(crate) const WEB_ORIGINS: OptionPath = OptionPath("web.origins");
/// `slo`
pub(crate) const SLO: OptionPath = OptionPath("slo");
/// `slo.availability`
pub(crate) const SLO_AVAILABILITY: OptionPath = OptionPath("slo.availability");
/// `slo.latency_percent`
pub(crate) const SLO_LATENCY_PERCENT: OptionPath = OptionPath("slo.latency_percent");
/// `slo.latency_ms`
pub(crate) const SLO_LATENCY_MS: OptionPath = OptionPath("slo.latency_ms");
/// `timeout_ms`
pub(crate) const TIMEOUT_MS: OptionPath = OptionPath("timeout_ms");
/// `idempotent`
pub(crate) const IDEMPOTENT: OptionPath = OptionPath("idempotent");
/// `hedge_delay_ms`
pub(crate) const HEDGE_DELAY_MS: OptionPath = OptionPath("hedge_delay_ms");
