//! The one owned model every front end builds and every back end reads:
//! [`Package`] → [`Service`] → [`Method`], plus a resolved [`Deploy`] spec per service.
//!
//! Invariant: a model handed to a back end has passed the cross-field rules (`model_rules`);
//! every default is already filled in, so back ends never decide policy. The types are
//! `#[non_exhaustive]`: a new option adds a field without breaking a reader. Those the
//! manifest templates read as they are are `Serialize` (feature `build`): the view holds them.

use std::collections::BTreeMap;

pub use kuberpc_spec::{ClientPolicy, Lifecycle, MethodPolicy};

use crate::error::Spans;

/// One protobuf package (or, for the trait front end, one annotated module).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Package {
    /// Protobuf package name, e.g. `greeter.v1` (may be empty).
    pub name: String,
    /// The services of the package, in declaration order.
    pub services: Vec<Service>,
}

/// One gRPC service; each becomes its own Kubernetes app.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Service {
    /// Name as written in the source, e.g. `Greeter`.
    pub name: String,
    /// Fully qualified protobuf name, e.g. `greeter.v1.Greeter`.
    pub full_name: String,
    /// The file the service was declared in, as named in generated headers.
    pub source_file: String,
    /// The RPCs, in declaration order.
    pub methods: Vec<Method>,
    /// How the service is deployed, defaults resolved.
    pub deploy: Deploy,
    /// The OpenAPI 3.1 document of its REST bindings (JSON), when it has any (the proto front
    /// end only: it has the message types).
    pub openapi: Option<String>,
    /// The record of its protos (`base/descriptor.json`, protobuf JSON of a
    /// FileDescriptorSet): its file and the imports kuberpc does not embed, options kept,
    /// source info left out — what `kuberpc check --against` compares the next change with
    /// (the proto front end only).
    pub descriptor: Option<String>,
    /// Where the service and each of its options were written.
    pub spans: Spans,
}

impl Service {
    /// Whether the port speaks HTTP/1.1 beside HTTP/2: for gRPC-Web or REST (what
    /// `kuberpc_spec::Deploy::speaks_http1` says of the deployment generated from it).
    pub fn speaks_http1(&self) -> bool {
        self.deploy.web.is_some() || self.rest_rules().next().is_some()
    }

    /// Every REST binding of its methods, in declaration order.
    pub fn rest_rules(&self) -> impl Iterator<Item = &kuberpc_spec::HttpRule<String>> {
        self.methods.iter().flat_map(|method| &method.rest)
    }

    /// Whether any method has service-level objectives (`slo`).
    pub fn has_objectives(&self) -> bool {
        self.methods.iter().any(|method| method.slo.is_some())
    }
}

/// One RPC.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Method {
    /// Wire name, e.g. `SayHello`.
    pub name: String,
    /// Its path, streaming kind and call policy, as the runtime reads them.
    pub policy: MethodPolicy<String>,
    /// Its REST bindings (`google.api.http`; the proto front end only).
    pub rest: Vec<kuberpc_spec::HttpRule<String>>,
    /// Its service-level objectives (`slo`, the service's and its own), if it has any.
    pub slo: Option<Slo>,
    /// Where the method and each of its options were written.
    pub spans: Spans,
}

/// The service-level objectives of one method, over 30 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Slo {
    /// The share of calls that must succeed (`slo.availability`).
    pub availability: Millionths,
    /// The latency objective, for a method that does not stream.
    pub latency: Option<LatencyObjective>,
}

/// "`share` of the calls end within `threshold_ms`" (`slo.latency_percent`, `slo.latency_ms`;
/// the threshold is also the method's [`MethodPolicy::latency_objective_ms`], which the
/// runtime reads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatencyObjective {
    /// The share of calls that must end within the threshold.
    pub share: Millionths,
    /// The threshold, in milliseconds.
    pub threshold_ms: u64,
}

/// A share of calls in millionths (99.9 % is 999,000), so objectives are compared and written
/// exactly, with no float rounding in a rule's threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Millionths(pub u32);

impl Millionths {
    /// All of them.
    pub const ALL: u32 = 1_000_000;

    /// The share as a percentage, shortest form: `99.9`.
    pub fn percent(self) -> String {
        decimal(u64::from(self.0), 4)
    }

