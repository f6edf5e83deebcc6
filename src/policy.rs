//! Per-method call policy on the client side: default deadlines, bounded retries of
//! idempotent calls, and trace context propagation.
//!
//! [`PolicyChannel`] sits between a generated client and a (balanced) tonic `Channel`. When
//! the caller sets no deadline it sets `grpc-timeout` (so the server gives up too) to the
//! method's `timeout_ms`, or the service's `client.default_timeout_ms` for methods without
//! one that do not stream responses, and fails the call with DEADLINE_EXCEEDED when it
//! passes. While the target resolves to no address, calls fail at once with UNAVAILABLE
//! saying why. Calls to
//! `idempotent` methods that do not stream requests are buffered and retried on UNAVAILABLE
//! with exponential backoff, at most [`MAX_ATTEMPTS`] times and never past the deadline.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::HeaderValue;
use http_body_util::{BodyExt, Full};
use tonic::body::Body;
use tonic::transport::Channel;
use tonic::{Code, Status};
use tower::{Service, ServiceExt};

use crate::{trace, Deploy, MethodPolicy};

/// Attempts of an idempotent call, the first included.
pub const MAX_ATTEMPTS: u32 = 4;
/// Backoff before the second attempt; doubled for each further one.
const FIRST_BACKOFF: Duration = Duration::from_millis(25);

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// A channel applying each method's policy; generated clients take it like a `Channel`.
#[derive(Debug, Clone)]
pub struct PolicyChannel {
    inner: Channel,
    deploy: &'static Deploy,
    resolution: Option<Arc<Resolution>>,
}

impl PolicyChannel {
    /// Wraps `inner` with the policies of `deploy`'s methods.
    pub fn new(inner: Channel, deploy: &'static Deploy) -> Self {
        Self { inner, deploy, resolution: None }
    }

    /// Wraps a balanced `inner` whose endpoints come from `resolution`.
    pub(crate) fn resolved(inner: Channel, deploy: &'static Deploy, resolution: Arc<Resolution>) -> Self {
        Self { inner, deploy, resolution: Some(resolution) }
    }
}

/// What the last resolution of the target gave: kept by the client's resolver task, read by
/// every call.
#[derive(Debug, Default)]
pub(crate) struct Resolution(Mutex<Option<String>>);

impl Resolution {
    /// Records that the target has addresses (`None`) or why it has none.
    pub(crate) fn set(&self, problem: Option<String>) {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = problem;
    }

    fn problem(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

impl Service<http::Request<Body>> for PolicyChannel {
    type Response = http::Response<Body>;
    type Error = BoxError;
    type Future = BoxFuture<Result<Self::Response, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, mut request: http::Request<Body>) -> Self::Future {
        // The ready service is the one that was polled; keep a fresh clone for the next call.
        let fresh = self.inner.clone();
        let ready = std::mem::replace(&mut self.inner, fresh);
        let policy = self.deploy.method(request.uri().path());
        if let Some(problem) = self.resolution.as_ref().and_then(|r| r.problem()) {
            return Box::pin(async move { Ok(Status::unavailable(problem).into_http()) });
        }
        propagate_trace_context(&mut request);
        let deadline = apply_deadline(&mut request, policy, self.deploy.client.default_timeout_ms);
        let retry = policy.is_some_and(|p| p.idempotent && !p.client_streaming);
        let call = async move {
            if retry {
                call_with_retries(ready, request, deadline.map(|d| Instant::now() + d)).await
            } else {
                let mut ready = ready;
                ready.call(request).await.map_err(Into::into)
            }
        };
        Box::pin(async move {
            let Some(limit) = deadline else { return call.await };
            let response = match tokio::time::timeout(limit, call).await {
                Ok(Err(error)) if is_timeout(&*error) => return Ok(deadline_exceeded(limit)),
                Ok(response) => response?,
                Err(_) => return Ok(deadline_exceeded(limit)),
            };
            // The server enforces grpc-timeout too and reports it as CANCELLED: the
            // deadline is the client's, so say so.
            if status_in_headers(&response) == Some(Code::Cancelled) {
                return Ok(deadline_exceeded(limit));
            }
            Ok(response)
        })
    }
}

/// Adds the child of the current call's `traceparent`, unless the caller set one.
fn propagate_trace_context(request: &mut http::Request<Body>) {
    if request.headers().contains_key("traceparent") {
        return;
    }
    let child = trace::current_traceparent().and_then(|parent| trace::child_traceparent(&parent));
    if let Some(value) = child.and_then(|c| HeaderValue::from_str(&c).ok()) {
        request.headers_mut().insert("traceparent", value);
    }
}

/// The caller's deadline (`grpc-timeout`, set by `Request::set_timeout`) wins; otherwise the
/// method's `timeout_ms`, else `default_ms` unless the method streams its response, becomes
/// the header. Returns the deadline in force.
fn apply_deadline(
    request: &mut http::Request<Body>,
    policy: Option<&MethodPolicy>,
    default_ms: u64,
) -> Option<Duration> {
    if let Some(header) = request.headers().get("grpc-timeout") {
        return parse_grpc_timeout(header.to_str().ok()?);
    }
    let timeout_ms = match policy {
        Some(policy) => policy.timeout_ms.or((!policy.server_streaming).then_some(default_ms))?,
        None => default_ms,
    };
    let timeout = Duration::from_millis(timeout_ms);
    let value = HeaderValue::from_str(&format!("{}m", timeout.as_millis())).ok()?;
    request.headers_mut().insert("grpc-timeout", value);
    Some(timeout)
}

/// `grpc-timeout` values: up to 8 digits and a unit (H M S m u n).
fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount * 3600),
        "M" => Duration::from_secs(amount * 60),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

