//! gRPC-Web on the gRPC port (`DEPLOY.web`): browsers call the unary and server-streaming
//! methods over HTTP/1.1 or HTTP/2 with `application/grpc-web(+proto)` or
//! `application/grpc-web-text` (tonic-web translates each call into gRPC for the same stack of
//! spans, metrics, deadlines and authorization as native calls), and CORS answers the
//! preflights of pages on the allowed origins.
//!
//! Native gRPC calls (HTTP/2, `application/grpc`) do not go through either (`crate::dispatch`):
//! one header read tells them apart, so gRPC costs next to nothing more with `web` on. The same
//! CORS admits pages' REST calls ([`crate::rest`]) when the service has both.
//!
//! The origins are the service's `web.origins`, or an environment's, which its manifests set
//! in [`WEB_ORIGINS_ENV`] (comma-separated). A preflight from any other origin gets no
//! `access-control-allow-origin`, so the browser refuses to send the call; a call without an
//! `Origin` (a same-origin page, a client that is not a browser) is served.

use std::env::VarError;
use std::time::Duration;

use http::{HeaderName, HeaderValue, Method};
use kuberpc_spec::{origins_problems, Deploy, WEB_ORIGINS_ENV};
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

/// The origins a server of `deploy` serves: `chosen` (the server's builder), else
/// [`WEB_ORIGINS_ENV`] when set, else the service's; `None` when the service has no `web`.
/// Each is checked as the generator checks the source's; `web` with `mtls` is refused, as the
/// generator refuses it.
pub(crate) fn origins(
    deploy: &Deploy,
    chosen: Option<&[String]>,
    env: impl FnOnce(&str) -> Result<String, VarError>,
) -> Result<Option<Vec<String>>, OriginsError> {
    let Some(web) = &deploy.web else {
        return match chosen {
            Some(_) => {
                Err(OriginsError(format!("{} has no `web`: there is no gRPC-Web to admit origins to", deploy.app)))
            }
            None => Ok(None),
        };
    };
    if deploy.mtls.is_some() {
        let why = "a browser presents no client certificate, which mutual TLS requires";
        return Err(OriginsError(format!("{} has both mtls and web: {why}", deploy.app)));
    }
    let origins = match (chosen, env(WEB_ORIGINS_ENV)) {
        (Some(chosen), _) => chosen.to_vec(),
        (None, Ok(value)) => value.split(',').map(str::trim).filter(|o| !o.is_empty()).map(String::from).collect(),
        (None, Err(VarError::NotPresent)) => web.origins.iter().map(|origin| origin.to_string()).collect(),
        (None, Err(VarError::NotUnicode(_))) => {
            return Err(OriginsError(format!("{WEB_ORIGINS_ENV} is not UTF-8")));
        }
    };
    let from = if chosen.is_some() { "web_origins" } else { WEB_ORIGINS_ENV };
    match origins_problems(&origins).into_iter().next() {
        Some(problem) => Err(OriginsError(format!("{from}: {problem}"))),
        None => Ok(Some(origins)),
    }
}

/// POST (gRPC-Web's), then each of `rest` not already named.
fn methods(rest: Vec<Method>) -> Vec<Method> {
    let mut methods = vec![Method::POST];
    methods.extend(rest.into_iter().filter(|method| *method != Method::POST));
    methods
}

/// CORS for gRPC-Web calls (and REST calls by `rest_methods`) from pages on `origins` (`*`: any
/// page).
pub(crate) fn cors(origins: &[String], rest_methods: Vec<Method>) -> CorsLayer {
    let allow_origin = if origins.iter().any(|origin| origin == "*") {
        AllowOrigin::any()
    } else {
        // Each was checked by `origin_problem`: printable ASCII, a valid header value.
        AllowOrigin::list(origins.iter().filter_map(|origin| HeaderValue::from_str(origin).ok()))
    };
    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods(methods(rest_methods))
        .allow_headers(ALLOW_HEADERS.map(HeaderName::from_static))
        .expose_headers(EXPOSE_HEADERS.map(HeaderName::from_static))
        .max_age(MAX_AGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_come_from_the_builder_else_the_variable_else_the_source() {
        static SOURCE: &[&str] = &["https://app.example.com"];
        let web = Deploy { web: Some(kuberpc_spec::Web { origins: SOURCE }), ..DEPLOY };
        let unset = |_: &str| Err(VarError::NotPresent);
        let set = |value: &'static str| move |name: &str| Ok::<_, VarError>(format!("{value}{}", &name[..0]));
        assert_eq!(origins(&web, None, unset).unwrap().unwrap(), SOURCE);
        let read = origins(&web, None, set(" https://a.example.com, http://localhost:8080 ,")).unwrap().unwrap();
        assert_eq!(read, ["https://a.example.com", "http://localhost:8080"]);
        assert_eq!(origins(&web, None, set("")).unwrap().unwrap(), Vec::<String>::new());
        let chosen = ["http://page.test".to_string()];
        assert_eq!(origins(&web, Some(&chosen), set("https://b.example.com")).unwrap().unwrap(), chosen);

        let error = origins(&web, None, set("https://a.example.com,a.example.com")).unwrap_err();
        assert!(error.0.starts_with("KUBERPC_WEB_ORIGINS: \"a.example.com\" has no scheme"), "{error}");
        let error = origins(&web, Some(&["*".into(), "https://a.example.com".into()]), unset).unwrap_err();
        assert!(error.0.contains("stands alone"), "{error}");
        let not_unicode = |_: &str| Err(VarError::NotUnicode(std::ffi::OsString::new()));
        assert!(origins(&web, None, not_unicode).is_err());
        // A service without `web` serves none, and refuses origins given to it.
        assert_eq!(origins(&DEPLOY, None, set("https://a.example.com")).unwrap(), None);
        assert!(origins(&DEPLOY, Some(&chosen), unset).is_err());
        let mtls = Some(kuberpc_spec::MutualTls { trust_domain: "cluster.local", health_port: 8081 });
        assert!(origins(&Deploy { mtls, ..web }, None, unset).unwrap_err().0.contains("both mtls and web"));
    }

    static DEPLOY: Deploy = Deploy {
        app: "site",
        service: "site.v1.Site",
        port: 50051,
        headless_service: "site-headless",
        reflection: true,
        lifecycle: kuberpc_spec::Lifecycle::DEFAULT,
        methods: &[],
        client: kuberpc_spec::ClientPolicy::DEFAULT,
        mtls: None,
        callers: &[],
        web: None,
        rest: &[],
    };
}
