//! Per-call spans and W3C trace context propagation, for both sides of a call.
//!
//! [`CallTraceLayer`] wraps the server. When spans are exported ([`crate::telemetry`]) and
//! the sampler keeps the call (`sampling`), the call gets a server span
//! (`span`) named `<service>/<method>` with the OpenTelemetry RPC attributes
//! (`rpc.system`, `rpc.service`, `rpc.method`, `server.port`, `network.peer.address`/`.port`,
//! and, when the response ends, `rpc.grpc.status_code` plus an error status for the codes
//! that are the server's fault). The incoming `traceparent`/`tracestate` is its parent, and
//! its context is the parent of the program's own spans and of the calls made while handling
//! it: the client ([`crate::client`]) makes a client span for every call (and one per attempt
//! of calls that may be retried or hedged) and sends its context on. When nothing exports, an
//! outgoing call made while handling one still continues the caller's trace (same trace id, a
//! new parent id). A `tracing` span at DEBUG (named `grpc` on the server, `grpc.client` on the
//! client) and one `call finished` event log each call for a subscriber that wants them. With
//! [`RpcMetrics`], every call is also counted, timed and labelled with its status there.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use opentelemetry::context::FutureExt as _;
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::{SpanContext, SpanKind, TraceContextExt};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{IdGenerator as _, RandomIdGenerator};
use tonic::body::Body;
use tonic::transport::server::TcpConnectInfo;
use tower::{Layer, Service};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::call::{grpc_status, header, rpc_name, Side};
use crate::metrics::{ActiveCall, MessageFrames, RpcMetrics};
use crate::sampling::{self, Verdict};
use crate::span::{CallSpan, Kind, Parent};

/// The W3C trace context header, parsed once.
static TRACEPARENT: http::HeaderName = http::HeaderName::from_static("traceparent");
static TRACESTATE: http::HeaderName = http::HeaderName::from_static("tracestate");