async fn call_with_retries(
    mut channel: Channel,
    request: http::Request<Body>,
    deadline: Option<Instant>,
) -> Result<http::Response<Body>, BoxError> {
    let (parts, body) = request.into_parts();
    let bytes = body.collect().await.map_err(|e| Box::new(e) as BoxError)?.to_bytes();
    let mut backoff = FIRST_BACKOFF;
    for attempt in 1..=MAX_ATTEMPTS {
        let last = attempt == MAX_ATTEMPTS || deadline.is_some_and(|d| Instant::now() + backoff >= d);
        let outcome = channel.ready().await?.call(rebuild(&parts, bytes.clone())).await;
        let unavailable = match &outcome {
            Ok(response) => status_in_headers(response) == Some(Code::Unavailable),
            Err(_) => true,
        };
        if !unavailable || last {
            return outcome.map_err(Into::into);
        }
        tracing::debug!(attempt, path = %parts.uri.path(), "UNAVAILABLE, retrying");
        tokio::time::sleep(backoff).await;
        backoff *= 2;
    }
    unreachable!("the last attempt returns")
}

fn rebuild(parts: &http::request::Parts, body: Bytes) -> http::Request<Body> {
    let mut request = http::Request::new(Body::new(Full::new(body)));
    *request.method_mut() = parts.method.clone();
    *request.uri_mut() = parts.uri.clone();
    *request.version_mut() = parts.version;
    *request.headers_mut() = parts.headers.clone();
    *request.extensions_mut() = parts.extensions.clone();
    request
}

/// The status of a trailers-only response (errors before any message).
fn status_in_headers(response: &http::Response<Body>) -> Option<Code> {
    let status = response.headers().get("grpc-status")?.to_str().ok()?.parse::<i32>().ok()?;
    Some(Code::from_i32(status))
}

/// Whether tonic gave up at the `grpc-timeout` the policy set (before the policy's own timer).
fn is_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(error) = current {
        if error.is::<tonic::TimeoutExpired>() {
            return true;
        }
        current = error.source();
    }
    false
}

fn deadline_exceeded(limit: Duration) -> http::Response<Body> {
    Status::deadline_exceeded(format!("deadline of {} ms exceeded", limit.as_millis())).into_http()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeout_units() {
        assert_eq!(parse_grpc_timeout("500m"), Some(Duration::from_millis(500)));
        assert_eq!(parse_grpc_timeout("2S"), Some(Duration::from_secs(2)));
        assert_eq!(parse_grpc_timeout("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_grpc_timeout("m"), None);
        assert_eq!(parse_grpc_timeout("5x"), None);
    }

    #[test]
    fn the_callers_deadline_wins_over_the_methods() {
        let policy = MethodPolicy {
            path: "/a.B/C",
            timeout_ms: Some(500),
            idempotent: false,
            client_streaming: false,
            server_streaming: false,
        };
        let mut request = http::Request::new(Body::empty());
        assert_eq!(apply_deadline(&mut request, Some(&policy), 30_000), Some(Duration::from_millis(500)));
        assert_eq!(request.headers()["grpc-timeout"], "500m");

        let mut request = http::Request::new(Body::empty());
        request.headers_mut().insert("grpc-timeout", HeaderValue::from_static("2S"));
        assert_eq!(apply_deadline(&mut request, Some(&policy), 30_000), Some(Duration::from_secs(2)));
        assert_eq!(request.headers()["grpc-timeout"], "2S");
    }

    #[test]
    fn without_timeout_ms_the_default_deadline_applies_except_to_response_streams() {
        let unary = MethodPolicy {
            path: "/a.B/C",
            timeout_ms: None,
            idempotent: false,
            client_streaming: false,
            server_streaming: false,
        };
        let mut request = http::Request::new(Body::empty());
        assert_eq!(apply_deadline(&mut request, Some(&unary), 30_000), Some(Duration::from_secs(30)));
        assert_eq!(request.headers()["grpc-timeout"], "30000m");
        let watch = MethodPolicy { server_streaming: true, ..unary };
        let mut request = http::Request::new(Body::empty());
        assert_eq!(apply_deadline(&mut request, Some(&watch), 30_000), None);
        assert!(!request.headers().contains_key("grpc-timeout"));
    }
}
