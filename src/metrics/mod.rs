//! RPC metrics in the Prometheus text format, named after the OpenTelemetry RPC semantic
//! conventions, for both ends of a call: `rpc_{server,client}_call_duration_seconds` (a
//! histogram with `rpc_system`, `rpc_service`, `rpc_method` and `rpc_grpc_status_code` labels),
//! `rpc_{server,client}_active_calls`, and the messages of each call
//! (`rpc_{server,client}_requests_per_rpc`, `_responses_per_rpc`: 1 for unary calls, the stream's
//! length for streams); plus the standard `process_*` metrics, read from `/proc`. Encoded by
//! `prometheus-client` (the Prometheus organisation's crate), nothing formatted by hand; served
//! on its own port at `/metrics` ([`serve_metrics`]). The server's per-call layer
//! ([`crate::trace::CallTraceLayer`]) records into [`RpcMetrics`]; the client records into
//! [`RpcMetrics::global`] once something has asked for it (the server does when it serves
//! metrics), so a process's calls in both directions show on one page. Each method's series
//! are found once per call by its path; past 1,000 methods, further paths share `_OTHER`.
//!
//! What bounds the page: the paths come from the peer, and a path may be as long as the
//! server's header list allows (16 KiB), so 1,000 methods alone would not keep a page small —
//! 1,000 such paths, each on a method's ~50 lines, would make a page of gigabytes. So each end
//! also has a byte budget ([`DEFAULT_MAX_SERIES_BYTES`], or [`RpcMetrics::with_max_series_bytes`]):
//! when a method's series, or the duration series of a status code it had not ended with
//! before, are created, what they will add to the page is estimated (an upper bound); once an
//! end's budget is used up, further methods and codes count under `_OTHER` and a warning says
//! so, once. A scrape returns at most twice the budget (both ends), plus `_OTHER`'s series and
//! the process metrics (a few KiB).

mod process;

use std::collections::HashMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use http_body::{Frame, SizeHint};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};
use tokio::net::TcpListener;
use tonic::body::Body;

use crate::call::Side;
use crate::limits::Limits;

/// Bucket bounds of the call duration, in seconds (the OpenTelemetry RPC conventions' advice).
const DURATION_BUCKETS: [f64; 14] = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];
/// Bounds the served methods' latency objectives add to [`DURATION_BUCKETS`], in seconds
/// ([`add_objective_bounds`]).
static OBJECTIVE_BOUNDS: RwLock<Vec<f64>> = RwLock::new(Vec::new());

/// Adds the latency objectives' thresholds of `deploy`'s methods
/// ([`crate::MethodPolicy::latency_objective_ms`]) to the bounds of every call duration
/// histogram created from then on, so that the objectives' rules count the calls within each
/// threshold exactly (`le="0.3"`) rather than at the nearest bound. [`crate::Server::new`]
/// adds its service's.
pub(crate) fn add_objective_bounds(deploy: &crate::Deploy) {
    let thresholds = deploy.methods.iter().filter_map(|m| m.latency_objective_ms);
    let seconds: Vec<f64> = thresholds.map(|ms| ms as f64 / 1000.0).collect();
    if seconds.is_empty() {
        return;
    }
    let mut bounds = OBJECTIVE_BOUNDS.write().unwrap_or_else(PoisonError::into_inner);
    bounds.extend(seconds.into_iter().filter(|s| !DURATION_BUCKETS.contains(s)));
    bounds.sort_by(f64::total_cmp);
    bounds.dedup();
}

/// The call duration's bucket bounds: [`DURATION_BUCKETS`] and the objectives' thresholds.
fn duration_bounds() -> Vec<f64> {
    let mut bounds = DURATION_BUCKETS.to_vec();
    bounds.extend(OBJECTIVE_BOUNDS.read().unwrap_or_else(PoisonError::into_inner).iter());
    bounds.sort_by(f64::total_cmp);
    bounds
}

/// Lines of the duration histogram of one status code of a method: each bucket, `+Inf`,
/// `_sum`, `_count`.
fn duration_lines() -> usize {
    duration_bounds().len() + 3
}

