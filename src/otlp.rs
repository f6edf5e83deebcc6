//! The export of kuberpc's call spans: what a finished one holds ([`Record`], built by
//! `span`), a bounded queue the calls push to, and a task on the export thread that encodes
//! them as one OTLP `ExportTraceServiceRequest` per batch and sends it to the collector over
//! gRPC.
//!
//! Configured by the standard variables, read as the OpenTelemetry SDK reads them (it exports
//! the program's own spans beside these): `OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT`, `_HEADERS`
//! and `_TIMEOUT` (default 10 s), and the batch processor's `OTEL_BSP_MAX_QUEUE_SIZE` (2048),
//! `OTEL_BSP_SCHEDULE_DELAY` (5000 ms) and `OTEL_BSP_MAX_EXPORT_BATCH_SIZE` (512). A span
//! that finds the queue full is dropped and counted; a failed export is logged at most once
//! per [`QUIET`] with what it lost.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::str::FromStr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use bytes::{Buf, BufMut, Bytes};
use http::uri::PathAndQuery;
use opentelemetry::trace::{SpanId, TraceId, TraceState};
use opentelemetry::{KeyValue, Value as OtelValue};
use prost::encoding::{encode_key, encode_varint, encoded_len_varint, WireType};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::Status;

use crate::call::rpc_name;

/// The least time between two log lines about failed exports.
const QUIET: Duration = Duration::from_secs(10);
/// The collector's method.
const EXPORT: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

/// Where finished call spans wait for the export task, once telemetry exports.
static QUEUE: OnceLock<Arc<Queue>> = OnceLock::new();

/// Hands a finished span to the export; dropped when nothing exports or the queue is full.
pub(crate) fn queue(record: Record) {
    if let Some(queue) = QUEUE.get() {
        queue.push(record);
    }
}

/// Which end of a call a span is (OTLP's `SpanKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Server = 2,
    Client = 3,
}

/// A span of one gRPC call (or of one attempt of it), as the export queue holds it. Its name
/// and the RPC conventions' attributes (`rpc.system`, `rpc.service`, `rpc.method`) come from
/// `path` when it is encoded.
#[derive(Debug)]
pub(crate) struct Record {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub parent: Option<SpanId>,
    pub state: TraceState,
    pub kind: Kind,
    /// `/<service>/<method>`.
    pub path: PathAndQuery,
    /// For an attempt's span (`Attempt.<service>.<method>`): the attempts of its call before it.
    pub attempt: Option<u32>,
    /// `server.address` (a client's target).
    pub server_address: Option<Arc<str>>,
    /// `server.port`.
    pub server_port: Option<u16>,
    /// `network.peer.address` and `.port`.
    pub peer: Option<SocketAddr>,
    /// `rpc.grpc.status_code`, when the call ended with one.
    pub status: Option<i64>,
    /// OTLP's status ERROR (else UNSET).
    pub error: bool,
    pub start: SystemTime,
    pub duration: Duration,
}

/// The settings of the export, from the environment.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub endpoint: String,
    pub headers: Vec<(String, String)>,
    pub timeout: Duration,
    pub max_queue: usize,
    pub delay: Duration,
    pub max_batch: usize,
}

