//! Deciding whether a call is traced before anything of its span is built.
//!
//! The OpenTelemetry bridge builds an SDK span from every `tracing` span it sees and asks the
//! sampler only then: a call the sampler drops cost nearly what an exported one did. So when
//! [`crate::telemetry`] exports, it sets the [`Sampler`] it gives the SDK (read from
//! `OTEL_TRACES_SAMPLER` and `_ARG`, as the SDK reads them) here too, and the per-call layers
//! ask it first ([`decide`]), with the same inputs the SDK would give it — the caller's context
//! (`traceparent`) and the trace id. A call it drops gets no span; the context it carries on
//! (to the calls made while handling it, and to its own spans, which the export filter then
//! drops: `trace::in_dropped_call`) says "not sampled", so the whole trace stays unsampled across
//! services as parent-based sampling expects. A root call it keeps gets the very trace id the
//! decision was made on ([`PresetIds`]), so the SDK, asking the same sampler again, agrees.

use std::cell::Cell;
use std::sync::OnceLock;

use opentelemetry::trace::{SpanContext, SpanId, SpanKind, TraceContextExt, TraceFlags, TraceId};
use opentelemetry::Context;
use opentelemetry_sdk::trace::{IdGenerator, RandomIdGenerator, Sampler, SamplingDecision, ShouldSample};

/// The sampler of the export, once [`crate::telemetry`] has started one.
static SAMPLER: OnceLock<Sampler> = OnceLock::new();

thread_local! {
    /// The trace id the next root span made on this thread must have (see [`PresetIds`]).
    static PRESET: Cell<Option<TraceId>> = const { Cell::new(None) };
}

/// Makes `sampler` the one calls are decided by; the first export's stays.
pub(crate) fn install(sampler: Sampler) {
    let _ = SAMPLER.set(sampler);
}

/// The sampler `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG` name (read through
/// `var`), the SDK's default (parent-based, always on) when none is set; an error, naming the
/// variable, for a sampler or ratio kuberpc cannot honour (the SDK would fall back silently).
pub(crate) fn from_env(var: &dyn Fn(&str) -> Option<String>) -> Result<Sampler, String> {
    let set = |name: &str| var(name).map(|value| value.trim().to_string()).filter(|value| !value.is_empty());
    let ratio = || {
        let arg = set("OTEL_TRACES_SAMPLER_ARG").unwrap_or_else(|| "1.0".to_string());
        match arg.parse::<f64>() {
            Ok(ratio) if (0.0..=1.0).contains(&ratio) => Ok(ratio),
            _ => Err(format!("OTEL_TRACES_SAMPLER_ARG={arg:?}: a ratio between 0 and 1")),
        }
    };
    let parent_based = |root: Sampler| Sampler::ParentBased(Box::new(root));
    Ok(match set("OTEL_TRACES_SAMPLER").as_deref() {
        None | Some("parentbased_always_on") => parent_based(Sampler::AlwaysOn),
        Some("parentbased_always_off") => parent_based(Sampler::AlwaysOff),
        Some("parentbased_traceidratio") => parent_based(Sampler::TraceIdRatioBased(ratio()?)),
        Some("always_on") => Sampler::AlwaysOn,
        Some("always_off") => Sampler::AlwaysOff,
        Some("traceidratio") => Sampler::TraceIdRatioBased(ratio()?),
        Some(other) => {
            return Err(format!(
                "OTEL_TRACES_SAMPLER={other:?}: kuberpc samples with always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio"
            ))
        }
    })
}

/// What a call's span is to be.
#[derive(Debug)]
pub(crate) enum Verdict {
    /// Nothing exports: the span is whatever the subscriber makes of it (logs, or nothing).
    Unsampled,
    /// Traced. A root span must have this trace id (the one the decision was made on).
    Kept(Option<TraceId>),
    /// Not traced: no span. This context (its flags: not sampled) is what the call carries on.
    Dropped(Context),
}

/// The verdict on a `kind` span of a call whose caller's context `parent` gives (none: a
/// root); `parent` is asked only when spans are exported.
pub(crate) fn decide(parent: impl FnOnce() -> Option<Context>, kind: SpanKind) -> Verdict {
    match SAMPLER.get() {
        Some(sampler) => verdict(sampler, parent().as_ref(), kind),
        None => Verdict::Unsampled,
    }
}