    /// The share as a ratio: `0.999` for 99.9 %.
    pub fn ratio(self) -> String {
        decimal(u64::from(self.0), 6)
    }

    /// What may miss the objective, as a ratio: `0.001` for 99.9 % (the error budget).
    pub fn budget_ratio(self) -> String {
        decimal(u64::from(Self::ALL.saturating_sub(self.0)), 6)
    }

    /// The error budget times `factor` (a burn rate) and one part in a billion more, as a
    /// ratio: `0.0144000000144` for 99.9 % at 14.4 (`factor_tenths` = 144). The margin keeps a
    /// share exactly at the objective, once the rates' float arithmetic has rounded it, from
    /// reading as a burn above it.
    pub fn burn_threshold(self, factor_tenths: u64) -> String {
        decimal(u64::from(Self::ALL.saturating_sub(self.0)) * factor_tenths * 1_000_000_001, 16)
    }
}

/// `value / 10^scale` in decimal, without trailing zeros.
fn decimal(value: u64, scale: u32) -> String {
    let unit = 10u64.pow(scale);
    let fraction = format!("{:0width$}", value % unit, width = scale as usize);
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        (value / unit).to_string()
    } else {
        format!("{}.{fraction}", value / unit)
    }
}

/// Name of the headless Service of `app`, over which clients balance across pods.
pub fn headless_service_name(app: &str) -> String {
    format!("{app}-headless")
}

/// The HTTP/2 path of `method` of `service`: `/greeter.v1.Greeter/SayHello`.
pub fn method_path(service_full_name: &str, method: &str) -> String {
    format!("/{service_full_name}/{method}")
}

/// The resolved deployment of one service.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Deploy {
    /// App name: directory and object name, a DNS-1123 label.
    pub app: String,
    /// Container image reference.
    pub image: String,
    /// The single port of the service (bind, containerPort, Service, probes, Ingress); a
    /// `u16`, so no port outside 1–65535 can reach the runtime or the manifests.
    pub port: u16,
    /// Replica count; only rendered when no autoscaler owns the scale.
    pub replicas: u32,
    /// Container requests and limits.
    pub resources: Resources,
    /// Horizontal autoscaling.
    pub autoscale: Option<Autoscale>,
    /// Ingress in front of the service.
    pub ingress: Option<Ingress>,
    /// Persistent volume.
    pub storage: Option<Storage>,
    /// Container environment, sorted by name.
    pub env: BTreeMap<String, String>,
    /// The workload kind that runs the pods.
    pub workload: Workload,
    /// How a pod stops: the drain, then the rest of the grace period.
    pub lifecycle: Lifecycle,
    /// Gateway API route.
    pub gateway: Option<Gateway>,
    /// Arguments of the server container.
    pub args: Vec<String>,
    /// Annotations of the pod template, sorted by key.
    pub pod_annotations: BTreeMap<String, String>,
    /// Node selection and priority of the pods.
    pub scheduling: Scheduling,
    /// The environments, each with its component and seeded overlay.
    pub environments: Vec<Environment>,
    /// Secrets loaded as environment variables.
    pub secret_env: Vec<String>,
    /// Secrets mounted as files.
    pub secret_volumes: Vec<SecretVolume>,
    /// How generated clients call the service.
    pub client: ClientPolicy,
    /// How `deploy/<app>/Dockerfile` builds the image.
    pub container: ContainerBuild,
    /// What the pod exposes for monitoring.
    pub observability: Observability,
    /// Whether the server answers gRPC reflection.
    pub reflection: bool,
    /// The services this one calls, in the order written (`calls`).
    pub calls: Vec<Call>,
    /// Whether no chain of calls from this service may lead back to it.
    pub forbid_call_cycles: bool,
    /// The services of the system that call this one, by app name; filled in when the call
    /// graph is resolved (`graph`).
    pub callers: Vec<Peer>,
    /// Mutual TLS (`mtls`), when on.
    pub mtls: Option<MutualTls>,
    /// gRPC-Web (`web`), when on, with the origins of the base.
    pub web: Option<kuberpc_spec::Web<Vec<String>>>,
}