impl Config {
    /// Reads the settings through `var`; an error names the variable it cannot honour.
    pub(crate) fn from_env(var: &dyn Fn(&str) -> Option<String>) -> Result<Self, String> {
        let set = |name: &str| var(name).map(|value| value.trim().to_string()).filter(|value| !value.is_empty());
        let traces_or_all = |suffix: &str| {
            let traces = format!("OTEL_EXPORTER_OTLP_TRACES_{suffix}");
            let all = format!("OTEL_EXPORTER_OTLP_{suffix}");
            set(&traces).map(|value| (traces, value)).or_else(|| set(&all).map(|value| (all, value)))
        };
        let (name, endpoint) = traces_or_all("ENDPOINT").ok_or("no OTEL_EXPORTER_OTLP_ENDPOINT")?;
        if !endpoint.starts_with("http://") {
            return Err(format!(
                "{name}={endpoint:?}: kuberpc exports OTLP/gRPC in plaintext to an http:// endpoint (a collector beside the pod terminates TLS)"
            ));
        }
        tonic::transport::Endpoint::from_str(&endpoint).map_err(|error| format!("{name}={endpoint:?}: {error}"))?;
        let headers = match traces_or_all("HEADERS") {
            Some((name, value)) => headers(&value).map_err(|error| format!("{name}: {error}"))?,
            None => Vec::new(),
        };
        let number = |name: &str, default: u64| match set(name) {
            None => Ok(default),
            Some(value) => value.parse::<u64>().map_err(|_| format!("{name}={value:?}: a whole number")),
        };
        let timeout = match traces_or_all("TIMEOUT") {
            Some((name, _)) => number(&name, 0)?,
            None => 10_000,
        };
        let max_queue = number("OTEL_BSP_MAX_QUEUE_SIZE", 2048)?.max(1);
        let max_batch = number("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", 512)?.clamp(1, max_queue);
        Ok(Self {
            endpoint,
            headers,
            timeout: Duration::from_millis(timeout),
            max_queue: usize::try_from(max_queue).unwrap_or(usize::MAX),
            // At least a millisecond: a delay of 0 would have the export task spin.
            delay: Duration::from_millis(number("OTEL_BSP_SCHEDULE_DELAY", 5000)?.max(1)),
            max_batch: usize::try_from(max_batch).unwrap_or(usize::MAX),
        })
    }
}

/// `key=value` pairs, comma-separated, values percent-decoded (the OTLP exporter's format).
fn headers(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    for pair in text.split(',').map(str::trim).filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').ok_or_else(|| format!("{pair:?} is not key=value"))?;
        let value: String = form_urlencoded::parse(format!("v={}", value.trim().replace('+', "%2B")).as_bytes())
            .map(|(_, value)| value.into_owned())
            .collect();
        let key = key.trim().to_ascii_lowercase();
        tonic::metadata::MetadataKey::<tonic::metadata::Ascii>::from_str(&key)
            .map_err(|_| format!("{key:?} is not a header name"))?;
        value
            .parse::<tonic::metadata::MetadataValue<tonic::metadata::Ascii>>()
            .map_err(|_| format!("the value of {key:?} is not a header value"))?;
        pairs.push((key, value));
    }
    Ok(pairs)
}

/// The spans waiting for export.
struct Queue {
    spans: Mutex<Vec<Record>>,
    max: usize,
    batch: usize,
    /// Woken when a batch is full, or to flush.
    ready: tokio::sync::Notify,
    /// Spans dropped for a full queue since the last report.
    dropped: std::sync::atomic::AtomicU64,
}

impl Queue {
    fn push(&self, record: Record) {
        let Ok(mut spans) = self.spans.lock() else { return };
        if spans.len() >= self.max {
            self.dropped.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return;
        }
        spans.push(record);
        if spans.len() == self.batch {
            self.ready.notify_one();
        }
    }

    fn take(&self) -> Vec<Record> {
        self.spans.lock().map(|mut spans| std::mem::take(&mut *spans)).unwrap_or_default()
    }
}

/// The running export: ask it to flush, or stop it.
pub(crate) struct Exporter {
    queue: Arc<Queue>,
    flushes: tokio::sync::mpsc::UnboundedSender<std::sync::mpsc::Sender<()>>,
}

impl Exporter {
    /// Starts the export task on `runtime` and makes it the one call spans go to (the first
    /// one started stays).
    pub(crate) fn start(
        config: Config,
        resource: &opentelemetry_sdk::Resource,
        scope: &str,
        runtime: &tokio::runtime::Runtime,
    ) -> Self {
        let queue = Arc::new(Queue {
            spans: Mutex::new(Vec::with_capacity(config.max_batch)),
            max: config.max_queue,
            batch: config.max_batch,
            ready: tokio::sync::Notify::new(),
            dropped: Default::default(),
        });
        let queue = QUEUE.get_or_init(|| queue).clone();
        let (flushes, requests) = tokio::sync::mpsc::unbounded_channel();
        let head = Head::new(resource, scope);
        runtime.spawn(run(queue.clone(), config, head, requests));
        Self { queue, flushes }
    }

    /// Exports what is queued now; returns when it is sent (or failed), or after `wait`.
    pub(crate) fn flush(&self, wait: Duration) {
        let (done, finished) = std::sync::mpsc::channel();
        if self.flushes.send(done).is_ok() {
            self.queue.ready.notify_one();
            let _ = finished.recv_timeout(wait);
        }
    }
}

