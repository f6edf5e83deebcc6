//! Deciding whether a call is traced before anything of its span is built.
//!
//! When [`crate::telemetry`] exports, it sets the [`Sampler`] it gives the SDK (read from
//! `OTEL_TRACES_SAMPLER` and `_ARG`, as the SDK reads them) here too, and the per-call layers
//! ask it first ([`decide`]), with the same inputs the SDK would give it — the caller's context
//! (`traceparent`) and the trace id. A call it keeps gets a span ([`crate::span`]) under its
//! caller, or at the root of a new trace with the trace id the decision was made on. A call it
//! drops gets no span; the context it carries on (to the calls made while handling it, and to
//! the program's own spans, which the export filter then drops: `trace::in_dropped_call`) says
//! "not sampled", so the whole trace stays unsampled across services as parent-based sampling
//! expects.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use opentelemetry::trace::{SpanContext, SpanKind, TraceFlags, TraceId};

use crate::span::{self, Parent};
use opentelemetry_sdk::trace::{IdGenerator, RandomIdGenerator, Sampler, SamplingDecision, ShouldSample};

/// The sampler of the export, once [`crate::telemetry`] has started one.
static SAMPLER: OnceLock<Sampler> = OnceLock::new();

/// Whether an export is running: calls are decided (and their spans built) only then.
static EXPORTING: AtomicBool = AtomicBool::new(false);

/// Makes `sampler` the one calls are decided by (the first export's stays for the process)
/// and starts deciding.
pub(crate) fn install(sampler: Sampler) {
    let _ = SAMPLER.set(sampler);
    EXPORTING.store(true, Ordering::Release);
}

/// Stops deciding: the export has stopped, so calls build no spans.
pub(crate) fn uninstall() {
    EXPORTING.store(false, Ordering::Release);
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
    /// Nothing exports: no span is exported (a `tracing` span may still log the call).
    Unsampled,
    /// Traced: the call's span is exported, under this parent (a new trace for a root, with
    /// the trace id the decision was made on).
    Kept(Parent),
    /// Not traced: no span. This context (its flags: not sampled) is what the call carries on.
    Dropped(SpanContext),
}

/// The verdict on a `kind` span of a call whose caller's context `parent` gives (none: a
/// root); `parent` is asked only when spans are exported.
pub(crate) fn decide(parent: impl FnOnce() -> Option<SpanContext>, kind: SpanKind) -> Verdict {
    match SAMPLER.get().filter(|_| EXPORTING.load(Ordering::Acquire)) {
        Some(sampler) => verdict(sampler, parent().as_ref(), kind),
        None => Verdict::Unsampled,
    }
}

fn verdict(sampler: &Sampler, parent: Option<&SpanContext>, kind: SpanKind) -> Verdict {
    let parent = parent.filter(|context| context.is_valid());
    let trace_id = parent.map_or_else(|| RandomIdGenerator::default().new_trace_id(), SpanContext::trace_id);
    let kept = match (sampler, parent) {
        // Parent-based with the SDK's defaults for a parent (the only kind `from_env` makes):
        // the parent's decision stands, sampled or not.
        (Sampler::ParentBased(_), Some(parent)) => parent.is_sampled(),
        (Sampler::ParentBased(root), None) => samples(root.as_ref(), trace_id, kind),
        // The others decide on the trace id alone.
        (other, _) => samples(other, trace_id, kind),
    };
    if kept {
        return Verdict::Kept(parent.map_or_else(|| span::root(trace_id), span::under));
    }
    let (span_id, state) = match parent {
        Some(parent) => (parent.span_id(), parent.trace_state().clone()),
        None => (RandomIdGenerator::default().new_span_id(), Default::default()),
    };
    Verdict::Dropped(SpanContext::new(trace_id, span_id, TraceFlags::default(), true, state))
}

/// Whether `sampler` samples a span of a new trace `trace_id`.
fn samples(sampler: &dyn ShouldSample, trace_id: TraceId, kind: SpanKind) -> bool {
    sampler.should_sample(None, trace_id, "", &kind, &[], &[]).decision == SamplingDecision::RecordAndSample
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::SpanId;

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
            let trace_id = TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap();
            SpanContext::new(trace_id, SpanId::from_hex("00f067aa0ba902b7").unwrap(), flags, true, Default::default())
        };
        let none = Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(0.0)));
        let sampled = remote(TraceFlags::SAMPLED);
        let Verdict::Kept(under) = verdict(&none, Some(&sampled), SpanKind::Server) else {
            panic!("a sampled parent keeps the call")
        };
        assert_eq!(under.trace_id, sampled.trace_id());
        assert_eq!(under.span_id, Some(sampled.span_id()), "the caller's span is the parent");
        let Verdict::Dropped(carried) = verdict(&none, Some(&remote(TraceFlags::default())), SpanKind::Server) else {
            panic!("an unsampled parent drops the call")
        };
        assert_eq!(carried.trace_id(), sampled.trace_id(), "the caller's trace goes on");
        assert!(!carried.is_sampled() && carried.is_valid());
        let Verdict::Dropped(root) = verdict(&none, None, SpanKind::Client) else {
            panic!("a ratio of 0 drops a root")
        };
        assert!(root.is_valid() && !root.is_sampled());
        let all = Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(1.0)));
        let Verdict::Kept(root) = verdict(&all, None, SpanKind::Server) else { panic!("a ratio of 1 keeps a root") };
        assert!(root.span_id.is_none() && root.trace_id != TraceId::INVALID, "a kept root starts a trace: {root:?}");
        // Not parent-based: the trace id decides, whatever the parent says.
        let never = Sampler::TraceIdRatioBased(0.0);
        assert!(matches!(verdict(&never, Some(&sampled), SpanKind::Server), Verdict::Dropped(_)));
    }
}
