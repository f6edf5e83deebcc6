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

mod process;

use std::collections::HashMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use http_body::{Frame, SizeHint};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};
use tokio::net::TcpListener;
use tonic::body::Body;

use crate::trace::Side;

/// Bucket bounds of the call duration, in seconds (the OpenTelemetry RPC conventions' advice).
const DURATION_BUCKETS: [f64; 14] = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];
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
/// The service and method labels of calls past [`MAX_METHODS`].
const OTHER: &str = "_OTHER";

/// The metrics of one end of calls.
#[derive(Clone)]
struct EndMetrics {
    duration: HistogramFamily<CallLabels>,
    active: Family<MethodLabels, Gauge>,
    requests: HistogramFamily<MethodLabels>,
    responses: HistogramFamily<MethodLabels>,
    /// Each method's series, by request path, looked up once per call instead of building and
    /// hashing label sets for every observation.
    methods: Arc<RwLock<HashMap<String, Arc<MethodMetrics>>>>,
}

/// One method's series at one end (they share their values with the families above).
struct MethodMetrics {
    labels: MethodLabels,
    active: Gauge,
    requests: Histogram,
    responses: Histogram,
    /// The call duration by status code, created when a call first ends with that code.
    duration: [OnceLock<Histogram>; LAST_STATUS_CODE + 1],
}

impl EndMetrics {
    fn register(registry: &mut Registry, end: &str, party: &str) -> Self {
        let metrics = Self {
            duration: Family::new_with_constructor(|| Histogram::new(DURATION_BUCKETS)),
            active: Family::default(),
            requests: Family::new_with_constructor(|| Histogram::new(MESSAGE_BUCKETS)),
            responses: Family::new_with_constructor(|| Histogram::new(MESSAGE_BUCKETS)),
            methods: Arc::default(),
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

    /// The series of the method at request path `path`, created on its first call.
    fn method(&self, path: &str) -> Arc<MethodMetrics> {
        if let Some(found) = self.methods.read().unwrap_or_else(PoisonError::into_inner).get(path) {
            return found.clone();
        }
        let mut methods = self.methods.write().unwrap_or_else(PoisonError::into_inner);
        let (path, (service, method)) = if methods.len() < MAX_METHODS || methods.contains_key(path) {
            (path, crate::trace::rpc_name(path))
        } else {
            (OTHER, (OTHER, OTHER))
        };
        let entry = methods.entry(path.to_string()).or_insert_with(|| {
            let labels =
                MethodLabels { rpc_system: "grpc", rpc_service: service.to_string(), rpc_method: method.to_string() };
            Arc::new(MethodMetrics {
                active: self.active.get_or_create_owned(&labels),
                requests: self.requests.get_or_create_owned(&labels),
                responses: self.responses.get_or_create_owned(&labels),
                duration: Default::default(),
                labels,
            })
        });
        entry.clone()
    }

    /// The duration series of `method`'s calls that ended with `status` (a numeric code).
    fn duration<'m>(&self, method: &'m MethodMetrics, status: &str) -> &'m Histogram {
        let code = status.parse::<usize>().ok().filter(|&code| code <= LAST_STATUS_CODE).unwrap_or(UNKNOWN);
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

/// RPC and process metrics; clones share them.
#[derive(Clone)]
pub struct RpcMetrics {
    registry: Arc<Registry>,
    server: EndMetrics,
    client: EndMetrics,
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
    /// Empty metrics, registered.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let server = EndMetrics::register(&mut registry, "server", "handled by this server");
        let client = EndMetrics::register(&mut registry, "client", "this client made");
        registry.register_collector(Box::new(process::ProcessCollector));
        Self { registry: Arc::new(registry), server, client }
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
            Side::Server => &self.server,
            Side::Client => &self.client,
        }
    }

    /// A call to `path` started at `side`; it counts as active until it finishes.
    fn started(&self, side: Side, path: &str) -> ActiveCall {
        let method = self.end(side).method(path);
        method.active.inc();
        ActiveCall { metrics: self.clone(), side, method: Some(method), requests: Arc::default(), responses: 0 }
    }

