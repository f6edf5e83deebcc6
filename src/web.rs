//! gRPC-Web on the gRPC port (`DEPLOY.web`): browsers call the unary and server-streaming
//! methods over HTTP/1.1 or HTTP/2 with `application/grpc-web(+proto)` or
//! `application/grpc-web-text` (tonic-web translates each call into gRPC for the same stack of
//! spans, metrics, deadlines and authorization as native calls), and CORS answers the
//! preflights of pages on the allowed origins.
//!
//! Native gRPC calls (HTTP/2, `application/grpc`) do not go through either ([`WebDispatch`]):
//! one header read tells them apart, so gRPC costs next to nothing more with `web` on.
//!
//! The origins are the service's `web.origins`, or an environment's, which its manifests set
//! in [`WEB_ORIGINS_ENV`] (comma-separated). A preflight from any other origin gets no
//! `access-control-allow-origin`, so the browser refuses to send the call; a call without an
//! `Origin` (a same-origin page, a client that is not a browser) is served.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::future::Either;
use http::{header, HeaderName, HeaderValue, Method, Version};
use kuberpc_spec::{origin_problem, Web, WEB_ORIGINS_ENV};
use tonic::body::Body;
use tonic_web::{GrpcWebLayer, GrpcWebService};
use tower::util::Oneshot;
use tower::{Layer, Service, ServiceExt};
use tower_http::cors::{AllowOrigin, Cors, CorsLayer};

/// Headers a page's gRPC-Web client sends (what the grpc-web and Connect clients set).
const ALLOW_HEADERS: [&str; 6] =
    ["content-type", "x-grpc-web", "x-user-agent", "grpc-timeout", "grpc-accept-encoding", "authorization"];
/// Headers a page may read from the answer: the status when it comes in the headers (an error
/// before any message), and the grpc-web trailers' names.
const EXPOSE_HEADERS: [&str; 3] = ["grpc-status", "grpc-message", "grpc-status-details-bin"];
/// How long a browser may keep a preflight's answer.
const MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// Why the origins cannot be served: the variable's value and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginsError(String);

impl std::fmt::Display for OriginsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OriginsError {}

/// The origins this process serves: [`WEB_ORIGINS_ENV`] when set, else the service's.
pub(crate) fn origins(web: &Web) -> Result<Vec<String>, OriginsError> {
    match std::env::var(WEB_ORIGINS_ENV) {
        Ok(value) => parse_origins(&value),
        Err(_) => Ok(web.origins.iter().map(|origin| origin.to_string()).collect()),
    }
}

/// The origins in a comma-separated list; each must be an origin (see [`origin_problem`]).
fn parse_origins(value: &str) -> Result<Vec<String>, OriginsError> {
    let origins: Vec<String> =
        value.split(',').map(str::trim).filter(|origin| !origin.is_empty()).map(String::from).collect();
    for origin in &origins {
        if let Some(problem) = origin_problem(origin) {
            return Err(OriginsError(format!("{WEB_ORIGINS_ENV}: {origin:?} {problem}")));
        }
    }
    Ok(origins)
}

/// `grpc` behind gRPC-Web and CORS for pages on `origins`, native gRPC calls straight to it.
pub(crate) fn serve<S>(origins: &[String], grpc: S) -> WebDispatch<S> {
    WebDispatch { grpc, cors: Arc::new(cors(origins)) }
}

/// Sends native gRPC calls to `grpc`, everything else (gRPC-Web, CORS preflights, HTTP/1.1)
/// through CORS and gRPC-Web to it. Cloned for every call (a connection's service is), so the
/// web half is put together only for the calls that take it.
#[derive(Debug, Clone)]
pub(crate) struct WebDispatch<S> {
    grpc: S,
    cors: Arc<CorsLayer>,
}

/// A native gRPC call: HTTP/2 with `application/grpc` or `application/grpc+<codec>` (gRPC-Web's
/// content types start `application/grpc-web`).
fn is_native_grpc(request: &http::Request<Body>) -> bool {
    let content_type = request.headers().get(header::CONTENT_TYPE).map(HeaderValue::as_bytes);
    request.version() == Version::HTTP_2
        && content_type.is_some_and(|t| t == b"application/grpc" || t.starts_with(b"application/grpc+"))
}

impl<S> Service<http::Request<Body>> for WebDispatch<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible> + Clone,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Either<S::Future, Oneshot<Cors<GrpcWebService<S>>, http::Request<Body>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.grpc.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        if is_native_grpc(&request) {
            Either::Left(self.grpc.call(request))
        } else {
            let web = self.cors.layer(GrpcWebLayer::new().layer(self.grpc.clone()));
            Either::Right(web.oneshot(request))
        }
    }
}

/// CORS for gRPC-Web calls from pages on `origins` (`*`: any page).
fn cors(origins: &[String]) -> CorsLayer {
    let allow_origin = if origins.iter().any(|origin| origin == "*") {
        AllowOrigin::any()
    } else {
        // Each was checked by `origin_problem`: printable ASCII, a valid header value.
        AllowOrigin::list(origins.iter().filter_map(|origin| HeaderValue::from_str(origin).ok()))
    };
    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([Method::POST])
        .allow_headers(ALLOW_HEADERS.map(HeaderName::from_static))
        .expose_headers(EXPOSE_HEADERS.map(HeaderName::from_static))
        .max_age(MAX_AGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_grpc_is_told_apart_by_version_and_content_type() {
        let request = |version, content_type: &str| {
            http::Request::builder().version(version).header("content-type", content_type).body(Body::empty()).unwrap()
        };
        assert!(is_native_grpc(&request(Version::HTTP_2, "application/grpc")));
        assert!(is_native_grpc(&request(Version::HTTP_2, "application/grpc+proto")));
        assert!(!is_native_grpc(&request(Version::HTTP_2, "application/grpc-web+proto")));
        assert!(!is_native_grpc(&request(Version::HTTP_2, "application/grpc-web-text")));
        assert!(!is_native_grpc(&request(Version::HTTP_11, "application/grpc")));
        assert!(!is_native_grpc(&request(Version::HTTP_2, "application/json")));
    }

    #[test]
    fn a_list_of_origins_is_read_and_checked() {
        assert_eq!(
            parse_origins(" https://a.example.com, http://localhost:8080 ,").unwrap(),
            ["https://a.example.com", "http://localhost:8080"]
        );
        assert_eq!(parse_origins("").unwrap(), Vec::<String>::new());
        let error = parse_origins("https://a.example.com,a.example.com").unwrap_err();
        assert!(error.0.starts_with("KUBERPC_WEB_ORIGINS: \"a.example.com\" has no scheme"), "{error}");
    }
}
