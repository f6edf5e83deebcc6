//! Typed `monitoring.coreos.com/v1` ServiceMonitor (the Prometheus Operator's), for the same
//! round-trip validation as the k8s-openapi objects.
//!
//! k8s-openapi does not cover the operator's resources; these structs follow the v1 schema for
//! the fields kuberpc writes, with `deny_unknown_fields` so a misspelling is an error.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use serde::{Deserialize, Serialize};

/// A ServiceMonitor object.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct ServiceMonitor {
    api_version: ApiVersion,
    kind: Kind,
    metadata: ObjectMeta,
    spec: ServiceMonitorSpec,
}

/// The Prometheus Operator's API version (its PrometheusRule's too).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(super) enum ApiVersion {
    #[serde(rename = "monitoring.coreos.com/v1")]
    V1,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum Kind {
    ServiceMonitor,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ServiceMonitorSpec {
    selector: LabelSelector,
    endpoints: Vec<Endpoint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    job_label: Option<String>,
}

/// One scraped port of the selected Services.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Endpoint {
    /// A Service port name.
    port: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scheme: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    interval: Option<String>,
}

impl ServiceMonitor {
    /// The labels a Service must carry to be scraped.
    pub(crate) fn match_labels(&self) -> BTreeMap<String, String> {
        self.spec.selector.match_labels.clone().unwrap_or_default()
    }

    /// The Service port names it scrapes.
    pub(crate) fn ports(&self) -> impl Iterator<Item = &str> {
        self.spec.endpoints.iter().map(|e| e.port.as_str())
    }
}
