//! What a kuberpc program reports about itself: logs on stderr and, when a collector is
//! configured, its call spans exported over OTLP/gRPC.
//!
//! [`init`] is the one line a server's (or client's) `main` starts with ([`layer`] gives the
//! span export alone, for a program that installs its own subscriber). It installs a
//! `tracing` subscriber printing to stderr (filtered by `RUST_LOG`, default `info`) and, when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, two
//! exports on a thread of their own, so a slow or absent collector never holds up a call:
//! kuberpc's call spans ([`crate::trace`], the client's), built without the `tracing` bridge
//! and encoded by kuberpc (`span`, `otlp`), and the program's own spans at INFO and
//! above, through tracing-opentelemetry and the OpenTelemetry SDK — one resource, one trace.
//! `OTEL_TRACES_SAMPLER` and `_ARG` (default parent-based, always on) are read by kuberpc,
//! which decides each call before anything of its span is built (`sampling`: a dropped call
//! costs no span) and gives the SDK the same sampler; a value it cannot honour is an error.
//! Everything else follows the standard `OTEL_*` variables: `OTEL_SERVICE_NAME`,
//! `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_BSP_MAX_QUEUE_SIZE`, `_SCHEDULE_DELAY` and
//! `_MAX_EXPORT_BATCH_SIZE`, `OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT` and `_HEADERS` (an
//! `https://` endpoint is refused: kuberpc exports in plaintext, to a collector beside the pod).
//! `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none` turn the export off. Each call is
//! also a `tracing` span at DEBUG that only logs: with `RUST_LOG` at its default it is never
//! created, and `RUST_LOG=kuberpc=debug` prints it and a `call finished` line per call. The
//! [`Telemetry`] it returns flushes the spans still queued when it is dropped — keep it until
//! `main` returns.

use std::fmt;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::runtime;
use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::filter::{EnvFilter, LevelFilter};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::Layer as _;

/// The instrumentation scope of kuberpc's spans.
const SCOPE: &str = "kuberpc";
/// How long flushing waits for the call spans' export.
const FLUSH_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Installed telemetry; dropping it flushes and stops the span export.
#[must_use = "dropping Telemetry stops the span export: keep it until main returns"]
pub struct Telemetry {
    export: Option<Export>,
}

/// The OTLP pipelines — kuberpc's call spans ([`crate::otlp`]) and the program's own (the
/// SDK's provider) — and the runtime their export tasks run on.
struct Export {
    calls: crate::otlp::Exporter,
    provider: SdkTracerProvider,
    runtime: tokio::runtime::Runtime,
}

/// Why telemetry could not be installed: names the variable at fault.
#[derive(Debug)]
pub struct TelemetryError(String);

impl fmt::Display for TelemetryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TelemetryError {}

impl fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Telemetry").field("exporting", &self.is_exporting()).finish()
    }
}

/// Installs logging and, when an OTLP endpoint is configured, the span export; see the
/// module docs. Fails on a variable it cannot honour (another protocol than `grpc`, another
/// exporter than `otlp`, an invalid endpoint) and when a global `tracing` subscriber is
/// already installed.
pub fn init() -> Result<Telemetry, TelemetryError> {
    let logs = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(EnvFilter::builder().with_default_directive(LevelFilter::INFO.into()).from_env_lossy());
    let (spans, telemetry) = layer()?;
    tracing_subscriber::registry().with(logs).with(spans).try_init().map_err(|error| {
        TelemetryError(format!("kuberpc::telemetry::init: a tracing subscriber is already installed ({error})"))
    })?;
    if telemetry.is_exporting() {
        tracing::info!("exporting spans over OTLP/gRPC (OTEL_EXPORTER_OTLP_ENDPOINT)");
    }
    Ok(telemetry)
}