/// The export task: a batch whenever one is full, the schedule's delay passes or a flush is
/// asked for.
async fn run(
    queue: Arc<Queue>,
    config: Config,
    head: Head,
    mut flushes: tokio::sync::mpsc::UnboundedReceiver<std::sync::mpsc::Sender<()>>,
) {
    let channel = match tonic::transport::Endpoint::from_shared(config.endpoint.clone()) {
        Ok(endpoint) => endpoint.timeout(config.timeout).connect_lazy(),
        Err(_) => return, // Checked by Config::from_env.
    };
    let mut client = tonic::client::Grpc::new(channel);
    let mut failures = Failures::default();
    loop {
        let mut waiting = Vec::new();
        tokio::select! {
            () = tokio::time::sleep(config.delay) => {}
            () = queue.ready.notified() => {}
            Some(done) = flushes.recv() => waiting.push(done),
        }
        while let Ok(done) = flushes.try_recv() {
            waiting.push(done);
        }
        let spans = queue.take();
        for batch in spans.chunks(config.max_batch) {
            let request = head.request(batch);
            if let Err(status) = send(&mut client, &config, request).await {
                let endpoint = &config.endpoint;
                failures.lost(batch.len() as u64, || {
                    format!("OTLP span export to {endpoint} failed: {} ({:?})", status.message(), status.code())
                });
            }
        }
        let dropped = queue.dropped.swap(0, std::sync::atomic::Ordering::Relaxed);
        failures.lost(dropped, || "the OTLP span export queue was full (OTEL_BSP_MAX_QUEUE_SIZE)".to_string());
        for done in waiting {
            let _ = done.send(());
        }
    }
}

async fn send(
    client: &mut tonic::client::Grpc<tonic::transport::Channel>,
    config: &Config,
    body: Bytes,
) -> Result<(), Status> {
    client.ready().await.map_err(|error| Status::unavailable(error.to_string()))?;
    let mut request = tonic::Request::new(body);
    request.set_timeout(config.timeout);
    for (key, value) in &config.headers {
        if let (Ok(key), Ok(value)) = (key.parse::<tonic::metadata::AsciiMetadataKey>(), value.parse()) {
            request.metadata_mut().insert(key, value);
        }
    }
    let path = http::uri::PathAndQuery::from_static(EXPORT);
    client.unary(request, path, Raw).await.map(drop)
}

/// What the export lost, logged at most once per [`QUIET`].
#[derive(Default)]
struct Failures {
    lost: u64,
    /// Why the last of them were lost.
    reason: String,
    last: Option<Instant>,
}

impl Failures {
    /// `spans` more were lost, `why` (none: only report what is owed, once the quiet is over).
    fn lost(&mut self, spans: u64, why: impl FnOnce() -> String) {
        if spans > 0 {
            self.lost += spans;
            self.reason = why();
        }
        if self.lost == 0 || self.last.is_some_and(|last| last.elapsed() < QUIET) {
            return;
        }
        self.last = Some(Instant::now());
        tracing::warn!(spans_lost = std::mem::take(&mut self.lost), "{}", self.reason);
    }
}

/// A codec sending an encoded request as it is and ignoring the response's message (its
/// `partial_success` says nothing the status does not).
struct Raw;

impl Codec for Raw {
    type Encode = Bytes;
    type Decode = ();
    type Encoder = Raw;
    type Decoder = Raw;

    fn encoder(&mut self) -> Raw {
        Raw
    }

    fn decoder(&mut self) -> Raw {
        Raw
    }
}

impl Encoder for Raw {
    type Item = Bytes;
    type Error = Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put(item);
        Ok(())
    }
}

impl Decoder for Raw {
    type Item = ();
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<()>, Status> {
        src.advance(src.remaining());
        Ok(Some(()))
    }
}

/// The part of every request that is the same: the resource and the instrumentation scope,
/// encoded once.
struct Head {
    /// `ResourceSpans.resource` (field 1), key and length included.
    resource: Vec<u8>,
    /// `ScopeSpans.scope` (field 1), key and length included.
    scope: Vec<u8>,
}