/// Bucket bounds of messages per call: powers of two.
const MESSAGE_BUCKETS: [f64; 11] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabels {
    rpc_system: &'static str,
    rpc_service: String,
    rpc_method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    rpc_system: &'static str,
    rpc_service: String,
    rpc_method: String,
    /// The numeric gRPC status (`0` OK … `16`), as `rpc.grpc.status_code` is.
    rpc_grpc_status_code: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// The highest gRPC status code (UNAUTHENTICATED); each code's duration series of a method is
/// kept with the method. A code beyond it counts as [`UNKNOWN`], as gRPC treats it.
const LAST_STATUS_CODE: usize = 16;
/// The gRPC status UNKNOWN.
const UNKNOWN: usize = 2;
/// The most methods one end keeps series for. The paths come from the peer (any path reaches
/// the server layer, even one the server answers UNIMPLEMENTED), so past this many, calls to
/// further paths share one more series labelled `_OTHER` rather than growing the page without
/// end.
const MAX_METHODS: usize = 1000;
/// The service and method labels of calls past [`MAX_METHODS`] or past the byte budget.
const OTHER: &str = "_OTHER";
/// The default byte budget of each end's series (see the module docs): 16 MiB, room for the
/// 1,000 methods with a few status codes each under names of common length.
pub const DEFAULT_MAX_SERIES_BYTES: usize = 16 << 20;
/// Lines of a method's own series: its active-calls gauge, and two message histograms (each
/// bucket, `+Inf`, `_sum`, `_count`).
const METHOD_LINES: usize = 1 + 2 * (MESSAGE_BUCKETS.len() + 3);
/// An upper bound on the bytes of one line besides its service and method labels' values: the
/// longest metric name, the other labels and the value.
const LINE_BYTES: usize = 192;

/// What `lines` lines labelled with `labels` add to the page, at most: label values count
/// twice, as escaping (`\"`, `\\`) may double them.
fn page_bytes(lines: usize, labels: &MethodLabels) -> usize {
    lines * (LINE_BYTES + 2 * (labels.rpc_service.len() + labels.rpc_method.len()))
}

/// The bytes an end's series may still add to the page.
struct Budget {
    end: &'static str,
    max: usize,
    left: AtomicUsize,
    /// Whether the budget has run out (and the warning was given).
    spent: AtomicBool,
}

impl Budget {
    fn new(end: &'static str, max: usize) -> Self {
        Self { end, max, left: AtomicUsize::new(max), spent: AtomicBool::new(false) }
    }

    /// Takes `bytes` from the budget; `false` (and a warning, the first time) when they are not
    /// left.
    fn take(&self, bytes: usize) -> bool {
        let taken =
            self.left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| left.checked_sub(bytes)).is_ok();
        if !taken && !self.spent.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                end = self.end,
                max_bytes = self.max,
                "metrics: the series of this end reached their byte budget; further methods and status codes count under _OTHER"
            );
        }
        taken
    }
}

/// The metrics of one end of calls.
#[derive(Clone)]
struct EndMetrics {
    duration: HistogramFamily<CallLabels>,
    active: Family<MethodLabels, Gauge>,
    requests: HistogramFamily<MethodLabels>,
    responses: HistogramFamily<MethodLabels>,
    /// Each method's series, by request path, looked up once per call instead of building and
    /// hashing label sets for every observation (with foldhash, seeded per process: the paths
    /// come from peers).
    methods: Arc<RwLock<HashMap<String, Arc<MethodMetrics>, foldhash::fast::RandomState>>>,
    /// What further series may add to the page.
    budget: Arc<Budget>,
}

/// One method's series at one end (they share their values with the families above).
struct MethodMetrics {
    labels: MethodLabels,
    /// Whether its series draw on the byte budget (all but `_OTHER`'s).
    budgeted: bool,
    active: Gauge,
    requests: Histogram,
    responses: Histogram,
    /// The call duration by status code, created when a call first ends with that code.
    duration: [OnceLock<Histogram>; LAST_STATUS_CODE + 1],
    /// Which sides of its calls are one message: their counts follow without reading them.
    unary: Unary,
}

