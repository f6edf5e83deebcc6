//! Typed `gateway.networking.k8s.io/v1` GRPCRoute, for the same round-trip validation as the
//! k8s-openapi objects.
//!
//! k8s-openapi does not cover the Gateway API, and the `gateway-api` crate pins another
//! k8s-openapi release (and kube); these structs follow the v1 GRPCRoute schema for the
//! fields a route uses, with `deny_unknown_fields` so a misspelling is an error. Filters are
//! kept as free-form JSON.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};

/// A GRPCRoute object.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct GrpcRoute {
    api_version: ApiVersion,
    kind: Kind,
    metadata: ObjectMeta,
    spec: GrpcRouteSpec,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum ApiVersion {
    #[serde(rename = "gateway.networking.k8s.io/v1")]
    V1,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum Kind {
    #[serde(rename = "GRPCRoute")]
    GrpcRoute,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct GrpcRouteSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    parent_refs: Option<Vec<ParentReference>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hostnames: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rules: Option<Vec<GrpcRouteRule>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ParentReference {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    namespace: Option<String>,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    section_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    port: Option<i32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct GrpcRouteRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    matches: Option<Vec<GrpcRouteMatch>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    filters: Option<Vec<serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    backend_refs: Option<Vec<GrpcBackendRef>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct GrpcRouteMatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    method: Option<GrpcMethodMatch>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    headers: Option<Vec<GrpcHeaderMatch>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct GrpcMethodMatch {
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    match_type: Option<MatchType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    method: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum MatchType {
    Exact,
    RegularExpression,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct GrpcHeaderMatch {
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    match_type: Option<MatchType>,
    name: String,
    value: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct GrpcBackendRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    namespace: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    port: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    weight: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    filters: Option<Vec<serde_json::Value>>,
}

impl GrpcRoute {
    /// `(service name, port)` of every backend.
    pub(crate) fn backends(&self) -> impl Iterator<Item = (&str, Option<i32>)> {
        self.spec
            .rules
            .iter()
            .flatten()
            .flat_map(|r| r.backend_refs.iter().flatten())
            .map(|b| (b.name.as_str(), b.port))
    }
}
