//! Per-call spans and W3C trace context propagation, for both sides of a call.
//!
//! [`CallTraceLayer`] wraps the server: every call gets a `grpc` span named
//! `<service>/<method>` with the OpenTelemetry RPC attributes (`rpc.system`, `rpc.service`,
//! `rpc.method`, `server.port`, `network.peer.address`/`.port`, and, when the response ends,
//! `rpc.grpc.status_code` plus an error status for the codes that are the server's fault),
//! and one `call finished` event. The incoming `traceparent`/`tracestate` becomes the span's
//! parent; the client ([`crate::client`]) makes a `grpc.client` span for every call and sends
//! its context on. When [`crate::telemetry`] exports, these are OTLP server and client spans
//! of one trace; when nothing exports, an outgoing call made while handling one still
//! continues the caller's trace (same trace id, a new parent id). With [`RpcMetrics`], every
//! call is also counted, timed and labelled with its status there.

use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{SpanContext, SpanId, SpanKind, TraceContextExt};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tonic::body::Body;
use tonic::transport::server::TcpConnectInfo;
use tower::{Layer, Service};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::call::{grpc_status, header, rpc_name, Side};
use crate::metrics::{ActiveCall, MessageFrames, RpcMetrics};
use crate::sampling::{self, Verdict};

/// The W3C trace context header, parsed once.
static TRACEPARENT: http::HeaderName = http::HeaderName::from_static("traceparent");

tokio::task_local! {
    /// The trace context the call being handled came with.
    static CALLER: opentelemetry::Context;
}

/// Reads W3C trace context from HTTP headers.
struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// Writes W3C trace context into HTTP headers.
struct HeaderInjector<'a>(&'a mut http::HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        let name = http::HeaderName::from_bytes(key.as_bytes());
        if let (Ok(name), Ok(value)) = (name, http::HeaderValue::from_str(&value)) {
            self.0.insert(name, value);
        }
    }
}

/// The trace context a request carries (`traceparent`, `tracestate`); empty when none.
fn extract(headers: &http::HeaderMap) -> opentelemetry::Context {
    TraceContextPropagator::new().extract(&HeaderExtractor(headers))
}

/// Whether the code running is handling a call the sampler dropped (`sampling`): its own
/// spans are not exported either (the export's filter asks).
pub(crate) fn in_dropped_call() -> bool {
    CALLER
        .try_with(|cx| {
            let span = cx.span();
            let context = span.span_context();
            context.is_valid() && !context.is_sampled()
        })
        .unwrap_or(false)
}

/// Where an outgoing call's parent is: the current span (when it is exported), else the
/// context the call being handled came with, if any.
pub(crate) fn client_parent() -> Option<opentelemetry::Context> {
    let current = tracing::Span::current();
    let exported = if current.is_disabled() { None } else { Some(current.context()) };
    exported.filter(|cx| cx.span().span_context().is_valid()).or_else(|| CALLER.try_with(Clone::clone).ok())
}

/// Adds the trace context of an outgoing call to its headers, unless the caller set one: the
/// context of `span` (the call's client span) when it is exported, else a child of `dropped`
/// (the decision not to trace the call) or of the context the call being handled came with,
/// if any.
pub(crate) fn inject(span: &tracing::Span, dropped: Option<&opentelemetry::Context>, headers: &mut http::HeaderMap) {
    if header(headers, &TRACEPARENT).is_some() {
        return;
    }
    let exported = if span.is_disabled() { None } else { Some(span.context()) };
    let context = match exported.filter(|cx| cx.span().span_context().is_valid()) {
        Some(context) => context,
        None => match dropped.and_then(child_of).or_else(|| CALLER.try_with(child_of).ok().flatten()) {
            Some(context) => context,
            None => return,
        },
    };
    TraceContextPropagator::new().inject_context(&context, &mut HeaderInjector(headers));
}