impl EndMetrics {
    fn register(registry: &mut Registry, end: &'static str, party: &str, max_bytes: usize) -> Self {
        let metrics = Self {
            duration: Family::new_with_constructor(|| Histogram::new(duration_bounds())),
            active: Family::default(),
            requests: Family::new_with_constructor(|| Histogram::new(MESSAGE_BUCKETS)),
            responses: Family::new_with_constructor(|| Histogram::new(MESSAGE_BUCKETS)),
            methods: Arc::default(),
            budget: Arc::new(Budget::new(end, max_bytes)),
        };
        registry.register_with_unit(
            format!("rpc_{end}_call_duration"),
            format!("Duration of RPCs {party}, until the last response byte"),
            Unit::Seconds,
            metrics.duration.clone(),
        );
        registry.register(format!("rpc_{end}_active_calls"), format!("RPCs {party} now"), metrics.active.clone());
        let requests = format!("Request messages per RPC {party} (1 unless the client streams)");
        registry.register(format!("rpc_{end}_requests_per_rpc"), requests, metrics.requests.clone());
        let responses = format!("Response messages per RPC {party} (1 unless the server streams)");
        registry.register(format!("rpc_{end}_responses_per_rpc"), responses, metrics.responses.clone());
        metrics
    }

    /// The series of the method at request path `path`, created on its first call (those of
    /// `_OTHER` past [`MAX_METHODS`] or the byte budget).
    fn method(&self, path: &str, unary: impl FnOnce() -> Unary) -> Arc<MethodMetrics> {
        if let Some(found) = self.methods.read().unwrap_or_else(PoisonError::into_inner).get(path) {
            return found.clone();
        }
        let mut methods = self.methods.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(found) = methods.get(path) {
            return found.clone();
        }
        let (service, method) = crate::call::rpc_name(path);
        let labels =
            MethodLabels { rpc_system: "grpc", rpc_service: service.to_string(), rpc_method: method.to_string() };
        if methods.len() < MAX_METHODS && self.budget.take(page_bytes(METHOD_LINES, &labels)) {
            let created = self.create(labels, true, unary());
            methods.insert(path.to_string(), created.clone());
            return created;
        }
        self.other(&mut methods)
    }

    /// The series of `_OTHER`, created on first use (outside the budget: they are one method's).
    fn other(
        &self,
        methods: &mut HashMap<String, Arc<MethodMetrics>, foldhash::fast::RandomState>,
    ) -> Arc<MethodMetrics> {
        let entry = methods.entry(OTHER.to_string()).or_insert_with(|| {
            let labels =
                MethodLabels { rpc_system: "grpc", rpc_service: OTHER.to_string(), rpc_method: OTHER.to_string() };
            self.create(labels, false, Unary::default())
        });
        entry.clone()
    }

    fn create(&self, labels: MethodLabels, budgeted: bool, unary: Unary) -> Arc<MethodMetrics> {
        Arc::new(MethodMetrics {
            active: self.active.get_or_create_owned(&labels),
            requests: self.requests.get_or_create_owned(&labels),
            responses: self.responses.get_or_create_owned(&labels),
            duration: Default::default(),
            labels,
            budgeted,
            unary,
        })
    }

    /// Records a call of `method` that ended with the gRPC status `code` after `seconds`.
    fn observe_duration(&self, method: &MethodMetrics, code: u16, seconds: f64) {
        let code = usize::from(code);
        let code = if code <= LAST_STATUS_CODE { code } else { UNKNOWN };
        if let Some(histogram) = method.duration[code].get() {
            return histogram.observe(seconds);
        }
        if method.budgeted && !self.budget.take(page_bytes(duration_lines(), &method.labels)) {
            // No room for this code's series of this method: its calls with this code count
            // under _OTHER's series for the code, kept with the method (a clone shares them).
            let other = self.other(&mut self.methods.write().unwrap_or_else(PoisonError::into_inner));
            let shared = self.duration_series(&other, code).clone();
            return method.duration[code].get_or_init(|| shared).observe(seconds);
        }
        self.duration_series(method, code).observe(seconds);
    }