/// Mutual TLS of one service: the identity cert-manager issues to its pods and the plaintext
/// port left for the kubelet's probes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MutualTls {
    /// The SPIFFE trust domain of every identity, a DNS name.
    pub trust_domain: String,
    /// The cert-manager issuer that signs the certificates.
    pub issuer: Issuer,
    /// The port that answers only gRPC health, in plaintext, for the probes.
    pub health_port: u16,
    /// How long a certificate is valid, in hours (renewed with a third of it left).
    pub certificate_hours: u32,
}

impl MutualTls {
    /// The SPIFFE ID of the ServiceAccount `service_account` in `namespace`.
    pub fn identity(&self, namespace: &str, service_account: &str) -> String {
        kuberpc_spec::spiffe_id(&self.trust_domain, namespace, service_account)
    }
}

/// A cert-manager `issuerRef`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "build", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Issuer {
    /// `ClusterIssuer` or `Issuer`.
    pub kind: String,
    /// The issuer's name.
    pub name: String,
    /// The issuer's API group.
    pub group: String,
}

/// One `calls { … }` entry: the callee as written and, once the call graph is resolved
/// (`graph`), the service it names.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Call {
    /// The callee as written: a proto full name or an app name.
    pub service: String,
    /// The methods as written; empty: all of them.
    pub methods: Vec<String>,
    /// The service named, when the graph is resolved and it exists.
    pub callee: Option<Peer>,
}

/// The service at the other end of an edge of the call graph, as this end needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "build", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Peer {
    /// Its app name (its pods' `app.kubernetes.io/name`).
    pub app: String,
    /// Its fully qualified gRPC service name.
    pub service: String,
    /// The callee's gRPC port (for a caller: the port of this service it calls).
    pub port: u16,
    /// Its namespace in each of its environments, by environment name.
    pub namespaces: BTreeMap<String, String>,
    /// The methods called over the edge, by name; all of the callee's when none are written.
    pub methods: Vec<String>,
}

impl Peer {
    /// The peer's namespace in `environment`: its own there, else `fallback` (the namespace
    /// of this end, where a peer without that environment is deployed beside it).
    pub fn namespace_in<'a>(&'a self, environment: &str, fallback: &'a str) -> &'a str {
        self.namespaces.get(environment).map_or(fallback, String::as_str)
    }

    /// Where a caller reaches this callee: its headless Service in `namespace`, or (`None`) in
    /// the caller's own namespace by the short name; `host:port`.
    pub fn address(&self, namespace: Option<&str>) -> String {
        let headless = headless_service_name(&self.app);
        match namespace {
            Some(namespace) => format!("{headless}.{namespace}.svc.cluster.local:{}", self.port),
            None => format!("{headless}:{}", self.port),
        }
    }
}

/// What the pod exposes for monitoring.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Observability {
    /// Port of the runtime's `/metrics`; `None`: metrics off.
    pub metrics_port: Option<u16>,
    /// The namespace allowed to scrape it.
    pub monitoring_namespace: String,
    /// The OTLP/gRPC collector spans are exported to; `None`: no export.
    pub otlp_endpoint: Option<String>,
    /// The share of new traces recorded, 0 to 1, as written in `OTEL_TRACES_SAMPLER_ARG`;
    /// `None`: the SDK's default (all).
    pub sample_ratio: Option<String>,
    /// Whether a ServiceMonitor is generated.
    pub service_monitor: bool,
}

/// The image build of `deploy/<app>/Dockerfile`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ContainerBuild {
    /// The cargo binary target the image runs.
    pub binary: String,
    /// The Rust toolchain of the build stage.
    pub rust_version: String,
    /// The build stage's image.
    pub builder_image: String,
    /// The runtime stage's image.
    pub runtime_image: String,
    /// The cargo package of the binary, in a workspace.
    pub package: Option<String>,
}

/// A Secret mounted read-only into the server container.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "build", derive(serde::Serialize))]
#[non_exhaustive]
pub struct SecretVolume {
    /// The Secret's name.
    pub name: String,
    /// Where its keys appear, one file each.
    pub mount_path: String,
    /// The pod volume's name.
    pub volume: String,
}