impl Head {
    fn new(resource: &opentelemetry_sdk::Resource, scope: &str) -> Self {
        let mut attributes = Vec::new();
        let mut pairs: Vec<KeyValue> = resource.iter().map(|(k, v)| KeyValue::new(k.clone(), v.clone())).collect();
        pairs.sort_by(|a, b| a.key.as_str().cmp(b.key.as_str()));
        for pair in &pairs {
            match &pair.value {
                OtelValue::I64(number) => key_value(&mut attributes, 1, pair.key.as_str(), Attr::Int(*number)),
                other => key_value(&mut attributes, 1, pair.key.as_str(), Attr::Text(&other.to_string())),
            }
        }
        let mut resource = Vec::new();
        nested(&mut resource, 1, &attributes);
        let mut name = Vec::new();
        string(&mut name, 1, scope);
        let mut scope = Vec::new();
        nested(&mut scope, 1, &name);
        Self { resource, scope }
    }

    /// An `ExportTraceServiceRequest` of `spans`.
    fn request(&self, spans: &[Record]) -> Bytes {
        let mut encoded = Vec::with_capacity(spans.len() * 256);
        encoded.extend_from_slice(&self.scope);
        let mut one = Vec::with_capacity(256);
        let mut scratch = String::with_capacity(64);
        for record in spans {
            one.clear();
            span(&mut one, record, &mut scratch);
            nested(&mut encoded, 2, &one);
        }
        let mut resource_spans = Vec::with_capacity(self.resource.len() + encoded.len() + 8);
        resource_spans.extend_from_slice(&self.resource);
        nested(&mut resource_spans, 2, &encoded);
        let mut request = Vec::with_capacity(resource_spans.len() + 8);
        nested(&mut request, 1, &resource_spans);
        request.into()
    }
}

/// One `Span` message's fields.
fn span(out: &mut Vec<u8>, record: &Record, scratch: &mut String) {
    bytes(out, 1, &record.trace_id.to_bytes());
    bytes(out, 2, &record.span_id.to_bytes());
    let state = record.state.header();
    if !state.is_empty() {
        string(out, 3, &state);
    }
    if let Some(parent) = record.parent {
        bytes(out, 4, &parent.to_bytes());
    }
    let path = record.path.path().trim_start_matches('/');
    let (service, method) = rpc_name(path);
    match record.attempt {
        Some(_) => {
            scratch.clear();
            let _ = write!(scratch, "Attempt.{service}.{method}");
            string(out, 5, scratch);
        }
        None => string(out, 5, path),
    }
    encode_key(6, WireType::Varint, out);
    encode_varint(record.kind as u64, out);
    let start = nanos(record.start);
    fixed64(out, 7, start);
    fixed64(out, 8, start.saturating_add(u64::try_from(record.duration.as_nanos()).unwrap_or(u64::MAX)));
    key_value(out, 9, "rpc.system", Attr::Text("grpc"));
    key_value(out, 9, "rpc.service", Attr::Text(service));
    key_value(out, 9, "rpc.method", Attr::Text(method));
    if let Some(address) = &record.server_address {
        key_value(out, 9, "server.address", Attr::Text(address));
    }
    if let Some(port) = record.server_port {
        key_value(out, 9, "server.port", Attr::Int(i64::from(port)));
    }
    if let Some(peer) = record.peer {
        scratch.clear();
        ip(scratch, peer.ip());
        key_value(out, 9, "network.peer.address", Attr::Text(scratch));
        key_value(out, 9, "network.peer.port", Attr::Int(i64::from(peer.port())));
    }
    if let Some(previous) = record.attempt {
        key_value(out, 9, "previous-rpc-attempts", Attr::Int(i64::from(previous)));
    }
    if let Some(code) = record.status {
        key_value(out, 9, "rpc.grpc.status_code", Attr::Int(code));
    }
    if record.error {
        // Status { code: STATUS_CODE_ERROR }
        nested(out, 15, &[3 << 3, 2]);
    }
}

/// An address as text; IPv4 (a pod's) without the formatting machinery.
fn ip(out: &mut String, address: IpAddr) {
    match address {
        IpAddr::V4(v4) => {
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                if octet >= 100 {
                    out.push(char::from(b'0' + octet / 100));
                }
                if octet >= 10 {
                    out.push(char::from(b'0' + octet / 10 % 10));
                }
                out.push(char::from(b'0' + octet % 10));
            }
        }
        IpAddr::V6(v6) => {
            let _ = write!(out, "{v6}");
        }
    }
}

