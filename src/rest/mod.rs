//! REST on the gRPC port (`DEPLOY.rest`, from the methods' `google.api.http` bindings): a
//! request whose HTTP method and path match a binding is transcoded into a gRPC call of its
//! method — through the same stack of spans, metrics, deadlines and authorization as native
//! calls — and the answer into JSON, by the canonical proto3 JSON mapping (prost-reflect's,
//! well-known types included).
//!
//! - The request message: the path's variables, then the body (`body: "*"`: the whole message;
//!   `body: "field"`: that field), then for the fields neither sets, the query string
//!   (`?page_size=10&filter.kind=BOOK&ids=1&ids=2`, proto or JSON names). Fields and enum names
//!   the request does not have are ignored, in the body and the query, as grpc-gateway does and
//!   as protobuf's binary form does: a client newer than the pod it reaches mid-rollout is still
//!   served. A body is at most [`MAX_BODY_BYTES`] (413 beyond), a query key at most 32 fields
//!   deep (deeper ones name no field). Not with mutual TLS: serving fails ([`RestError`]).
//! - The answer: `200` with the response message (or its `response_body` field), fields
//!   without presence written at their defaults (as `json_format` does with
//!   `always_print_fields_with_no_presence`). A server-streaming method answers one JSON object
//!   per line, `{"result": …}` per message and `{"error": …}` when the stream fails (the format
//!   grpc-gateway uses).
//! - Errors: the gRPC status's HTTP status (the mapping of grpc-gateway and Google's APIs) with a
//!   `google.rpc.Status` body, `{"code": 5, "message": "…", "details": [...]}`; a path no
//!   binding matches gets 404, a path bound for other HTTP methods only 405 with `Allow`.
//! - Headers: `authorization`, `grpc-timeout` (a deadline), `traceparent`/`tracestate` and each
//!   `grpc-metadata-<key>` (as `<key>`) go to the call as metadata.

mod request;
mod response;

use std::convert::Infallible;
use std::sync::Arc;

use http::{HeaderMap, HeaderName, HeaderValue, Method};
use kuberpc_spec::{Deploy, HttpRule, PathTemplate};
use prost_reflect::{DescriptorPool, FieldDescriptor, MessageDescriptor};
use tonic::body::Body;
use tower::{Service, ServiceExt};

pub(crate) use response::error_response;

/// The largest REST request body read (JSON), as tonic's servers read at most 4 MiB of a
/// message.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Why the REST bindings cannot be served: a method or message the descriptor sets lack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestError(String);

impl std::fmt::Display for RestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RestError {}

/// Every binding of a service, the most specific template first.
#[derive(Debug)]
pub(crate) struct Routes {
    routes: Vec<Route>,
}

/// One binding, resolved against the descriptors.
#[derive(Debug)]
struct Route {
    verb: Method,
    /// The method's HTTP/2 path.
    uri: http::Uri,
    template: PathTemplate,
    input: MessageDescriptor,
    output: MessageDescriptor,
    body: BodyField,
    response_body: Option<FieldDescriptor>,
    /// The method answers with a stream (sent as one JSON object per line).
    server_streaming: bool,
}

/// What a request's body holds.
#[derive(Debug)]
enum BodyField {
    None,
    Whole,
    Field(FieldDescriptor),
}

/// What routing found for a request.
enum Found<'a> {
    Route(&'a Route, Vec<(&'a str, String)>),
    /// The path is bound, for these other HTTP methods.
    OtherMethods(Vec<&'a Method>),
    Nothing,
}

impl Routes {
    /// The routes of `deploy`'s bindings, their messages found in `descriptor_sets` (encoded
    /// `FileDescriptorSet`s); `None` when it has none.
    pub(crate) fn of(deploy: &Deploy, descriptor_sets: &[&[u8]]) -> Result<Option<Arc<Routes>>, RestError> {
        if deploy.rest.is_empty() {
            return Ok(None);
        }
        if deploy.mtls.is_some() {
            let why = "REST is not served with mutual TLS (the generator refuses the two as well)";
            return Err(RestError(format!("{} has both mtls and REST bindings: {why}", deploy.app)));
        }
        let mut pool = DescriptorPool::new();
        for set in descriptor_sets {
            pool.decode_file_descriptor_set(*set)
                .map_err(|e| RestError(format!("REST needs the service's descriptors, which do not load: {e}")))?;
        }
        let mut routes = deploy.rest.iter().map(|rule| Route::resolve(rule, &pool)).collect::<Result<Vec<_>, _>>()?;
        routes.sort_by(|a, b| a.template.specificity(&b.template));
        Ok(Some(Arc::new(Routes { routes })))
    }

    /// Every HTTP method some binding answers, for CORS.
    pub(crate) fn methods(&self) -> Vec<Method> {
        let mut methods: Vec<Method> = Vec::new();
        for route in &self.routes {
            if !methods.contains(&route.verb) {
                methods.push(route.verb.clone());
            }
        }
        methods
    }