    /// Everything, in the Prometheus text format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// Starts recording `request` at `side` into `metrics`, if kept: the call counts as active,
/// and its request body counts its messages. Both ends call this; the response side is
/// recorded by [`crate::trace::record_response`].
pub(crate) fn observe(
    metrics: Option<&RpcMetrics>,
    side: Side,
    request: http::Request<Body>,
) -> (Option<ActiveCall>, http::Request<Body>) {
    let Some(metrics) = metrics else { return (None, request) };
    let active = metrics.started(side, request.uri().path());
    let request = active.count_requests(request);
    (Some(active), request)
}

/// One call in flight; records its duration, status and messages when it finishes.
pub(crate) struct ActiveCall {
    metrics: RpcMetrics,
    side: Side,
    method: Option<Arc<MethodMetrics>>,
    /// Request messages, counted as the request body is read ([`ActiveCall::count_requests`]).
    requests: Arc<AtomicU64>,
    /// Response messages, counted by [`ActiveCall::count_responses`].
    responses: u64,
}

impl ActiveCall {
    /// The request, its body counting messages into this call.
    fn count_requests(&self, request: http::Request<Body>) -> http::Request<Body> {
        let requests = self.requests.clone();
        request.map(|inner| Body::new(CountedBody { inner, frames: MessageFrames::default(), count: requests }))
    }

    /// Response messages complete in `frames` after `data`.
    pub(crate) fn count_responses(&mut self, frames: &mut MessageFrames, data: &Bytes) {
        self.responses += frames.feed(data);
    }

    /// The call ended with `status` (numeric gRPC code) after `seconds`.
    pub(crate) fn finished(&mut self, status: &str, seconds: f64) {
        let Some(method) = self.method.take() else { return };
        method.active.dec();
        method.requests.observe(self.requests.load(Ordering::Relaxed) as f64);
        method.responses.observe(self.responses as f64);
        self.metrics.end(self.side).duration(&method, status).observe(seconds);
    }
}

impl Drop for ActiveCall {
    fn drop(&mut self) {
        // A call dropped before it finished (the client went away) was cancelled.
        self.finished("1", 0.0);
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
    count: Arc<AtomicU64>,
}

impl http_body::Body for CountedBody {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if let Poll::Ready(Some(Ok(frame))) = &polled {
            if let Some(data) = frame.data_ref() {
                let this = &mut *self;
                let started = this.frames.feed(data);
                this.count.fetch_add(started, Ordering::Relaxed);
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

/// Serves `metrics` at `GET /metrics` (HTTP/1.1) on `listener` until the task is dropped.
pub async fn serve_metrics(listener: TcpListener, metrics: RpcMetrics) {
    use hyper::service::service_fn;
    let mut rest = crate::accept::Rest::default();
    loop {
        let Some((stream, _)) = rest.after("metrics", listener.accept().await).await else { continue };
        let metrics = metrics.clone();
        let service = service_fn(move |request: http::Request<hyper::body::Incoming>| {
            let response = metrics_response(request.uri().path(), &metrics);
            async move { Ok::<_, Infallible>(response) }
        });
        tokio::spawn(async move {
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
        });
    }
}

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

    #[test]
    fn a_methods_calls_share_its_series_whatever_their_status() {
        let metrics = RpcMetrics::new();
        for status in ["0", "0", "3", "99"] {
            let mut call = metrics.started(Side::Server, "/greeter.v1.Greeter/SayHello");
            call.finished(status, 0.001);
        }
        let _open = metrics.started(Side::Server, "/greeter.v1.Greeter/SayHello");
        assert_eq!(metrics.server.methods.read().unwrap().len(), 1);
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
            metrics.started(Side::Server, &format!("/scan.v1.Probe/M{n}")).finished("12", 0.0);
        }
        metrics.started(Side::Server, "/scan.v1.Probe/M0").finished("12", 0.0);
        let page = metrics.encode();
        let series = lines(&page, "rpc_server_call_duration_seconds_count");
        assert_eq!(series.len(), MAX_METHODS + 1, "{} series: the kept methods and _OTHER", series.len());
        let other = series.iter().find(|l| l.contains("rpc_method=\"_OTHER\"")).expect("an _OTHER series");
        assert!(other.ends_with(" 50"), "{other}");
        let first = series.iter().find(|l| l.contains("rpc_method=\"M0\"")).expect("M0 kept its series");
        assert!(first.ends_with(" 2"), "{first}");
    }
}