/// One deployment environment, resolved: base values wherever the source says nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Environment {
    /// Directory name of its component and overlay.
    pub name: String,
    /// The namespace its overlay deploys into and creates.
    pub namespace: String,
    /// Replicas, when not autoscaled.
    pub replicas: u32,
    /// Autoscaling, when the service autoscales.
    pub autoscale: Option<Autoscale>,
    /// Container requests and limits.
    pub resources: Resources,
    /// The Ingress host there, when it differs from the base's.
    pub ingress_host: Option<String>,
    /// The origins whose pages may call there, when the service has `web` and they differ
    /// from the base's.
    pub web_origins: Option<Vec<String>>,
}

/// Where the pods may run and how they rank.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "build", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Scheduling {
    /// `priorityClassName`.
    pub priority_class: Option<String>,
    /// `nodeSelector`, sorted by label.
    pub node_selector: BTreeMap<String, String>,
    /// Taints the pods tolerate.
    pub tolerations: Vec<Toleration>,
}

/// One toleration: `key=value:Effect` read into the pod spec's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "build", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Toleration {
    /// The taint key.
    pub key: String,
    /// `Equal` when a value is given, `Exists` otherwise.
    pub operator: &'static str,
    /// The taint value, with `Equal`.
    pub value: Option<String>,
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`; every effect when unset.
    pub effect: Option<String>,
}

/// What runs the pods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Workload {
    /// Interchangeable pods, sharing any volume.
    Deployment,
    /// Pods with stable names, one volume each (volumeClaimTemplates).
    StatefulSet,
}

impl Workload {
    /// The Kubernetes kind.
    pub fn kind(self) -> &'static str {
        match self {
            Workload::Deployment => "Deployment",
            Workload::StatefulSet => "StatefulSet",
        }
    }
}

impl Deploy {
    /// The most replicas the workload can ever run.
    pub fn max_replicas(&self) -> u32 {
        self.autoscale.as_ref().map_or(self.replicas, |a| a.max)
    }

    /// Whether more than one pod may run at once: not with single-writer storage.
    pub fn can_scale_out(&self) -> bool {
        self.storage.as_ref().is_none_or(|s| !s.is_single_writer())
    }
}

/// Requests and limits of the server container (Kubernetes quantities).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "build", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Resources {
    /// CPU request.
    pub cpu: String,
    /// Memory request.
    pub memory: String,
    /// CPU limit.
    pub cpu_limit: String,
    /// Memory limit.
    pub memory_limit: String,
}

/// An autoscaling/v2 HorizontalPodAutoscaler.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "build", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Autoscale {
    /// Minimum replicas.
    pub min: u32,
    /// Maximum replicas.
    pub max: u32,
    /// Target average CPU utilization (percent of request).
    pub cpu_percent: Option<u32>,
    /// Target average memory utilization (percent of request).
    pub memory_percent: Option<u32>,
}

/// An Ingress routing gRPC to the service.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "build", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Ingress {
    /// Routed host name.
    pub host: String,
    /// TLS secret for the host.
    pub tls_secret: String,
    /// IngressClass.
    pub class_name: String,
    /// Path prefix.
    pub path: String,
    /// Namespace of the ingress controller (allowed by the NetworkPolicy).
    pub controller_namespace: String,
}

/// A Gateway API GRPCRoute.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Gateway {
    /// Name of the parent Gateway.
    pub parent_name: String,
    /// Namespace of the parent Gateway, when not the route's own.
    pub parent_namespace: Option<String>,
    /// Host names of the route.
    pub hostnames: Vec<String>,
    /// Namespace of the Gateway's proxies (allowed by the NetworkPolicy).
    pub controller_namespace: Option<String>,
}

/// A PersistentVolumeClaim mounted into the container.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Storage {
    /// Requested size.
    pub size: String,
    /// Mount path in the container.
    pub mount_path: String,
    /// StorageClass, or the cluster default.
    pub storage_class: Option<String>,
    /// Access mode, e.g. `ReadWriteOnce`.
    pub access_mode: String,
}

impl Storage {
    /// The volume attaches to one node (or one pod) only.
    pub fn is_single_writer(&self) -> bool {
        matches!(self.access_mode.as_str(), "ReadWriteOnce" | "ReadWriteOncePod")
    }
}