/// The span export of [`init`] as a layer, for a program that installs its own `tracing`
/// subscriber (its own log format, filters and layers): add the layer to it, and keep the
/// [`Telemetry`] until `main` returns. The layer is `None` when the environment asks for no
/// export (`Option<Layer>` is a layer); it exports what `init` would — kuberpc's call spans
/// and the program's spans at INFO and above, sampled as `init` samples — and leaves the logs
/// to the program. Sets the W3C trace-context propagator and, when exporting, the global
/// tracer provider. Fails as `init` does on a variable it cannot honour.
///
/// ```no_run
/// use tracing_subscriber::layer::SubscriberExt as _;
/// use tracing_subscriber::util::SubscriberInitExt as _;
///
/// let (spans, _telemetry) = kuberpc::telemetry::layer()?;
/// tracing_subscriber::registry().with(tracing_subscriber::fmt::layer().with_target(false)).with(spans).init();
/// # Ok::<(), kuberpc::telemetry::TelemetryError>(())
/// ```
pub fn layer<S>() -> Result<(Option<SpanExport<S>>, Telemetry), TelemetryError>
where
    S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span> + Send + Sync,
{
    let var = |name: &str| std::env::var(name).ok();
    let export = if export_wanted(&var)? {
        let sampler = crate::sampling::from_env(&var).map_err(TelemetryError)?;
        let config = crate::otlp::Config::from_env(&var).map_err(TelemetryError)?;
        Some(Export::start(sampler, config)?)
    } else {
        None
    };
    let spans = export.as_ref().map(|export| {
        // Only the conventions' attributes: no source locations, threads or busy/idle times.
        let layer = tracing_opentelemetry::layer()
            .with_tracer(export.provider.tracer(SCOPE))
            .with_location(false)
            .with_threads(false)
            .with_target(false)
            .with_tracked_inactivity(false)
            .with_filter(exported());
        Box::new(layer) as SpanExport<S>
    });
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    if let Some(export) = &export {
        opentelemetry::global::set_tracer_provider(export.provider.clone());
    }
    Ok((spans, Telemetry { export }))
}

/// The layer [`layer`] gives: kuberpc's span export, for a subscriber `S`.
pub type SpanExport<S> = Box<dyn tracing_subscriber::Layer<S> + Send + Sync + 'static>;

/// What the SDK exports: the program's own spans at INFO and above — none made while
/// handling a call the sampler dropped (`sampling`). kuberpc's call spans are exported
/// without the bridge ([`crate::span`]); its `tracing` spans only log.
fn exported<S>() -> impl tracing_subscriber::layer::Filter<S> {
    let kuberpc = |target: &str| target == "kuberpc" || target.starts_with("kuberpc::");
    let wanted = move |metadata: &tracing::Metadata<'_>| {
        *metadata.level() <= tracing::Level::INFO && !kuberpc(metadata.target())
    };
    tracing_subscriber::filter::dynamic_filter_fn(move |metadata, _| {
        wanted(metadata) && !crate::trace::in_dropped_call()
    })
    .with_callsite_filter(move |metadata| {
        if wanted(metadata) {
            tracing::subscriber::Interest::sometimes()
        } else {
            tracing::subscriber::Interest::never()
        }
    })
    // Without the hint, the subscriber's maximum level would be TRACE, and every `trace!` and
    // `debug!` in h2, hyper and tonic would ask its callsite's interest on every call (about
    // 1,000 instructions per call).
    .with_max_level_hint(LevelFilter::INFO)
}

/// Whether the environment asks for span export; an error for what kuberpc cannot export.
fn export_wanted(var: &dyn Fn(&str) -> Option<String>) -> Result<bool, TelemetryError> {
    let set = |name: &str| var(name).filter(|value| !value.trim().is_empty());
    if set("OTEL_SDK_DISABLED").is_some_and(|v| v.trim().eq_ignore_ascii_case("true")) {
        return Ok(false);
    }
    match set("OTEL_TRACES_EXPORTER").as_deref().map(str::trim) {
        None | Some("otlp") => {}
        Some("none") => return Ok(false),
        Some(other) => {
            return Err(TelemetryError(format!(
                "OTEL_TRACES_EXPORTER={other:?}: kuberpc exports traces with \"otlp\" (or \"none\")"
            )))
        }
    }
    for name in ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"] {
        if let Some(protocol) = set(name).filter(|p| p.trim() != "grpc") {
            return Err(TelemetryError(format!("{name}={protocol:?}: kuberpc exports OTLP over \"grpc\"")));
        }
    }
    Ok(set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").is_some() || set("OTEL_EXPORTER_OTLP_ENDPOINT").is_some())
}

