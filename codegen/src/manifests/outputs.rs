//! The one registry of what `deploy/<app>/` holds: every file of an app is one [`Output`] row
//! of [`OUTPUTS`] — its template or function, where it goes and under which name, when the
//! service wants it and how it is checked. Rendering, validation (also of the objects an
//! overlay builds), the base kustomization's `resources` and the writer's ownership all read
//! these rows, so a new Kubernetes object is a template and one row.
//!
//! Not here: the Rust stubs, the emitted `.proto` and the descriptor sets. They are made per
//! package by the stub back ends (`Config::generate`), not per service from templates.

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, PersistentVolumeClaim, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::Resource;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::certificate::Certificate;
use super::gateway::{GrpcRoute, HttpRoute};
use super::kustomization::Kustomization;
use super::prometheus_rule::PrometheusRule;
use super::service_monitor::ServiceMonitor;
use crate::model::{self, Workload};
use crate::writer::Ownership;

/// One file of an app.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Output {
    /// What writes the file.
    pub(crate) source: Source,
    /// Where the file goes.
    pub(crate) place: Place,
    /// Its name there.
    pub(crate) file: &'static str,
    /// Whether the service asks for it.
    pub(crate) wanted: fn(&model::Service) -> bool,
    /// How the rendered file is checked.
    pub(crate) check: Check,
}

/// What writes an output file.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Source {
    /// The handlebars template `templates/<name>.yaml.hbs`, embedded; a user directory may
    /// override it. Per-environment templates (components, overlays) see the environment's view
    /// (the service's and `environment`), the others the service's.
    Template { name: &'static str, text: &'static str },
    /// A function of the model: the file's text after the generated header.
    Text(fn(&model::Service) -> String),
    /// A function of the model: the whole file, its generated marker inside (JSON has no
    /// comments).
    File(fn(&model::Service) -> String),
}

/// `Source::Template` of `templates/<name>.yaml.hbs`.
macro_rules! template {
    ($name:literal) => {
        Source::Template { name: $name, text: include_str!(concat!("../../templates/", $name, ".yaml.hbs")) }
    };
}

/// Templates that are no file of their own but included by others: `pod` (`{{> pod}}`), the
/// pod template of the Deployment and the StatefulSet; `hpa-metrics`, shared by the
/// autoscaler and the environments' patches of it; `networkpolicy-rules` (with its
/// `networkpolicy-peers`), shared by the NetworkPolicy and the environments' patches of it;
/// `route`, all of a GRPCRoute or an HTTPRoute but its kind and matches.
pub(crate) const PARTIALS: [Source; 5] = [
    template!("pod"),
    template!("hpa-metrics"),
    template!("networkpolicy-rules"),
    template!("networkpolicy-peers"),
    template!("route"),
];

/// The service's OpenAPI document (`{}` when it has none: then the file is not wanted).
fn openapi(service: &model::Service) -> Value {
    service.openapi.as_deref().and_then(|text| serde_json::from_str(text).ok()).unwrap_or_default()
}

/// The service's descriptor record (`{}` when it has none: then the file is not wanted).
fn record(service: &model::Service) -> Value {
    service.descriptor.as_deref().and_then(|text| serde_json::from_str(text).ok()).unwrap_or_default()
}

/// Where an output file goes, relative to `deploy/<app>/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// `base/<file>`, listed in the base kustomization's `resources`.
    Resource,
    /// `base/<file>`, not a resource (the kustomization itself, the service config).
    Base,
    /// `components/<environment>/<file>`, once per environment.
    Component,
    /// `overlays/<environment>/<file>`, once per environment: seeded once, then the user's.
    Overlay,
    /// `<file>` beside `base/` (the Dockerfile).
    Image,
    /// `<file>` beside `base/`, seeded once (the Dockerfile's ignore file).
    ImageSeed,
}

impl Place {
    /// Every place, in the order files are produced.
    pub(crate) const ALL: [Place; 6] =
        [Place::Resource, Place::Base, Place::Component, Place::Overlay, Place::Image, Place::ImageSeed];