tokio::task_local! {
    /// The trace context the call being handled came with (or, when it is traced, its span's).
    static CALLER: SpanContext;
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

/// The trace context a request carries (`traceparent`, `tracestate`), if valid.
fn extract(headers: &http::HeaderMap) -> Option<SpanContext> {
    let context = TraceContextPropagator::new().extract(&HeaderExtractor(headers));
    let span = context.span();
    Some(span.span_context().clone()).filter(SpanContext::is_valid)
}

/// Whether the code running is handling a call the sampler dropped (`sampling`): its own
/// spans are not exported either (the export's filter asks).
pub(crate) fn in_dropped_call() -> bool {
    CALLER.try_with(|context| context.is_valid() && !context.is_sampled()).unwrap_or(false)
}

/// Where an outgoing call's parent is: the current span of the program's (when it is
/// exported), else the context of the call being handled, if any.
pub(crate) fn client_parent() -> Option<SpanContext> {
    let current = tracing::Span::current();
    let exported = if current.is_disabled() { None } else { Some(current.context()) };
    let exported = exported.map(|cx| cx.span().span_context().clone()).filter(SpanContext::is_valid);
    exported.or_else(|| CALLER.try_with(Clone::clone).ok())
}

/// Adds the trace context of an outgoing call to its headers, unless the caller set one: the
/// context of `span` (the call's client span) when it is exported, else a child of `dropped`
/// (the decision not to trace the call) or of the context the call being handled came with,
/// if any.
pub(crate) fn inject(span: &CallSpan, dropped: Option<&SpanContext>, headers: &mut http::HeaderMap) {
    if header(headers, &TRACEPARENT).is_some() {
        return;
    }
    let context = match span.context() {
        Some(context) => context,
        None => match dropped.and_then(child_of).or_else(|| CALLER.try_with(child_of).ok().flatten()) {
            Some(context) => context,
            None => return,
        },
    };
    write_context(&context, headers);
}

/// Replaces the trace context of an attempt's headers with `span`'s (the attempt's), when it
/// is exported; else leaves what the call put there.
pub(crate) fn reinject(span: &CallSpan, headers: &mut http::HeaderMap) {
    if let Some(context) = span.context() {
        write_context(&context, headers);
    }
}

/// `traceparent` (version 00) and, when there is one, `tracestate`.
fn write_context(context: &SpanContext, headers: &mut http::HeaderMap) {
    let flags = context.trace_flags().to_u8();
    let parent = format!("00-{}-{}-{flags:02x}", context.trace_id(), context.span_id());
    if let Ok(value) = http::HeaderValue::from_str(&parent) {
        headers.insert(TRACEPARENT.clone(), value);
    }
    let state = context.trace_state().header();
    if let (false, Ok(value)) = (state.is_empty(), http::HeaderValue::from_str(&state)) {
        headers.insert(TRACESTATE.clone(), value);
    }
}

/// A context continuing `caller`'s trace under a new span id, for calls nothing exports.
fn child_of(caller: &SpanContext) -> Option<SpanContext> {
    if !caller.is_valid() {
        return None;
    }
    let span_id = RandomIdGenerator::default().new_span_id();
    Some(SpanContext::new(caller.trace_id(), span_id, caller.trace_flags(), true, caller.trace_state().clone()))
}

/// Wraps a response so its outcome is recorded on `span` (and into `active`) when its body
/// ends, however it ends.
pub(crate) fn record_response(
    response: http::Response<Body>,
    span: tracing::Span,
    exported: CallSpan,
    side: Side,
    start: Instant,
    active: Option<ActiveCall>,
) -> http::Response<Body> {
    let (parts, body) = response.into_parts();
    let status = grpc_status(&parts.headers);
    let frames = MessageFrames::default();
    let body = RecordedBody { inner: body, span, exported, side, start, status, active, frames, finished: false };
    http::Response::from_parts(parts, Body::new(body))
}

/// Tower layer adding a span per call and the trace context, and recording each call into
/// the server's metrics when it has them; see the module docs.
#[derive(Debug, Clone, Default)]
pub struct CallTraceLayer {
    metrics: Option<RpcMetrics>,
    deploy: Option<&'static crate::Deploy>,
}

impl CallTraceLayer {
    /// A layer that also records every call into `metrics`.
    pub fn with_metrics(metrics: Option<RpcMetrics>) -> Self {
        Self { metrics, deploy: None }
    }

    /// Tells the layer the served methods (`deploy`'s): the metrics then count one request
    /// message for a method that does not stream requests without reading its body.
    pub fn methods(self, deploy: &'static crate::Deploy) -> Self {
        Self { deploy: Some(deploy), ..self }
    }
}

impl<S> Layer<S> for CallTraceLayer {
    type Service = CallTrace<S>;

    fn layer(&self, inner: S) -> CallTrace<S> {
        CallTrace { inner, metrics: self.metrics.clone(), deploy: self.deploy }
    }
}

/// The service made by [`CallTraceLayer`].
#[derive(Debug, Clone)]
pub struct CallTrace<S> {
    inner: S,
    metrics: Option<RpcMetrics>,
    deploy: Option<&'static crate::Deploy>,
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
        let caller = header(request.headers(), &TRACEPARENT).and_then(|_| extract(request.headers()));
        let span = server_log_span(&request);
        let (exported, caller) = match sampling::decide(|| caller.clone(), SpanKind::Server) {
            Verdict::Kept(parent) => {
                let exported = server_span(&request, &parent);
                let context = exported.context();
                (exported, context)
            }
            // A dropped call carries the decision on, to the calls made while handling it.
            Verdict::Dropped(dropped) => (CallSpan::default(), Some(dropped)),
            Verdict::Unsampled => (CallSpan::default(), caller),
        };
        let start = Instant::now();
        let (active, request) = crate::metrics::observe(self.metrics.as_ref(), Side::Server, request, self.deploy);
        let call = self.inner.call(request);
        // Pay only for what is used: the call is not traced, no subscriber wants its log span,
        // no metrics are kept and nothing logs the call's end → the call runs as it would
        // without this layer, carrying on the trace context it came with, if any.
        if !exported.is_traced() && span.is_disabled() && active.is_none() && !tracing::enabled!(tracing::Level::DEBUG)
        {
            return match caller {
                Some(caller) => Box::pin(CALLER.scope(caller, call)),
                None => Box::pin(call),
            };
        }
        if caller.is_none() && span.is_disabled() {
            // Metrics alone: no trace context to carry on, no log span to enter.
            return Box::pin(async move {
                let response = call.await?;
                Ok(record_response(response, span, exported, Side::Server, start, active))
            });
        }
        Box::pin(async move {
            let call = call.instrument(span.clone());
            let response = match caller {
                // The program's own spans (through the OpenTelemetry bridge) are the call's children.
                Some(caller) if exported.is_traced() => {
                    let context = opentelemetry::Context::new().with_remote_span_context(caller.clone());
                    CALLER.scope(caller, call.with_context(context)).await?
                }
                Some(caller) => CALLER.scope(caller, call).await?,
                None => call.await?,
            };
            Ok(record_response(response, span, exported, Side::Server, start, active))
        })
    }
}