impl Export {
    /// The exporter (endpoint, headers and timeout from the environment) behind a batch
    /// processor whose task runs on a one-thread runtime of its own: export works whatever
    /// runtime (or none) the program uses, and shutting down can wait for it from anywhere.
    fn start(sampler: opentelemetry_sdk::trace::Sampler, config: crate::otlp::Config) -> Result<Self, TelemetryError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("kuberpc-otlp")
            .enable_all()
            .build()
            .map_err(|error| TelemetryError(format!("cannot start the OTLP export thread: {error}")))?;
        let _entered = runtime.enter();
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_protocol(opentelemetry_otlp::Protocol::Grpc)
            .build()
            .map_err(|error| TelemetryError(format!("OTLP exporter (OTEL_EXPORTER_OTLP_ENDPOINT?): {error}")))?;
        let processor = BatchSpanProcessor::builder(exporter, runtime::Tokio).build();
        // One resource (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES) for both pipelines.
        let resource = opentelemetry_sdk::Resource::builder().build();
        let calls = crate::otlp::Exporter::start(config, &resource, SCOPE, &runtime);
        // The calls are decided by the same sampler before their spans are built (`sampling`).
        crate::sampling::install(sampler.clone());
        let provider = SdkTracerProvider::builder()
            .with_span_processor(processor)
            .with_sampler(sampler)
            .with_resource(resource)
            .build();
        Ok(Self { calls, provider, runtime })
    }
}

impl Telemetry {
    /// Whether spans are being exported over OTLP.
    pub fn is_exporting(&self) -> bool {
        self.export.is_some()
    }

    /// Exports the spans queued so far now (they are also exported in batches on their own).
    pub fn flush(&self) {
        if let Some(export) = &self.export {
            export.calls.flush(FLUSH_WAIT);
            if let Err(error) = export.provider.force_flush() {
                tracing::warn!(%error, "flushing spans failed");
            }
        }
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        let Some(export) = self.export.take() else { return };
        crate::sampling::uninstall();
        export.calls.flush(FLUSH_WAIT);
        if let Err(error) = export.provider.shutdown() {
            tracing::warn!(%error, "the span export did not shut down cleanly");
        }
        export.runtime.shutdown_background();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wanted(vars: &[(&str, &str)]) -> Result<bool, TelemetryError> {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        export_wanted(&|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }

    #[test]
    fn an_endpoint_turns_the_export_on_and_the_standard_switches_turn_it_off() {
        assert!(!wanted(&[]).unwrap());
        assert!(!wanted(&[("OTEL_EXPORTER_OTLP_ENDPOINT", " ")]).unwrap());
        assert!(wanted(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317")]).unwrap());
        assert!(wanted(&[("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://collector:4317")]).unwrap());
        let endpoint = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317");
        assert!(!wanted(&[endpoint, ("OTEL_SDK_DISABLED", "TRUE")]).unwrap());
        assert!(!wanted(&[endpoint, ("OTEL_TRACES_EXPORTER", "none")]).unwrap());
        assert!(wanted(&[endpoint, ("OTEL_TRACES_EXPORTER", "otlp"), ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")]).unwrap());
    }

    #[test]
    fn what_cannot_be_exported_is_an_error_naming_the_variable() {
        let endpoint = ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318");
        let error = wanted(&[endpoint, ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")]).unwrap_err();
        assert!(error.to_string().starts_with("OTEL_EXPORTER_OTLP_PROTOCOL=\"http/protobuf\""), "{error}");
        let error = wanted(&[endpoint, ("OTEL_TRACES_EXPORTER", "zipkin")]).unwrap_err();
        assert!(error.to_string().contains("OTEL_TRACES_EXPORTER=\"zipkin\""), "{error}");
    }
}