    fn find(&self, method: &Method, path: &str) -> Found<'_> {
        let mut others = Vec::new();
        for route in &self.routes {
            if let Some(values) = route.template.matches(path) {
                if route.verb == method {
                    return Found::Route(route, values);
                }
                others.push(&route.verb);
            }
        }
        if others.is_empty() {
            Found::Nothing
        } else {
            Found::OtherMethods(others)
        }
    }
}

impl Route {
    fn resolve(rule: &'static HttpRule, pool: &DescriptorPool) -> Result<Route, RestError> {
        let missing = |what: String| RestError(format!("{} {}: {what}", rule.verb, rule.template));
        let (service, method) = rule.method.trim_start_matches('/').split_once('/').unwrap_or_default();
        let descriptor = pool
            .get_service_by_name(service)
            .and_then(|s| s.methods().find(|m| m.name() == method))
            .ok_or_else(|| missing(format!("no descriptor of {} (serve its descriptor set)", rule.method)))?;
        let (input, output) = (descriptor.input(), descriptor.output());
        let template = PathTemplate::parse(rule.template).map_err(|e| missing(e.to_string()))?;
        for variable in template.variables() {
            request::field_path(&input, variable, false)
                .ok_or_else(|| missing(format!("{} has no field {variable} a path can bind", input.full_name())))?;
        }
        let body = match rule.body {
            "" => BodyField::None,
            "*" => BodyField::Whole,
            name => BodyField::Field(
                input
                    .get_field_by_name(name)
                    .ok_or_else(|| missing(format!("{} has no field {name}", input.full_name())))?,
            ),
        };
        let response_body = match rule.response_body {
            "" => None,
            name => Some(
                output
                    .get_field_by_name(name)
                    .ok_or_else(|| missing(format!("{} has no field {name}", output.full_name())))?,
            ),
        };
        let verb = Method::from_bytes(rule.verb.as_bytes()).map_err(|e| missing(e.to_string()))?;
        let uri = http::Uri::try_from(rule.method).map_err(|e| missing(e.to_string()))?;
        Ok(Route {
            verb,
            uri,
            template,
            server_streaming: descriptor.is_server_streaming(),
            input,
            output,
            body,
            response_body,
        })
    }
}

/// Answers a REST request: routes it, calls `grpc`, and writes the answer as JSON.
pub(crate) async fn call<S>(routes: Arc<Routes>, grpc: S, request: http::Request<Body>) -> http::Response<Body>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>,
{
    let (parts, body) = request.into_parts();
    let (route, values) = match routes.find(&parts.method, parts.uri.path()) {
        Found::Route(route, values) => (route, values),
        Found::OtherMethods(allowed) => return response::method_not_allowed(&parts.method, allowed),
        Found::Nothing => {
            let message = format!("no REST binding for {} {}", parts.method, parts.uri.path());
            return error_response(tonic::Code::NotFound, &message);
        }
    };
    let message = match request::message(route, &values, parts.uri.query(), body).await {
        Ok(message) => message,
        Err(status) => return response::refused(&status),
    };
    let call = grpc_request(route, parts, message);
    let Ok(answer) = grpc.oneshot(call).await;
    response::answer(route, answer).await
}

/// The gRPC call of `route` carrying `message`, with the REST request's extensions (the
/// connection's peer) and the headers that become metadata.
fn grpc_request(route: &Route, mut parts: http::request::Parts, message: Vec<u8>) -> http::Request<Body> {
    let headers = metadata(&parts.headers);
    parts.method = Method::POST;
    parts.uri = route.uri.clone();
    parts.version = http::Version::HTTP_2;
    parts.headers = headers;
    let mut frame = Vec::with_capacity(5 + message.len());
    frame.push(0);
    frame.extend_from_slice(&u32::try_from(message.len()).unwrap_or(u32::MAX).to_be_bytes());
    frame.extend_from_slice(&message);
    http::Request::from_parts(parts, Body::new(http_body_util::Full::new(bytes::Bytes::from(frame))))
}

/// Headers passed on as the call's metadata.
const PASSED: [&str; 4] = ["authorization", "grpc-timeout", "traceparent", "tracestate"];
/// `grpc-metadata-<key>: value` becomes metadata `<key>: value`.
const METADATA_PREFIX: &str = "grpc-metadata-";

/// A key a caller may set: not one gRPC itself uses (`grpc-*`, `content-type`, `te`, …).
fn is_custom_metadata(key: &str) -> bool {
    !key.starts_with("grpc-") && !matches!(key, "content-type" | "te" | "user-agent" | "host" | "connection")
}

fn metadata(headers: &HeaderMap) -> HeaderMap {
    let mut metadata = HeaderMap::new();
    metadata.insert(http::header::CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
    metadata.insert(http::header::TE, HeaderValue::from_static("trailers"));
    for (name, value) in headers {
        let key = name.as_str();
        if PASSED.contains(&key) {
            metadata.append(name.clone(), value.clone());
        } else if let Some(key) = key.strip_prefix(METADATA_PREFIX).filter(|key| is_custom_metadata(key)) {
            if let Ok(name) = HeaderName::from_bytes(key.as_bytes()) {
                metadata.append(name, value.clone());
            }
        }
    }
    metadata
}