/// Replaces the trace context of an attempt's headers with `span`'s (the attempt's), when it
/// is exported; else leaves what the call put there.
pub(crate) fn reinject(span: &tracing::Span, headers: &mut http::HeaderMap) {
    if span.is_disabled() {
        return;
    }
    let context = span.context();
    if context.span().span_context().is_valid() {
        TraceContextPropagator::new().inject_context(&context, &mut HeaderInjector(headers));
    }
}

/// A context continuing `caller`'s trace under a new span id, for calls nothing exports.
fn child_of(caller: &opentelemetry::Context) -> Option<opentelemetry::Context> {
    let parent = caller.span().span_context().clone();
    if !parent.is_valid() {
        return None;
    }
    // RandomState is seeded per process and instance: enough for a span id, no extra crate.
    let id = std::collections::hash_map::RandomState::new().build_hasher().finish() | 1;
    let child = SpanContext::new(
        parent.trace_id(),
        SpanId::from_bytes(id.to_be_bytes()),
        parent.trace_flags(),
        true,
        parent.trace_state().clone(),
    );
    Some(opentelemetry::Context::new().with_remote_span_context(child))
}

/// Wraps a response so its outcome is recorded on `span` (and into `active`) when its body
/// ends, however it ends.
pub(crate) fn record_response(
    response: http::Response<Body>,
    span: tracing::Span,
    side: Side,
    start: Instant,
    active: Option<ActiveCall>,
) -> http::Response<Body> {
    let (parts, body) = response.into_parts();
    let status = grpc_status(&parts.headers);
    let frames = MessageFrames::default();
    let body = RecordedBody { inner: body, span, side, start, status, active, frames, finished: false };
    http::Response::from_parts(parts, Body::new(body))
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
        let caller = header(request.headers(), &TRACEPARENT).is_some().then(|| extract(request.headers()));
        let verdict = sampling::decide(|| caller.clone(), SpanKind::Server);
        let span = sampling::span(&verdict, || server_span(&request));
        // A dropped call carries the decision on, to the calls made while handling it.
        let caller = match verdict {
            Verdict::Dropped(dropped) => Some(dropped),
            _ => caller,
        };
        let start = Instant::now();
        let (active, request) = crate::metrics::observe(self.metrics.as_ref(), Side::Server, request);
        let call = self.inner.call(request);
        // Pay only for what is used: no subscriber wants the span (or the call was not
        // sampled), no metrics are kept and nothing logs the call's end → the call runs as it
        // would without this layer, carrying on the trace context it came with, if any.
        if span.is_disabled() && active.is_none() && !tracing::enabled!(tracing::Level::DEBUG) {
            return match caller {
                Some(caller) => Box::pin(CALLER.scope(caller, call)),
                None => Box::pin(call),
            };
        }
        if let Some(caller) = &caller {
            // Fails only when nothing exports the span; the task-local below still carries it.
            let _ = span.set_parent(caller.clone());
        }
        Box::pin(async move {
            let call = call.instrument(span.clone());
            let response = match caller {
                Some(caller) => CALLER.scope(caller, call).await?,
                None => call.await?,
            };
            Ok(record_response(response, span, Side::Server, start, active))
        })
    }
}

/// The server span of one call, named and attributed per the OpenTelemetry RPC conventions.
fn server_span(request: &http::Request<Body>) -> tracing::Span {
    let path = request.uri().path().trim_start_matches('/');
    let (service, method) = rpc_name(path);
    let span = tracing::debug_span!(
        "grpc",
        otel.name = %path,
        otel.kind = "server",
        otel.status_code = tracing::field::Empty,
        rpc.system = "grpc",
        rpc.service = %service,
        rpc.method = %method,
        rpc.grpc.status_code = tracing::field::Empty,
        server.port = tracing::field::Empty,
        network.peer.address = tracing::field::Empty,
        network.peer.port = tracing::field::Empty,
    );
    if !span.is_disabled() {
        if let Some(connection) = request.extensions().get::<TcpConnectInfo>() {
            if let Some(local) = connection.local_addr() {
                span.record("server.port", i64::from(local.port()));
            }
            if let Some(peer) = connection.remote_addr() {
                span.record("network.peer.address", tracing::field::display(peer.ip()));
                span.record("network.peer.port", i64::from(peer.port()));
            }
        }
    }
    span
}