    /// The directory under `deploy/<app>/` (the environment's below it, when per environment).
    pub(crate) fn dir(self) -> &'static str {
        match self {
            Place::Resource | Place::Base => "base",
            Place::Component => "components",
            Place::Overlay => "overlays",
            Place::Image | Place::ImageSeed => "",
        }
    }

    /// Whether each environment has its own copy.
    pub(crate) fn per_environment(self) -> bool {
        matches!(self, Place::Component | Place::Overlay)
    }

    /// Generated files follow the source on every run and carry the header; seeds are the user's.
    pub(crate) fn ownership(self) -> Ownership {
        match self {
            Place::Overlay | Place::ImageSeed => Ownership::Seed,
            _ => Ownership::Generated,
        }
    }
}

/// How a rendered output is checked before anything is written.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Check {
    /// Read into its typed object and compared with its re-serialization ([`super::validate`]).
    Typed(Typed),
    /// A kustomize patch or a user's starting point: kustomize checks it when it builds an
    /// overlay.
    Kustomize,
    /// Written from typed code, not from a template.
    Code,
}

/// A typed Kubernetes object: its `kind` and its round trip through its Rust type.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Typed {
    pub(crate) kind: &'static str,
    /// The object's re-serialization, or the path and reason of the field that does not parse.
    pub(crate) round_trip: fn(&Value) -> Result<Value, (String, String)>,
}

/// The check of a k8s-openapi object.
const fn k8s<T: Resource + DeserializeOwned + Serialize>() -> Check {
    Check::Typed(Typed { kind: T::KIND, round_trip: super::validate::round_trip::<T> })
}

/// The check of an object kuberpc types itself (custom resources, the kustomization).
const fn own<T: DeserializeOwned + Serialize>(kind: &'static str) -> Check {
    Check::Typed(Typed { kind, round_trip: super::validate::round_trip::<T> })
}