fn verdict(sampler: &Sampler, parent: Option<&Context>, kind: SpanKind) -> Verdict {
    let parent = parent.filter(|cx| cx.span().span_context().is_valid());
    let trace_id = match parent {
        Some(cx) => cx.span().span_context().trace_id(),
        None => RandomIdGenerator::default().new_trace_id(),
    };
    let decision = sampler.should_sample(parent, trace_id, "", &kind, &[], &[]).decision;
    if decision == SamplingDecision::RecordAndSample {
        return Verdict::Kept(parent.is_none().then_some(trace_id));
    }
    let (span_id, state) = match parent {
        Some(cx) => (cx.span().span_context().span_id(), cx.span().span_context().trace_state().clone()),
        None => (RandomIdGenerator::default().new_span_id(), Default::default()),
    };
    let dropped = SpanContext::new(trace_id, span_id, TraceFlags::default(), true, state);
    Verdict::Dropped(Context::new().with_remote_span_context(dropped))
}

/// `make`'s span for a kept call (for a root, started now with the trace id decided on);
/// none for a dropped one.
pub(crate) fn span(verdict: &Verdict, make: impl FnOnce() -> tracing::Span) -> tracing::Span {
    match verdict {
        Verdict::Dropped(_) => tracing::Span::none(),
        Verdict::Unsampled | Verdict::Kept(None) => make(),
        Verdict::Kept(Some(trace_id)) => {
            PRESET.with(|preset| preset.set(Some(*trace_id)));
            let span = make();
            // Starting the span takes its trace id now, on this thread.
            let _ = tracing_opentelemetry::OpenTelemetrySpanExt::context(&span);
            PRESET.with(|preset| preset.set(None));
            span
        }
    }
}

/// The SDK's random ids, except that a root span started by [`span`] gets the trace id its
/// call was decided on.
#[derive(Debug, Default)]
pub(crate) struct PresetIds(RandomIdGenerator);

impl IdGenerator for PresetIds {
    fn new_trace_id(&self) -> TraceId {
        PRESET.with(Cell::take).unwrap_or_else(|| self.0.new_trace_id())
    }

    fn new_span_id(&self) -> SpanId {
        self.0.new_span_id()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
    }

    #[test]
    fn the_samplers_are_read_as_the_sdk_reads_them_and_mistakes_are_named() {
        let sampler = |pairs: &[(&str, &str)]| from_env(&env(pairs)).map(|s| format!("{s:?}"));
        assert_eq!(sampler(&[]).unwrap(), "ParentBased(AlwaysOn)");
        let ratio = [("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"), ("OTEL_TRACES_SAMPLER_ARG", "0.01")];
        assert_eq!(sampler(&ratio).unwrap(), "ParentBased(TraceIdRatioBased(0.01))");
        assert_eq!(sampler(&[("OTEL_TRACES_SAMPLER", "always_off")]).unwrap(), "AlwaysOff");
        let bad = sampler(&[("OTEL_TRACES_SAMPLER", "traceidratio"), ("OTEL_TRACES_SAMPLER_ARG", "2")]).unwrap_err();
        assert!(bad.contains("OTEL_TRACES_SAMPLER_ARG=\"2\""), "{bad}");
        let bad = sampler(&[("OTEL_TRACES_SAMPLER", "xray")]).unwrap_err();
        assert!(bad.starts_with("OTEL_TRACES_SAMPLER=\"xray\""), "{bad}");
    }

    #[test]
    fn a_decision_follows_the_parent_and_a_dropped_call_carries_it_on() {
        let remote = |flags| {
            let context = SpanContext::new(
                TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap(),
                SpanId::from_hex("00f067aa0ba902b7").unwrap(),
                flags,
                true,
                Default::default(),
            );
            Context::new().with_remote_span_context(context)
        };
        let none = Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(0.0)));
        let sampled = remote(TraceFlags::SAMPLED);
        assert!(matches!(verdict(&none, Some(&sampled), SpanKind::Server), Verdict::Kept(None)));
        let Verdict::Dropped(carried) = verdict(&none, Some(&remote(TraceFlags::default())), SpanKind::Server) else {
            panic!("an unsampled parent drops the call")
        };
        let carried = carried.span().span_context().clone();
        assert_eq!(carried.trace_id(), sampled.span().span_context().trace_id(), "the caller's trace goes on");
        assert!(!carried.is_sampled() && carried.is_valid());
        let Verdict::Dropped(root) = verdict(&none, None, SpanKind::Client) else {
            panic!("a ratio of 0 drops a root")
        };
        assert!(root.span().span_context().is_valid() && !root.span().span_context().is_sampled());
        let all = Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(1.0)));
        assert!(
            matches!(verdict(&all, None, SpanKind::Server), Verdict::Kept(Some(_))),
            "a kept root has its trace id"
        );
        // The ids a root span gets: the preset one once, then random ones.
        let ids = PresetIds::default();
        PRESET.with(|preset| preset.set(Some(TraceId::from(42u128))));
        assert_eq!(ids.new_trace_id(), TraceId::from(42u128));
        assert_ne!(ids.new_trace_id(), TraceId::from(42u128));
    }
}