    /// The duration series of `method`'s calls that ended with `code`, created on first use.
    fn duration_series<'m>(&self, method: &'m MethodMetrics, code: usize) -> &'m Histogram {
        method.duration[code].get_or_init(|| {
            let labels = &method.labels;
            self.duration.get_or_create_owned(&CallLabels {
                rpc_system: labels.rpc_system,
                rpc_service: labels.rpc_service.clone(),
                rpc_method: labels.rpc_method.clone(),
                rpc_grpc_status_code: code.to_string(),
            })
        })
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AuthorizationLabels {
    /// The declared caller's app, or `_UNDECLARED`.
    caller: &'static str,
    /// `allowed` or `denied`.
    decision: &'static str,
}

/// RPC and process metrics; clones share them.
#[derive(Clone)]
pub struct RpcMetrics(Arc<Shared>);

/// What clones of [`RpcMetrics`] share (one reference count for a call to take).
struct Shared {
    registry: Registry,
    server: EndMetrics,
    client: EndMetrics,
    authorization: Family<AuthorizationLabels, Counter>,
}

impl std::fmt::Debug for RpcMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RpcMetrics").finish_non_exhaustive()
    }
}

impl Default for RpcMetrics {
    fn default() -> Self {
        Self::new()
    }
}

static GLOBAL: OnceLock<RpcMetrics> = OnceLock::new();

impl RpcMetrics {
    /// Empty metrics, registered, each end's series within [`DEFAULT_MAX_SERIES_BYTES`].
    pub fn new() -> Self {
        Self::with_max_series_bytes(DEFAULT_MAX_SERIES_BYTES)
    }

    /// Empty metrics whose series may add at most `max_bytes` to the page at each end (see the
    /// module docs).
    ///
    /// Default ([`RpcMetrics::new`], [`RpcMetrics::global`]): 16 MiB.
    pub fn with_max_series_bytes(max_bytes: usize) -> Self {
        let mut registry = Registry::default();
        let server = EndMetrics::register(&mut registry, "server", "handled by this server", max_bytes);
        let client = EndMetrics::register(&mut registry, "client", "this client made", max_bytes);
        let authorization = Family::default();
        registry.register(
            "kuberpc_server_authorization_decisions",
            "Calls to a mutual-TLS server by caller (a declared caller's app, or _UNDECLARED) and decision",
            authorization.clone(),
        );
        registry.register_collector(Box::new(process::ProcessCollector));
        Self(Arc::new(Shared { registry, server, client, authorization }))
    }

    /// The process's metrics, created on first use: what [`crate::Server`] serves when
    /// `KUBERPC_METRICS_ADDR` is set, and where clients record their calls from then on.
    pub fn global() -> &'static RpcMetrics {
        GLOBAL.get_or_init(RpcMetrics::new)
    }

    /// [`RpcMetrics::global`], if something has asked for it.
    pub(crate) fn global_in_use() -> Option<&'static RpcMetrics> {
        GLOBAL.get()
    }

    fn end(&self, side: Side) -> &EndMetrics {
        match side {
            Side::Server => &self.0.server,
            Side::Client => &self.0.client,
        }
    }

    /// A call to `path` started at `side`; it counts as active until it finishes. `unary`
    /// tells, the first time `path` is seen, which sides of its calls are one message.
    fn started(&self, side: Side, path: &str, unary: impl FnOnce() -> Unary) -> ActiveCall {
        let method = self.end(side).method(path, unary);
        method.active.inc();
        ActiveCall { metrics: self.clone(), side, method: Some(method), responses: 0 }
    }

    /// The counter of a mutual-TLS server's decisions for `caller` (`allowed` or not).
    pub(crate) fn authorization_counter(&self, caller: &'static str, allowed: bool) -> Counter {
        let decision = if allowed { "allowed" } else { "denied" };
        self.0.authorization.get_or_create_owned(&AuthorizationLabels { caller, decision })
    }

    /// Everything, in the Prometheus text format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.0.registry);
        text
    }
}

