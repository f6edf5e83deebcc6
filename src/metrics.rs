//! Server RPC metrics in the Prometheus text format, named after the OpenTelemetry RPC
//! semantic conventions (`rpc.server.call.duration` → `rpc_server_call_duration_seconds`, with
//! `rpc_system`, `rpc_service`, `rpc_method` and `rpc_grpc_status_code` labels), plus the calls
//! in flight (`rpc_server_active_calls`). Encoded by `prometheus-client` (the Prometheus
//! organisation's crate), nothing formatted by hand; served on its own port at `/metrics`
//! ([`serve_metrics`]). The per-call layer ([`crate::trace::CallTraceLayer`]) records into
//! [`RpcMetrics`].

use std::convert::Infallible;
use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use tokio::net::TcpListener;

/// Bucket bounds of the call duration, in seconds (the OpenTelemetry RPC conventions' advice).
const DURATION_BUCKETS: [f64; 14] = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];

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

type DurationFamily = Family<CallLabels, Histogram, fn() -> Histogram>;

/// The server's RPC metrics; clones share them.
#[derive(Clone)]
pub struct RpcMetrics {
    registry: Arc<Registry>,
    duration: DurationFamily,
    active: Family<MethodLabels, Gauge>,
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

impl RpcMetrics {
    /// Empty metrics, registered.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let duration: DurationFamily = Family::new_with_constructor(|| Histogram::new(DURATION_BUCKETS));
        let active = Family::<MethodLabels, Gauge>::default();
        registry.register_with_unit(
            "rpc_server_call_duration",
            "Duration of RPCs handled by this server, until the last response byte",
            prometheus_client::registry::Unit::Seconds,
            duration.clone(),
        );
        registry.register("rpc_server_active_calls", "RPCs this server is handling now", active.clone());
        Self { registry: Arc::new(registry), duration, active }
    }

    /// A call to `service`/`method` started; it counts as active until the guard is dropped.
    pub(crate) fn started(&self, service: &str, method: &str) -> ActiveCall {
        let labels =
            MethodLabels { rpc_system: "grpc", rpc_service: service.to_string(), rpc_method: method.to_string() };
        self.active.get_or_create(&labels).inc();
        ActiveCall { metrics: self.clone(), labels: Some(labels) }
    }

    /// Everything, in the Prometheus text format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// One call in flight; records its duration and status when it finishes.
pub(crate) struct ActiveCall {
    metrics: RpcMetrics,
    labels: Option<MethodLabels>,
}

impl ActiveCall {
    /// The call ended with `status` (numeric gRPC code) after `seconds`.
    pub(crate) fn finished(&mut self, status: &str, seconds: f64) {
        let Some(labels) = self.labels.take() else { return };
        self.metrics.active.get_or_create(&labels).dec();
        let call = CallLabels {
            rpc_system: labels.rpc_system,
            rpc_service: labels.rpc_service,
            rpc_method: labels.rpc_method,
            rpc_grpc_status_code: status.to_string(),
        };
        self.metrics.duration.get_or_create(&call).observe(seconds);
    }
}

impl Drop for ActiveCall {
    fn drop(&mut self) {
        // A call dropped before it finished (the client went away) was cancelled.
        self.finished("1", 0.0);
    }
}

/// Serves `metrics` at `GET /metrics` (HTTP/1.1) on `listener` until the task is dropped.
pub async fn serve_metrics(listener: TcpListener, metrics: RpcMetrics) {
    use hyper::service::service_fn;
    loop {
        let Ok((stream, _)) = listener.accept().await else { continue };
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