fn nanos(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// An attribute's value as OTLP's `AnyValue` holds it.
#[derive(Clone, Copy)]
enum Attr<'a> {
    Text(&'a str),
    Int(i64),
}

/// A `KeyValue` as field `tag`.
fn key_value(out: &mut Vec<u8>, tag: u32, key: &str, value: Attr<'_>) {
    let any = match value {
        Attr::Text(text) => text_len(text),
        // int_value, the varint of its two's complement.
        Attr::Int(number) => 1 + encoded_len_varint(number as u64),
    };
    let pair = text_len(key) + 1 + encoded_len_varint(any as u64) + any;
    encode_key(tag, WireType::LengthDelimited, out);
    encode_varint(pair as u64, out);
    string(out, 1, key);
    encode_key(2, WireType::LengthDelimited, out);
    encode_varint(any as u64, out);
    match value {
        Attr::Text(text) => string(out, 1, text),
        Attr::Int(number) => {
            encode_key(3, WireType::Varint, out);
            encode_varint(number as u64, out);
        }
    }
}

/// The encoded length of a string field (tag below 16) holding `text`.
fn text_len(text: &str) -> usize {
    1 + encoded_len_varint(text.len() as u64) + text.len()
}

fn string(out: &mut Vec<u8>, tag: u32, text: &str) {
    bytes(out, tag, text.as_bytes());
}

fn bytes(out: &mut Vec<u8>, tag: u32, value: &[u8]) {
    encode_key(tag, WireType::LengthDelimited, out);
    encode_varint(value.len() as u64, out);
    out.extend_from_slice(value);
}

fn nested(out: &mut Vec<u8>, tag: u32, message: &[u8]) {
    bytes(out, tag, message);
}

fn fixed64(out: &mut Vec<u8>, tag: u32, value: u64) {
    encode_key(tag, WireType::SixtyFourBit, out);
    out.put_u64_le(value);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, String> {
        Config::from_env(&|name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn the_settings_are_read_as_the_sdk_reads_them() {
        let endpoint = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317");
        let defaults = config(&[endpoint]).unwrap();
        assert_eq!((defaults.timeout, defaults.max_queue, defaults.max_batch), (Duration::from_secs(10), 2048, 512));
        assert_eq!(defaults.delay, Duration::from_secs(5));
        let traces = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:4317");
        let set = config(&[
            endpoint,
            traces,
            ("OTEL_EXPORTER_OTLP_HEADERS", "Api-Key=a%20b+c, tenant=7"),
            ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "250"),
            ("OTEL_BSP_MAX_QUEUE_SIZE", "100"),
            ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "512"),
        ])
        .unwrap();
        assert_eq!(set.endpoint, "http://traces:4317", "the traces' own variable wins");
        assert_eq!(
            set.headers,
            [("api-key".to_string(), "a b+c".to_string()), ("tenant".to_string(), "7".to_string())]
        );
        assert_eq!(set.timeout, Duration::from_millis(250));
        assert_eq!((set.max_queue, set.max_batch), (100, 100), "a batch is never larger than the queue");
    }

    #[test]
    fn what_cannot_be_honoured_is_an_error_naming_the_variable() {
        let tls = config(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "https://collector:4317")]).unwrap_err();
        assert!(tls.starts_with("OTEL_EXPORTER_OTLP_ENDPOINT=\"https://collector:4317\""), "{tls}");
        let endpoint = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317");
        let header = config(&[endpoint, ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "novalue")]).unwrap_err();
        assert!(header.starts_with("OTEL_EXPORTER_OTLP_TRACES_HEADERS"), "{header}");
        let queue = config(&[endpoint, ("OTEL_BSP_MAX_QUEUE_SIZE", "lots")]).unwrap_err();
        assert!(queue.starts_with("OTEL_BSP_MAX_QUEUE_SIZE=\"lots\""), "{queue}");
    }

    #[test]
    fn addresses_are_written_as_text() {
        for address in ["0.0.0.0", "10.1.99.100", "255.255.255.255", "::1", "fd00::7"] {
            let mut text = String::new();
            ip(&mut text, address.parse().unwrap());
            assert_eq!(text, address);
        }
    }

    use crate::span::Kind;
    use http::uri::PathAndQuery;
    use opentelemetry::trace::{SpanId, TraceId, TraceState};
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
    use prost::Message as _;

    fn record(kind: Kind, parent: Option<u64>, attempt: Option<u32>) -> Record {
        Record {
            trace_id: TraceId::from(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736),
            span_id: SpanId::from(7),
            parent: parent.map(SpanId::from),
            state: TraceState::from_key_value([("vendor", "1")]).unwrap(),
            kind,
            path: PathAndQuery::from_static("/greeter.v1.Greeter/SayHello"),
            attempt,
            server_address: None,
            server_port: Some(50051),
            peer: Some("10.1.2.3:40000".parse().unwrap()),
            status: Some(-1),
            error: true,
            start: SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            duration: Duration::from_micros(1500),
        }
    }

    #[test]
    fn a_batch_reads_back_as_the_otlp_messages_it_stands_for() {
        let resource = opentelemetry_sdk::Resource::builder_empty()
            .with_attributes([KeyValue::new("service.name", "greeter"), KeyValue::new("pid", 42)])
            .build();
        let head = Head::new(&resource, "kuberpc");
        let spans = [record(Kind::Server, Some(9), None), record(Kind::Client, None, Some(2))];
        let request = ExportTraceServiceRequest::decode(head.request(&spans)).unwrap();
        let [resource_spans] = &request.resource_spans[..] else { panic!("{request:?}") };
        let attributes = &resource_spans.resource.as_ref().unwrap().attributes;
        let keys: Vec<_> = attributes.iter().map(|pair| pair.key.as_str()).collect();
        assert_eq!(keys, ["pid", "service.name"]);
        assert_eq!(attributes[0].value.as_ref().unwrap().value, Some(Any::IntValue(42)));
        let [scope] = &resource_spans.scope_spans[..] else { panic!("{request:?}") };
        assert_eq!(scope.scope.as_ref().unwrap().name, "kuberpc");
        let [server, attempt] = &scope.spans[..] else { panic!("{request:?}") };

        assert_eq!(server.trace_id, spans[0].trace_id.to_bytes());
        assert_eq!(server.span_id, 7u64.to_be_bytes());
        assert_eq!(server.parent_span_id, 9u64.to_be_bytes());
        assert_eq!(server.trace_state, "vendor=1");
        assert_eq!(server.name, "greeter.v1.Greeter/SayHello");
        assert_eq!(server.kind, 2);
        assert_eq!(server.start_time_unix_nano, 1_700_000_000_000_000_000);
        assert_eq!(server.end_time_unix_nano - server.start_time_unix_nano, 1_500_000);
        assert_eq!(server.status.as_ref().map(|status| status.code), Some(2), "ERROR");
        let attribute = |span: &opentelemetry_proto::tonic::trace::v1::Span, key: &str| {
            span.attributes.iter().find(|pair| pair.key == key).and_then(|pair| pair.value.clone()?.value)
        };
        assert_eq!(attribute(server, "rpc.system"), Some(Any::StringValue("grpc".into())));
        assert_eq!(attribute(server, "rpc.service"), Some(Any::StringValue("greeter.v1.Greeter".into())));
        assert_eq!(attribute(server, "rpc.method"), Some(Any::StringValue("SayHello".into())));
        assert_eq!(attribute(server, "server.port"), Some(Any::IntValue(50051)));
        assert_eq!(attribute(server, "network.peer.address"), Some(Any::StringValue("10.1.2.3".into())));
        assert_eq!(attribute(server, "network.peer.port"), Some(Any::IntValue(40000)));
        assert_eq!(attribute(server, "rpc.grpc.status_code"), Some(Any::IntValue(-1)), "negative integers too");

        assert!(attempt.parent_span_id.is_empty(), "a root has no parent");
        assert_eq!(attempt.kind, 3);
        assert_eq!(attempt.name, "Attempt.greeter.v1.Greeter.SayHello");
        assert_eq!(attribute(attempt, "previous-rpc-attempts"), Some(Any::IntValue(2)));
    }
}