/// Starts recording `request` at `side` into `metrics`, if kept: the call counts as active,
/// and its request body counts its messages — unless `deploy` says the method takes exactly
/// one (and the response's, unless it says the method answers one). Both ends call this; the
/// response side is recorded by [`crate::trace::record_response`].
pub(crate) fn observe(
    metrics: Option<&RpcMetrics>,
    side: Side,
    request: http::Request<Body>,
    deploy: Option<&crate::Deploy>,
) -> (Option<ActiveCall>, http::Request<Body>) {
    let Some(metrics) = metrics else { return (None, request) };
    let path = request.uri().path();
    let unary = || match deploy.and_then(|deploy| deploy.method(path)) {
        Some(method) => Unary { request: !method.client_streaming, response: !method.server_streaming },
        None => Unary::default(),
    };
    let active = metrics.started(side, path, unary);
    let request = active.count_requests(request);
    (Some(active), request)
}

/// Which sides of a method's calls are one message (the method does not stream them): a
/// unary request counts 1, as the conventions say, and a unary answer 1 when the call
/// succeeds, 0 when it fails. Unknown methods are counted as streams (every message read).
#[derive(Debug, Clone, Copy, Default)]
struct Unary {
    request: bool,
    response: bool,
}

/// One call in flight; records its duration, status and messages when it finishes.
pub(crate) struct ActiveCall {
    metrics: RpcMetrics,
    side: Side,
    method: Option<Arc<MethodMetrics>>,
    /// Response messages, counted by [`ActiveCall::count_responses`].
    responses: u64,
}

impl ActiveCall {
    /// The request, its body counting its messages into the method's series (once dropped).
    fn count_requests(&self, request: http::Request<Body>) -> http::Request<Body> {
        let Some(method) = self.method.clone().filter(|method| !method.unary.request) else { return request };
        request.map(|inner| Body::new(CountedBody { inner, frames: MessageFrames::default(), method, count: 0 }))
    }

    /// Response messages complete in `frames` after `data`.
    pub(crate) fn count_responses(&mut self, frames: &mut MessageFrames, data: &Bytes) {
        if self.method.as_ref().is_some_and(|method| !method.unary.response) {
            self.responses += frames.feed(data);
        }
    }

    /// The call ended with the gRPC status `code` after `seconds`.
    pub(crate) fn finished(&mut self, code: u16, seconds: f64) {
        let Some(method) = self.method.take() else { return };
        method.active.dec();
        if method.unary.request {
            method.requests.observe(1.0);
        }
        let responses = if method.unary.response { u64::from(code == 0) } else { self.responses };
        method.responses.observe(responses as f64);
        self.metrics.end(self.side).observe_duration(&method, code, seconds);
    }
}

impl Drop for ActiveCall {
    fn drop(&mut self) {
        // A call dropped before it finished (the client went away) was cancelled.
        self.finished(1, 0.0);
    }
}

/// Counts gRPC messages in a byte stream: each is a 5-byte prefix (flag, big-endian length)
/// and that many bytes, split across data frames anyhow.
#[derive(Debug, Default)]
pub(crate) struct MessageFrames {
    prefix: [u8; 5],
    prefix_len: usize,
    /// Bytes of the current message still to come.
    remaining: u64,
}

impl MessageFrames {
    /// How many messages begin in `data`.
    fn feed(&mut self, mut data: &[u8]) -> u64 {
        let mut started = 0;
        while !data.is_empty() {
            if self.remaining > 0 {
                let skip = data.len().min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
                data.advance(skip);
                self.remaining -= skip as u64;
                continue;
            }
            let take = (5 - self.prefix_len).min(data.len());
            self.prefix[self.prefix_len..self.prefix_len + take].copy_from_slice(&data[..take]);
            self.prefix_len += take;
            data.advance(take);
            if self.prefix_len == 5 {
                started += 1;
                self.prefix_len = 0;
                self.remaining =
                    u64::from(u32::from_be_bytes([self.prefix[1], self.prefix[2], self.prefix[3], self.prefix[4]]));
            }
        }
        started
    }
}

/// A request body counting its messages.
struct CountedBody {
    inner: Body,
    frames: MessageFrames,
    /// The series the count goes to, when the body is dropped (read or not).
    method: Arc<MethodMetrics>,
    count: u64,
}

impl Drop for CountedBody {
    fn drop(&mut self) {
        self.method.requests.observe(self.count as f64);
    }
}