/// The response body, recording the call's outcome on its span when the body ends.
struct RecordedBody {
    inner: Body,
    span: tracing::Span,
    side: Side,
    start: Instant,
    /// `grpc-status`, from the headers (trailers-only responses) or the trailers.
    status: Option<u16>,
    /// The call in the metrics, if they are kept.
    active: Option<ActiveCall>,
    /// The response's messages, counted into `active`.
    frames: MessageFrames,
    finished: bool,
}

impl RecordedBody {
    fn finish(&mut self, outcome: &str) {
        if self.finished {
            return;
        }
        self.finished = true;
        // A body that ended without a status was cut short: CANCELLED if dropped, else UNKNOWN.
        let code = match (self.status, outcome) {
            (Some(code), _) => code,
            (None, "cancelled") => 1,
            (None, _) => 2,
        };
        let seconds = self.start.elapsed().as_secs_f64();
        if let Some(active) = &mut self.active {
            active.finished(code, seconds);
        }
        let numeric = i64::from(code);
        self.span.record("rpc.grpc.status_code", numeric);
        if self.side.is_error(numeric) {
            self.span.record("otel.status_code", "error");
        }
        let duration_ms = seconds * 1000.0;
        tracing::debug!(parent: &self.span, rpc.grpc.status_code = numeric, duration_ms, "call finished");
    }
}

impl http_body::Body for RecordedBody {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(status) = frame.trailers_ref().and_then(grpc_status) {
                    self.status = Some(status);
                }
                let this = &mut *self;
                if let (Some(active), Some(data)) = (&mut this.active, frame.data_ref()) {
                    active.count_responses(&mut this.frames, data);
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

    fn headers(pairs: &[(&'static str, &str)]) -> http::HeaderMap {
        pairs.iter().map(|(k, v)| (http::HeaderName::from_static(k), v.parse().unwrap())).collect()
    }

    #[tokio::test]
    async fn an_unexported_call_continues_the_callers_trace_under_a_new_parent_id() {
        let caller = extract(&headers(&[("traceparent", PARENT), ("tracestate", "vendor=1")]));
        let mut outgoing = http::HeaderMap::new();
        CALLER.scope(caller, async { inject(&tracing::Span::none(), None, &mut outgoing) }).await;
        let child = outgoing["traceparent"].to_str().unwrap();
        assert!(child.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"), "{child}");
        assert!(child.ends_with("-01"));
        assert_ne!(child, PARENT);
        assert_eq!(child.len(), PARENT.len());
        assert_eq!(outgoing["tracestate"], "vendor=1");
    }

    #[tokio::test]
    async fn invalid_or_absent_context_is_not_propagated_and_a_callers_own_is_kept() {
        for bad in ["", "00-xyz-00f067aa0ba902b7-01", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"] {
            let mut outgoing = http::HeaderMap::new();
            let caller = extract(&headers(&[("traceparent", bad)]));
            CALLER.scope(caller, async { inject(&tracing::Span::none(), None, &mut outgoing) }).await;
            assert!(outgoing.is_empty(), "{bad}: {outgoing:?}");
        }
        let mut outside = http::HeaderMap::new();
        inject(&tracing::Span::none(), None, &mut outside);
        assert!(outside.is_empty(), "{outside:?}");
        let mut own = headers(&[("traceparent", PARENT)]);
        CALLER
            .scope(extract(&headers(&[("traceparent", PARENT)])), async {
                inject(&tracing::Span::none(), None, &mut own)
            })
            .await;
        assert_eq!(own["traceparent"], PARENT);
    }

    #[test]
    fn servers_err_only_on_their_own_codes_clients_on_any() {
        let server: Vec<i64> = (0..17).filter(|&c| Side::Server.is_error(c)).collect();
        assert_eq!(server, [2, 4, 12, 13, 14, 15]);
        assert!((1..17).all(|c| Side::Client.is_error(c)) && !Side::Client.is_error(0));
    }
}
