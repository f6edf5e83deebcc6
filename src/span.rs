//! kuberpc's own call spans: built only for the calls the sampler keeps, straight into the
//! few fields an OTLP span of a gRPC call has, and handed to the export queue
//! ([`crate::otlp`]) when they end.
//!
//! The `tracing` bridge (tracing-opentelemetry) made an SDK span out of every call's `tracing`
//! span: its fields visited and formatted, its attributes boxed, the SDK's span data converted
//! to OTLP's message types and encoded field by field — about 45,000 instructions per call
//! (BENCHMARKS "Spans without the bridge"). A [`CallSpan`] is one allocation: the method's path is
//! shared with the request, and the names and attributes are written when the export thread
//! encodes it. The program's own spans still go through the bridge and the SDK
//! ([`crate::telemetry`]).

use std::time::{Duration, Instant, SystemTime};

use http::uri::PathAndQuery;
use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
use opentelemetry_sdk::trace::{IdGenerator, RandomIdGenerator};

pub(crate) use crate::otlp::{Kind, Record};

/// Where a kept span belongs: its trace, and its parent (none for a root).
#[derive(Debug, Clone)]
pub(crate) struct Parent {
    pub trace_id: TraceId,
    pub span_id: Option<SpanId>,
    pub state: TraceState,
}

/// The span of a call or an attempt, if the call is traced: ends (and is queued for export)
/// when dropped.
#[derive(Debug, Default)]
pub(crate) struct CallSpan {
    /// Boxed: a call that is not traced moves a pointer's width, not a record's.
    open: Option<Box<(Record, Instant)>>,
}

impl CallSpan {
    /// Starts a span of `kind` for the call to `uri`, under `parent` (with a new span id). The
    /// path is shared with the request, not copied.
    pub(crate) fn start(parent: &Parent, kind: Kind, uri: &http::Uri) -> Self {
        let path = uri.path_and_query().cloned().unwrap_or_else(|| PathAndQuery::from_static("/"));
        let record = Record {
            trace_id: parent.trace_id,
            span_id: RandomIdGenerator::default().new_span_id(),
            parent: parent.span_id,
            state: parent.state.clone(),
            kind,
            path,
            attempt: None,
            server_address: None,
            server_port: None,
            peer: None,
            status: None,
            error: false,
            start: SystemTime::now(),
            duration: Duration::ZERO,
        };
        Self { open: Some(Box::new((record, Instant::now()))) }
    }

    /// Whether the span is traced (and will be exported).
    pub(crate) fn is_traced(&self) -> bool {
        self.open.is_some()
    }

    /// The span's fields, to fill in while the call runs (none when it is not traced).
    pub(crate) fn record(&mut self) -> Option<&mut Record> {
        self.open.as_mut().map(|open| &mut open.0)
    }

    /// What a span under this one belongs to.
    pub(crate) fn parent(&self) -> Option<Parent> {
        self.context().as_ref().map(under)
    }

    /// The span's context, as sent on to the next hop (`traceparent`) and given as parent to
    /// the calls and the program's own spans under it.
    pub(crate) fn context(&self) -> Option<SpanContext> {
        let (record, _) = &**self.open.as_ref()?;
        Some(SpanContext::new(record.trace_id, record.span_id, TraceFlags::SAMPLED, false, record.state.clone()))
    }

    /// Records the call's gRPC status code; `error` marks the span's status ERROR.
    pub(crate) fn status(&mut self, code: i64, error: bool) {
        if let Some(record) = self.record() {
            record.status = Some(code);
            record.error = error;
        }
    }
}

impl Drop for CallSpan {
    fn drop(&mut self) {
        if let Some(open) = self.open.take() {
            let (mut record, started) = *open;
            record.duration = started.elapsed();
            crate::otlp::queue(record);
        }
    }
}

/// The parent a root span has: a new trace (with `trace_id`, the one its sampling decision
/// was made on).
pub(crate) fn root(trace_id: TraceId) -> Parent {
    Parent { trace_id, span_id: None, state: TraceState::default() }
}

/// The parent a span under `context` (a caller's, or a span of the program's) has.
pub(crate) fn under(context: &SpanContext) -> Parent {
    Parent { trace_id: context.trace_id(), span_id: Some(context.span_id()), state: context.trace_state().clone() }
}