impl http_body::Body for CountedBody {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled {
            if let Some(data) = frame.data_ref() {
                let this = &mut *self;
                this.count += this.frames.feed(data);
            }
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

/// Serves `metrics` at `GET /metrics` (HTTP/1.1) on `listener` until the task is dropped, with
/// the default [`Limits`] on requests (a request's head must arrive within 5 s and fit in
/// 16 KiB).
pub async fn serve_metrics(listener: TcpListener, metrics: RpcMetrics) {
    serve_metrics_limited(listener, metrics, Limits::default()).await;
}

/// [`serve_metrics`] with `limits`' metrics limits: a connection that has not sent a request's
/// head within the header read timeout (a slow loris, or a kept-alive connection that sends
/// nothing more) is closed, and a head larger than the header buffer is refused.
pub(crate) async fn serve_metrics_limited(listener: TcpListener, metrics: RpcMetrics, limits: Limits) {
    use hyper::service::service_fn;
    let mut http1 = hyper::server::conn::http1::Builder::new();
    http1
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.metrics_header_read_timeout)
        .max_buf_size(limits.metrics_max_header_bytes.max(MIN_HEADER_BUFFER));
    let mut rest = crate::accept::Rest::default();
    loop {
        let Some((stream, _)) = rest.after("metrics", listener.accept().await).await else { continue };
        let metrics = metrics.clone();
        let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
            let response = metrics_response(request.uri().path(), &metrics);
            async move { Ok::<_, Infallible>(response) }
        });
        let http1 = http1.clone();
        tokio::spawn(async move {
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = http1.serve_connection(io, service).await;
        });
    }
}

/// The smallest read buffer hyper's HTTP/1 server accepts (it panics below it).
const MIN_HEADER_BUFFER: usize = 8 * 1024;

