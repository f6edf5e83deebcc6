//! gRPC-Web on the gRPC port (`DEPLOY.web`): browsers call the unary and server-streaming
//! methods over HTTP/1.1 or HTTP/2 with `application/grpc-web(+proto)` or
//! `application/grpc-web-text` (tonic-web translates each call into gRPC for the same stack of
//! spans, metrics, deadlines and authorization as native calls), and CORS answers the
//! preflights of pages on the allowed origins.
//!
//! The origins are the service's `web.origins`, or an environment's, which its manifests set
//! in [`WEB_ORIGINS_ENV`] (comma-separated). A preflight from any other origin gets no
//! `access-control-allow-origin`, so the browser refuses to send the call; a call without an
//! `Origin` (a same-origin page, a client that is not a browser) is served.

use std::time::Duration;

use http::{HeaderName, HeaderValue, Method};
use kuberpc_spec::{origin_problem, Web, WEB_ORIGINS_ENV};
use tower_http::cors::{AllowOrigin, CorsLayer};

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

/// CORS for gRPC-Web calls from pages on `origins` (`*`: any page).
pub(crate) fn cors(origins: &[String]) -> CorsLayer {
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
