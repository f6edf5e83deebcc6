//! Typed `gateway.networking.k8s.io/v1` GRPCRoute and HTTPRoute, for the same round-trip
//! validation as the k8s-openapi objects.
//!
//! k8s-openapi does not cover the Gateway API, and the `gateway-api` crate pins another
//! k8s-openapi release (and kube); these structs follow the v1 schemas for the fields a route
//! uses, with `deny_unknown_fields` so a misspelling is an error. Filters are kept as
//! free-form JSON. The two kinds share all but their rules: [`Route`] over the rule type.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};

/// A route object whose rules are `R`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Route<R> {
    api_version: ApiVersion,
    kind: Kind,
    metadata: ObjectMeta,
    spec: RouteSpec<R>,
}

/// A GRPCRoute object: native gRPC only, matched by service and method.
pub(crate) type GrpcRoute = Route<GrpcRouteRule>;

/// An HTTPRoute object: any HTTP request, matched by path (a service that also speaks
/// HTTP/1.1: gRPC-Web and REST beside native gRPC).
pub(crate) type HttpRoute = Route<HttpRouteRule>;

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum ApiVersion {
    #[serde(rename = "gateway.networking.k8s.io/v1")]
    V1,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum Kind {
    #[serde(rename = "GRPCRoute")]
    GrpcRoute,
    #[serde(rename = "HTTPRoute")]
    HttpRoute,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RouteSpec<R> {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    parent_refs: Option<Vec<ParentReference>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hostnames: Option<Vec<String>>,
    #[serde(default = "Option::default", skip_serializing_if = "Option::is_none")]
    rules: Option<Vec<R>>,
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
pub(crate) struct GrpcRouteRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    matches: Option<Vec<GrpcRouteMatch>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    filters: Option<Vec<serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    backend_refs: Option<Vec<BackendRef>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct HttpRouteRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    matches: Option<Vec<HttpRouteMatch>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    filters: Option<Vec<serde_json::Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    backend_refs: Option<Vec<BackendRef>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    timeouts: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct HttpRouteMatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    path: Option<HttpPathMatch>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    headers: Option<Vec<HeaderMatch>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    query_params: Option<Vec<HeaderMatch>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    method: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct HttpPathMatch {
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    match_type: Option<PathMatchType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    value: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum PathMatchType {
    Exact,
    PathPrefix,
    RegularExpression,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct GrpcRouteMatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    method: Option<GrpcMethodMatch>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    headers: Option<Vec<HeaderMatch>>,
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
struct HeaderMatch {
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    match_type: Option<MatchType>,
    name: String,
    value: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct BackendRef {
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

/// A route rule's backends.
pub(crate) trait RouteRule {
    fn backend_refs(&self) -> &[BackendRef];
}

impl RouteRule for GrpcRouteRule {
    fn backend_refs(&self) -> &[BackendRef] {
        self.backend_refs.as_deref().unwrap_or_default()
    }
}

impl RouteRule for HttpRouteRule {
    fn backend_refs(&self) -> &[BackendRef] {
        self.backend_refs.as_deref().unwrap_or_default()
    }
}

impl<R: RouteRule> Route<R> {
    /// The kind, as the object says it.
    pub(crate) fn kind(&self) -> &'static str {
        match self.kind {
            Kind::GrpcRoute => "GRPCRoute",
            Kind::HttpRoute => "HTTPRoute",
        }
    }

    /// `(service name, port)` of every backend.
    pub(crate) fn backends(&self) -> impl Iterator<Item = (&str, Option<i32>)> {
        self.spec.rules.iter().flatten().flat_map(|r| r.backend_refs()).map(|b| (b.name.as_str(), b.port))
    }
}