fn metrics_response(path: &str, metrics: &RpcMetrics) -> http::Response<http_body_util::Full<bytes::Bytes>> {
    let (status, content_type, body) = match path {
        "/metrics" => (200, "application/openmetrics-text; version=1.0.0; charset=utf-8", metrics.encode()),
        _ => (404, "text/plain; charset=utf-8", "not found: the metrics are at /metrics\n".to_string()),
    };
    let mut response = http::Response::new(http_body_util::Full::new(bytes::Bytes::from(body)));
    *response.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
    if let Ok(value) = http::HeaderValue::from_str(content_type) {
        response.headers_mut().insert(http::header::CONTENT_TYPE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(len: u32) -> Vec<u8> {
        let mut bytes = vec![0];
        bytes.extend_from_slice(&len.to_be_bytes());
        bytes.extend(std::iter::repeat_n(7, len as usize));
        bytes
    }

    #[test]
    fn messages_are_counted_however_the_frames_split_them() {
        let stream: Vec<u8> = [message(3), message(0), message(300), message(1)].concat();
        for chunk in [1, 2, 5, 7, 64, stream.len()] {
            let mut frames = MessageFrames::default();
            let counted: u64 = stream.chunks(chunk).map(|c| frames.feed(c)).sum();
            assert_eq!(counted, 4, "in chunks of {chunk}");
        }
    }

    /// The lines of `metrics`' page that begin with `prefix`.
    fn lines<'a>(page: &'a str, prefix: &str) -> Vec<&'a str> {
        page.lines().filter(|l| l.starts_with(prefix)).collect()
    }

    /// A service of `methods`, for the tests.
    fn deploy(methods: &'static [crate::MethodPolicy]) -> &'static crate::Deploy {
        let deploy: crate::Deploy = crate::Deploy {
            app: "test",
            service: "test.v1.T",
            port: 50051,
            headless_service: "test-headless",
            reflection: true,
            lifecycle: kuberpc_spec::Lifecycle::DEFAULT,
            methods,
            client: kuberpc_spec::ClientPolicy::DEFAULT,
            mtls: None,
            callers: &[],
            web: None,
            rest: &[],
        };
        Box::leak(Box::new(deploy))
    }

    #[test]
    fn a_latency_objective_is_a_bucket_bound_of_histograms_created_after_it() {
        static METHODS: [crate::MethodPolicy; 1] = [crate::MethodPolicy {
            latency_objective_ms: Some(340),
            ..crate::MethodPolicy::unary("/slo.v1.Timed/Get")
        }];
        let metrics = RpcMetrics::new();
        add_objective_bounds(deploy(&METHODS));
        for seconds in [0.2, 0.3, 0.4] {
            metrics.started(Side::Server, "/slo.v1.Timed/Get", Unary::default).finished(0, seconds);
        }
        let page = metrics.encode();
        let bucket = |le: &str| {
            lines(&page, "rpc_server_call_duration_seconds_bucket")
                .into_iter()
                .find(|l| l.contains(&format!("le=\"{le}\"")))
                .map(|l| l.rsplit(' ').next().unwrap().to_string())
        };
        // The rules write the threshold as Prometheus normalizes a bound: 0.34, 1.0.
        assert_eq!(bucket("0.34").as_deref(), Some("2"), "{page}");
        assert_eq!(bucket("0.25").as_deref(), Some("1"), "{page}");
        assert_eq!(bucket("1.0").as_deref(), Some("3"), "{page}");
    }

    #[tokio::test]
    async fn a_unary_call_counts_its_messages_unread_and_a_stream_counts_what_it_sent() {
        static METHODS: [crate::MethodPolicy; 2] = [
            crate::MethodPolicy::unary("/count.v1.C/One"),
            crate::MethodPolicy { client_streaming: true, ..crate::MethodPolicy::unary("/count.v1.C/Many") },
        ];
        use http_body_util::BodyExt as _;
        let metrics = RpcMetrics::new();
        // Two messages of 1 and 0 bytes.
        let two = || Body::new(http_body_util::Full::new(Bytes::from_static(&[0, 0, 0, 0, 1, 7, 0, 0, 0, 0, 0])));
        for (path, status) in [("/count.v1.C/One", 0), ("/count.v1.C/One", 13), ("/count.v1.C/Many", 0)] {
            let request = http::Request::builder().uri(path).body(two()).unwrap();
            let (active, request) = observe(Some(&metrics), Side::Server, request, Some(deploy(&METHODS)));
            if path.ends_with("Many") {
                request.into_body().collect().await.unwrap();
            }
            active.unwrap().finished(status, 0.001);
        }
        let page = metrics.encode();
        let sum = |series: &str, method: &str| {
            lines(&page, &format!("rpc_server_{series}_per_rpc_sum"))
                .into_iter()
                .find(|l| l.contains(&format!("rpc_method=\"{method}\"")))
                .map(|l| l.rsplit(' ').next().unwrap().to_string())
        };
        assert_eq!(sum("requests", "One").as_deref(), Some("2.0"), "unary: one message a call, unread: {page}");
        assert_eq!(sum("responses", "One").as_deref(), Some("1.0"), "one answer, one failure: {page}");
        assert_eq!(sum("requests", "Many").as_deref(), Some("2.0"), "{page}");
    }

    #[test]
    fn a_methods_calls_share_its_series_whatever_their_status() {
        let metrics = RpcMetrics::new();
        for status in [0, 0, 3, 99] {
            let mut call = metrics.started(Side::Server, "/greeter.v1.Greeter/SayHello", Unary::default);
            call.finished(status, 0.001);
        }
        let _open = metrics.started(Side::Server, "/greeter.v1.Greeter/SayHello", Unary::default);
        assert_eq!(metrics.0.server.methods.read().unwrap().len(), 1);
        let page = metrics.encode();
        let count = |code: &str| {
            lines(&page, "rpc_server_call_duration_seconds_count")
                .into_iter()
                .find(|l| l.contains(&format!("rpc_grpc_status_code=\"{code}\"")))
                .map(|l| l.rsplit(' ').next().unwrap().to_string())
        };
        assert_eq!(count("0").as_deref(), Some("2"), "{page}");
        assert_eq!(count("3").as_deref(), Some("1"), "{page}");
        // A code gRPC does not define counts as UNKNOWN.
        assert_eq!(count("99"), None, "{page}");
        assert_eq!(count("2").as_deref(), Some("1"), "{page}");
        let active = lines(&page, "rpc_server_active_calls{");
        assert_eq!(active.len(), 1, "{page}");
        assert!(active[0].contains("rpc_method=\"SayHello\"") && active[0].ends_with(" 1"), "{page}");
        assert!(lines(&page, "rpc_client_").iter().all(|l| !l.contains("SayHello")), "the client end is apart: {page}");
    }

    #[test]
    fn past_the_most_methods_further_paths_share_one_series() {
        let metrics = RpcMetrics::new();
        for n in 0..MAX_METHODS + 50 {
            metrics.started(Side::Server, &format!("/scan.v1.Probe/M{n}"), Unary::default).finished(12, 0.0);
        }
        metrics.started(Side::Server, "/scan.v1.Probe/M0", Unary::default).finished(12, 0.0);
        let page = metrics.encode();
        let series = lines(&page, "rpc_server_call_duration_seconds_count");
        assert_eq!(series.len(), MAX_METHODS + 1, "{} series: the kept methods and _OTHER", series.len());
        let other = series.iter().find(|l| l.contains("rpc_method=\"_OTHER\"")).expect("an _OTHER series");
        assert!(other.ends_with(" 50"), "{other}");
        let first = series.iter().find(|l| l.contains("rpc_method=\"M0\"")).expect("M0 kept its series");
        assert!(first.ends_with(" 2"), "{first}");
    }

    /// What a method's series and a status code's series add to the page is never more than
    /// the budget is charged for them, whatever the names (long ones, ones escaping doubles).
    #[test]
    fn the_page_grows_by_no_more_than_the_estimate() {
        let long = "x".repeat(4000);
        let escaped = "\"\\".repeat(500);
        for (service, method) in
            [("greeter.v1.Greeter", "SayHello"), ("a", ""), (long.as_str(), "M"), ("s", escaped.as_str())]
        {
            let metrics = RpcMetrics::new();
            let path = format!("/{service}/{method}");
            let empty = metrics.encode().len();
            let mut call = metrics.started(Side::Server, &path, Unary::default);
            let labels = metrics.0.server.method(&path, Unary::default).labels.clone();
            let with_method = metrics.encode().len();
            assert!(with_method - empty <= page_bytes(METHOD_LINES, &labels), "{service:.20}/{method:.20}");
            call.finished(16, 12345.678);
            let with_code = metrics.encode().len();
            assert!(with_code - with_method <= page_bytes(duration_lines(), &labels), "{service:.20}/{method:.20}");
            // Not so far over that common names would not fit: within 3 times.
            if method == "SayHello" {
                assert!(3 * (with_code - empty) >= page_bytes(METHOD_LINES + duration_lines(), &labels));
            }
        }
    }

    /// Peer-chosen paths of 500 bytes, 200 of them, two codes each: past the budget they count
    /// under _OTHER, the page stays within it, and no call goes uncounted.
    #[test]
    fn past_the_byte_budget_further_methods_and_codes_share_one_series() {
        let budget = 1 << 20;
        let metrics = RpcMetrics::with_max_series_bytes(budget);
        let baseline = metrics.encode().len();
        let name = "m".repeat(500);
        for n in 0..200 {
            for status in [0, 12] {
                metrics
                    .started(Side::Server, &format!("/scan.v1.Probe/{n}{name}"), Unary::default)
                    .finished(status, 0.0);
            }
        }
        let page = metrics.encode();
        let series = lines(&page, "rpc_server_call_duration_seconds_count");
        let counted: u64 = series.iter().map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap()).sum();
        assert_eq!(counted, 400, "every call counted once");
        let other = series.iter().filter(|l| l.contains("rpc_method=\"_OTHER\"")).count();
        assert_eq!(other, 2, "the rest count under _OTHER, by code");
        // 56 KiB estimated for a method and its first code, 20 KiB for its second: ~13 fit.
        assert!((10..40).contains(&series.len()), "{} series", series.len());
        // _OTHER's own series (two codes here) are outside the budget.
        let other_labels = MethodLabels { rpc_system: "grpc", rpc_service: OTHER.into(), rpc_method: OTHER.into() };
        let other_bytes = page_bytes(METHOD_LINES + 2 * duration_lines(), &other_labels);
        assert!(page.len() <= baseline + budget + other_bytes, "{} bytes", page.len());
        assert!(page.len() >= baseline + budget / 4, "the budget is used, not wasted: {} bytes", page.len());
    }
}
