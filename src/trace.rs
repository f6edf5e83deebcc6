//! Per-call tracing and W3C `traceparent` propagation.
//!
//! [`CallTraceLayer`] wraps the server: every call gets a `grpc` span with `rpc.service`,
//! `rpc.method`, and, when the response ends, `grpc.status` and `duration_ms`, plus one
//! `call finished` event. The incoming `traceparent` is kept in a task-local for the call's
//! handler; [`child_traceparent`] derives the header the generated client sends on calls made
//! from within it (same trace id, new parent id). With [`RpcMetrics`], every call is also
//! counted, timed and labelled with its status there.

use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use tonic::body::Body;
use tower::{Layer, Service};
use tracing::Instrument;

use crate::metrics::{ActiveCall, RpcMetrics};

tokio::task_local! {
    static TRACEPARENT: Option<String>;
}

/// The `traceparent` of the call being handled by the current task, if it carried one.
pub fn current_traceparent() -> Option<String> {
    TRACEPARENT.try_with(Clone::clone).ok().flatten()
}

/// The `traceparent` for an outgoing call made while handling `parent`: same version, trace
/// id and flags, a fresh parent (span) id. `None` when `parent` is not a valid header.
pub fn child_traceparent(parent: &str) -> Option<String> {
    let parts: Vec<&str> = parent.split('-').collect();
    let [version, trace_id, span_id, flags] = parts.as_slice() else { return None };
    let hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
    let valid = hex(version, 2) && hex(trace_id, 32) && hex(span_id, 16) && hex(flags, 2);
    if !valid || trace_id.bytes().all(|b| b == b'0') {
        return None;
    }
    // RandomState is seeded per process and instance: enough for a span id, no extra crate.
    let span = std::collections::hash_map::RandomState::new().build_hasher().finish() | 1;
    Some(format!("{version}-{trace_id}-{span:016x}-{flags}"))
}

/// Runs `future` with `traceparent` as the current call's trace context.
pub(crate) async fn with_traceparent<F: Future>(traceparent: Option<String>, future: F) -> F::Output {
    TRACEPARENT.scope(traceparent, future).await
}

/// Tower layer adding a span per call and the trace context, and recording each call into
/// the server's metrics when it has them; see the module docs.
#[derive(Debug, Clone, Default)]
pub struct CallTraceLayer {
    metrics: Option<RpcMetrics>,
}

impl CallTraceLayer {
    /// A layer that also records every call into `metrics`.
    pub fn with_metrics(metrics: Option<RpcMetrics>) -> Self {
        Self { metrics }
    }
}

impl<S> Layer<S> for CallTraceLayer {
    type Service = CallTrace<S>;

    fn layer(&self, inner: S) -> CallTrace<S> {
        CallTrace { inner, metrics: self.metrics.clone() }
    }
}

/// The service made by [`CallTraceLayer`].
#[derive(Debug, Clone)]
pub struct CallTrace<S> {
    inner: S,
    metrics: Option<RpcMetrics>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S> Service<http::Request<Body>> for CallTrace<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let path = request.uri().path().trim_start_matches('/');
        let (service, method) = path.split_once('/').unwrap_or((path, ""));
        let span = tracing::info_span!(
            "grpc",
            rpc.service = %service,
            rpc.method = %method,
            grpc.status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        let traceparent = request.headers().get("traceparent").and_then(|v| v.to_str().ok()).map(str::to_string);
        let start = Instant::now();
        let active = self.metrics.as_ref().map(|metrics| metrics.started(service, method));
        let call = self.inner.call(request);
        // Pay only for what is used: no subscriber wants the span, no trace context came in
        // and no metrics are kept → the call runs as it would without this layer.
        if span.is_disabled() && traceparent.is_none() && active.is_none() {
            return Box::pin(call);
        }
        Box::pin(async move {
            let call = call.instrument(span.clone());
            let response = match traceparent {
                Some(traceparent) => with_traceparent(Some(traceparent), call).await?,
                None => call.await?,
            };
            let (parts, body) = response.into_parts();
            let status = parts.headers.get("grpc-status").and_then(|v| v.to_str().ok()).map(str::to_string);
            let body = RecordedBody { inner: body, span, start, status, active, finished: false };
            Ok(http::Response::from_parts(parts, Body::new(body)))
        })
    }
}

/// The response body, recording the call's outcome on its span when the body ends.
struct RecordedBody {
    inner: Body,
    span: tracing::Span,
    start: Instant,
    /// `grpc-status`, from the headers (trailers-only responses) or the trailers.
    status: Option<String>,
    /// The call in the server's metrics, if it keeps them.
    active: Option<ActiveCall>,
    finished: bool,
}

impl RecordedBody {
    fn finish(&mut self, outcome: &str) {
        if self.finished {
            return;
        }
        self.finished = true;
        let status = self.status.as_deref().unwrap_or(outcome);
        let seconds = self.start.elapsed().as_secs_f64();
        if let Some(active) = &mut self.active {
            // A body that ended without a status was cut short: CANCELLED if dropped, else UNKNOWN.
            let code = match (self.status.as_deref(), outcome) {
                (Some(code), _) => code,
                (None, "cancelled") => "1",
                (None, _) => "2",
            };
            active.finished(code, seconds);
        }
        let duration_ms = seconds * 1000.0;
        self.span.record("grpc.status", status);
        self.span.record("duration_ms", duration_ms);
        tracing::info!(parent: &self.span, grpc.status = status, duration_ms, "call finished");
    }
}

impl http_body::Body for RecordedBody {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(status) = frame.trailers_ref().and_then(|t| t.get("grpc-status")) {
                    self.status = status.to_str().ok().map(str::to_string);
                }
            }
            Poll::Ready(Some(Err(_))) => self.finish("error"),
            Poll::Ready(None) => self.finish("unknown"),
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for RecordedBody {
    fn drop(&mut self) {
        self.finish("cancelled");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn a_child_keeps_the_trace_and_gets_a_new_parent_id() {
        let child = child_traceparent(PARENT).unwrap();
        assert!(child.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"), "{child}");
        assert!(child.ends_with("-01"));
        assert_ne!(child, PARENT);
        assert_eq!(child.len(), PARENT.len());
    }

    #[test]
    fn invalid_headers_are_not_propagated() {
        for bad in ["", "00-xyz-00f067aa0ba902b7-01", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"] {
            assert_eq!(child_traceparent(bad), None, "{bad}");
        }
    }

    #[tokio::test]
    async fn the_trace_context_is_visible_inside_the_call_only() {
        let seen = with_traceparent(Some(PARENT.to_string()), async { current_traceparent() }).await;
        assert_eq!(seen.as_deref(), Some(PARENT));
        assert_eq!(current_traceparent(), None);
    }
}
