//! Every fixed default of the options, each stated once: a typed constant the resolver applies
//! (here, or beside its field for the runtime's [`Lifecycle`] and [`ClientPolicy`]), listed with
//! the option it stands in for and its value as options.proto documents it in [`all`] (a test
//! in `kuberpc-codegen` holds the documentation to it). Defaults derived from other values
//! (`<name>:latest`, `<name>-tls`, `/var/lib/<name>`) are documented in words.

use crate::{ClientPolicy, Lifecycle};

macro_rules! defaults {
    ($( $(#[doc = $doc:literal])* $name:ident: $ty:ty = $value:literal for $option:literal; )*) => {
        $( $(#[doc = $doc])* pub const $name: $ty = $value; )*

        /// `(option path, default as written in options.proto)`, one row per constant above.
        const TABLE: &[(&str, &str)] = &[$( ($option, stringify!($value)) ),*];
    };
}

defaults! {
    /// The one port: bind, containerPort, Service, probes, Ingress backend.
    PORT: u16 = 50051 for "port";
    /// Replicas when nothing autoscales.
    REPLICAS: u32 = 1 for "replicas";
    /// CPU request.
    CPU: &str = "100m" for "resources.cpu";
    /// Memory request.
    MEMORY: &str = "128Mi" for "resources.memory";
    /// Fewest replicas of an autoscaled service.
    AUTOSCALE_MIN: u32 = 1 for "autoscale.min";
    /// Target average CPU utilization of an autoscaled service.
    AUTOSCALE_CPU_PERCENT: u32 = 80 for "autoscale.cpu_percent";
    /// IngressClass.
    INGRESS_CLASS_NAME: &str = "nginx" for "ingress.class_name";
    /// Ingress path prefix.
    INGRESS_PATH: &str = "/" for "ingress.path";
    /// Namespace of the ingress controller.
    INGRESS_CONTROLLER_NAMESPACE: &str = "ingress-nginx" for "ingress.controller_namespace";
    /// Access mode of the volume.
    STORAGE_ACCESS_MODE: &str = "ReadWriteOnce" for "storage.access_mode";
    /// The cargo binary the image runs.
    CONTAINER_BINARY: &str = "server" for "container.binary";
    /// The Rust toolchain of the build stage.
    CONTAINER_RUST_VERSION: &str = "1" for "container.rust_version";
    /// The runtime stage's image.
    CONTAINER_RUNTIME_IMAGE: &str = "gcr.io/distroless/cc-debian12:nonroot" for "container.runtime_image";
    /// Port of the runtime's `/metrics`.
    OBSERVABILITY_METRICS_PORT: u32 = 9090 for "observability.metrics_port";
    /// The namespace allowed to scrape it.
    OBSERVABILITY_MONITORING_NAMESPACE: &str = "monitoring" for "observability.monitoring_namespace";
    /// Whether the server answers gRPC reflection.
    REFLECTION: bool = true for "reflection";
    /// The SPIFFE trust domain of mutual TLS identities.
    MTLS_TRUST_DOMAIN: &str = "cluster.local" for "mtls.trust_domain";
    /// The kind of the cert-manager issuer of the pods' certificates.
    MTLS_ISSUER_KIND: &str = "ClusterIssuer" for "mtls.issuer.kind";
    /// The name of that issuer.
    MTLS_ISSUER_NAME: &str = "kuberpc-ca" for "mtls.issuer.name";
    /// The API group of that issuer.
    MTLS_ISSUER_GROUP: &str = "cert-manager.io" for "mtls.issuer.group";
    /// The percentage of calls that must succeed, under `slo`.
    SLO_AVAILABILITY: f64 = 99.9 for "slo.availability";
    /// The percentage of calls that must end within the latency threshold, under `slo`.
    SLO_LATENCY_PERCENT: f64 = 99.0 for "slo.latency_percent";
    /// The plaintext port of gRPC health, for the kubelet's probes, under mutual TLS.
    MTLS_HEALTH_PORT: u16 = 8081 for "mtls.health_port";
    /// How long a pod's certificate is valid, in hours.
    MTLS_CERTIFICATE_HOURS: u32 = 24 for "mtls.certificate_hours";
}

/// Every fixed default: `(option path, default as written in options.proto)`.
pub fn all() -> impl Iterator<Item = (&'static str, &'static str)> {
    [TABLE, Lifecycle::DEFAULTS, ClientPolicy::DEFAULTS].into_iter().flatten().copied()
}