/// The server span of a kept call, with the peer and the port it came in on.
fn server_span(request: &http::Request<Body>, parent: &Parent) -> CallSpan {
    let mut span = CallSpan::start(parent, Kind::Server, request.uri());
    if let (Some(record), Some(connection)) = (span.record(), request.extensions().get::<TcpConnectInfo>()) {
        record.server_port = connection.local_addr().map(|local| local.port());
        record.peer = connection.remote_addr();
    }
    span
}

/// The `tracing` span a call is logged in (disabled unless a subscriber wants DEBUG).
fn server_log_span(request: &http::Request<Body>) -> tracing::Span {
    let span = tracing::debug_span!(
        "grpc",
        rpc.service = tracing::field::Empty,
        rpc.method = tracing::field::Empty,
        network.peer.address = tracing::field::Empty,
    );
    if !span.is_disabled() {
        let (service, method) = rpc_name(request.uri().path());
        span.record("rpc.service", tracing::field::display(service))
            .record("rpc.method", tracing::field::display(method));
        if let Some(peer) = request.extensions().get::<TcpConnectInfo>().and_then(TcpConnectInfo::remote_addr) {
            span.record("network.peer.address", tracing::field::display(peer));
        }
    }
    span
}

/// The response body, recording the call's outcome on its span when the body ends.
struct RecordedBody {
    inner: Body,
    /// The call's log span.
    span: tracing::Span,
    /// The call's exported span, ended when the body ends.
    exported: CallSpan,
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
        let mut exported = std::mem::take(&mut self.exported);
        exported.status(numeric, self.side.is_error(numeric));
        drop(exported);
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
        let caller = extract(&headers(&[("traceparent", PARENT), ("tracestate", "vendor=1")])).unwrap();
        let mut outgoing = http::HeaderMap::new();
        CALLER.scope(caller, async { inject(&CallSpan::default(), None, &mut outgoing) }).await;
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
            assert!(extract(&headers(&[("traceparent", bad)])).is_none(), "{bad}");
        }
        let mut outside = http::HeaderMap::new();
        inject(&CallSpan::default(), None, &mut outside);
        assert!(outside.is_empty(), "{outside:?}");
        let mut own = headers(&[("traceparent", PARENT)]);
        CALLER
            .scope(extract(&headers(&[("traceparent", PARENT)])).unwrap(), async {
                inject(&CallSpan::default(), None, &mut own)
            })
            .await;
        assert_eq!(own["traceparent"], PARENT);
    }

    #[test]
    fn an_exported_span_is_the_next_hops_parent() {
        let caller = extract(&headers(&[("traceparent", PARENT), ("tracestate", "vendor=1")])).unwrap();
        let uri = http::Uri::from_static("/a.B/C");
        let span = CallSpan::start(&crate::span::under(&caller), Kind::Client, &uri);
        let mut outgoing = http::HeaderMap::new();
        inject(&span, None, &mut outgoing);
        let sent = extract(&outgoing).unwrap();
        assert_eq!(sent.trace_id(), caller.trace_id());
        assert_eq!(Some(sent.span_id()), span.context().map(|context| context.span_id()));
        assert_ne!(sent.span_id(), caller.span_id());
        assert!(sent.is_sampled());
        assert_eq!(outgoing["tracestate"], "vendor=1");
    }

    #[test]
    fn servers_err_only_on_their_own_codes_clients_on_any() {
        let server: Vec<i64> = (0..17).filter(|&c| Side::Server.is_error(c)).collect();
        assert_eq!(server, [2, 4, 12, 13, 14, 15]);
        assert!((1..17).all(|c| Side::Client.is_error(c)) && !Side::Client.is_error(0));
    }
}