/// Every output file of an app, in the order a place lists them; base resources in the order
/// `kustomization.yaml` lists them.
#[rustfmt::skip]
pub(crate) const OUTPUTS: &[Output] = &[
    Output { source: template!("serviceaccount"), place: Place::Resource, file: "serviceaccount.yaml", wanted: |_| true, check: k8s::<ServiceAccount>() },
    Output { source: template!("certificate"), place: Place::Resource, file: "certificate.yaml", wanted: |s| s.deploy.mtls.is_some(), check: own::<Certificate>("Certificate") },
    Output { source: template!("configmap"), place: Place::Resource, file: "configmap.yaml", wanted: |s| !s.deploy.env.is_empty(), check: k8s::<ConfigMap>() },
    Output { source: template!("deployment"), place: Place::Resource, file: "deployment.yaml", wanted: |s| s.deploy.workload == Workload::Deployment, check: k8s::<Deployment>() },
    Output { source: template!("statefulset"), place: Place::Resource, file: "statefulset.yaml", wanted: |s| s.deploy.workload == Workload::StatefulSet, check: k8s::<StatefulSet>() },
    Output { source: template!("service"), place: Place::Resource, file: "service.yaml", wanted: |_| true, check: k8s::<Service>() },
    Output { source: template!("service-headless"), place: Place::Resource, file: "service-headless.yaml", wanted: |_| true, check: k8s::<Service>() },
    Output { source: template!("pdb"), place: Place::Resource, file: "pdb.yaml", wanted: |s| s.deploy.max_replicas() >= 2, check: k8s::<PodDisruptionBudget>() },
    Output { source: template!("networkpolicy"), place: Place::Resource, file: "networkpolicy.yaml", wanted: |_| true, check: k8s::<NetworkPolicy>() },
    Output { source: template!("hpa"), place: Place::Resource, file: "hpa.yaml", wanted: |s| s.deploy.autoscale.is_some(), check: k8s::<HorizontalPodAutoscaler>() },
    Output { source: template!("ingress"), place: Place::Resource, file: "ingress.yaml", wanted: |s| s.deploy.ingress.is_some(), check: k8s::<Ingress>() },
    // Gateway API allows no GRPCRoute beside an HTTPRoute for one host name: a port that
    // speaks HTTP/1.1 too (gRPC-Web, REST) gets an HTTPRoute, which carries native gRPC as well.
    Output { source: template!("grpcroute"), place: Place::Resource, file: "grpcroute.yaml", wanted: |s| s.deploy.gateway.is_some() && !s.speaks_http1(), check: own::<GrpcRoute>("GRPCRoute") },
    Output { source: template!("httproute"), place: Place::Resource, file: "httproute.yaml", wanted: |s| s.deploy.gateway.is_some() && s.speaks_http1(), check: own::<HttpRoute>("HTTPRoute") },
    Output { source: template!("servicemonitor"), place: Place::Resource, file: "servicemonitor.yaml", wanted: |s| s.deploy.observability.service_monitor, check: own::<ServiceMonitor>("ServiceMonitor") },
    // A StatefulSet claims its volumes through volumeClaimTemplates instead.
    Output { source: template!("pvc"), place: Place::Resource, file: "pvc.yaml", wanted: |s| s.deploy.storage.is_some() && s.deploy.workload == Workload::Deployment, check: k8s::<PersistentVolumeClaim>() },
    Output { source: Source::File(crate::service_config::file), place: Place::Base, file: crate::service_config::FILE, wanted: |_| true, check: Check::Code },
    // OpenAPI allows no member but its own and `x-` extensions: the marker is `x-kuberpc`.
    Output { source: Source::File(|s| crate::header::json_file("x-kuberpc", &s.source_file, &s.full_name, openapi(s))), place: Place::Base, file: "openapi.json", wanted: |s| s.openapi.is_some(), check: Check::Code },
    // Grafana's dashboard model has its own `description`: the marker is there.
    Output { source: Source::File(super::dashboard::file), place: Place::Base, file: "dashboard.json", wanted: |s| s.deploy.observability.metrics_port.is_some(), check: Check::Code },
    // The record of the service's protos, the reference of the next change's check.
    Output { source: Source::File(|s| crate::header::json_file(crate::proto::record::MARKER, &s.source_file, &s.full_name, record(s))), place: Place::Base, file: "descriptor.json", wanted: |s| s.descriptor.is_some(), check: Check::Code },
    Output { source: template!("kustomization"), place: Place::Base, file: "kustomization.yaml", wanted: |_| true, check: own::<Kustomization>("Kustomization") },
    Output { source: template!("component-kustomization"), place: Place::Component, file: "kustomization.yaml", wanted: |_| true, check: Check::Kustomize },
    Output { source: template!("component-replicas"), place: Place::Component, file: "replicas.yaml", wanted: |_| true, check: Check::Kustomize },
    Output { source: template!("component-resources"), place: Place::Component, file: "resources.yaml", wanted: |_| true, check: Check::Kustomize },
    Output { source: template!("component-networkpolicy"), place: Place::Component, file: "networkpolicy.yaml", wanted: |_| true, check: Check::Kustomize },
    Output { source: template!("slo-rules"), place: Place::Component, file: "slo-rules.yaml", wanted: |s| s.has_objectives(), check: own::<PrometheusRule>("PrometheusRule") },
    Output { source: template!("component-calls"), place: Place::Component, file: "calls.yaml", wanted: |s| !s.deploy.calls.is_empty(), check: Check::Kustomize },
    Output { source: template!("overlay-kustomization"), place: Place::Overlay, file: "kustomization.yaml", wanted: |_| true, check: Check::Kustomize },
    Output { source: template!("overlay-namespace"), place: Place::Overlay, file: "namespace.yaml", wanted: |_| true, check: k8s::<Namespace>() },
    Output { source: Source::Text(crate::dockerfile::dockerfile), place: Place::Image, file: crate::dockerfile::FILE, wanted: |_| true, check: Check::Code },
    Output { source: Source::Text(|_| crate::dockerfile::dockerignore()), place: Place::ImageSeed, file: crate::dockerfile::IGNORE_FILE, wanted: |_| true, check: Check::Code },
];

/// Every embedded template, by name: the partials and each output's.
pub(crate) fn templates() -> impl Iterator<Item = (&'static str, &'static str)> {
    PARTIALS.into_iter().chain(OUTPUTS.iter().map(|o| o.source)).filter_map(|source| match source {
        Source::Template { name, text } => Some((name, text)),
        Source::Text(_) | Source::File(_) => None,
    })
}

/// The typed check of `kind`, for objects that come back from a kustomize build.
pub(crate) fn typed(kind: &str) -> Option<Typed> {
    OUTPUTS.iter().find_map(|o| match o.check {
        Check::Typed(typed) if typed.kind == kind => Some(typed),
        _ => None,
    })
}
