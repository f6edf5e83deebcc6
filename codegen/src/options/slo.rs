//! Service-level objectives (`slo`): the service's, checked where it is written, and each
//! method's — the service's, overridden field by field by the method's own, the latency
//! threshold defaulting to the method's deadline.

use kuberpc_spec::defaults;

use super::{FieldRules, MethodOptions, ServiceOptions, SloOptions};
use crate::error::{Problems, Spans};
use crate::model::{Deploy, LatencyObjective, MethodPolicy, Millionths, Slo};
use crate::schema::path;

/// What a method's objectives are resolved against: its service, as written and resolved.
pub(crate) struct ServiceContext<'a> {
    /// The service's full proto name.
    pub(crate) full_name: &'a str,
    /// Its options as written.
    pub(crate) written: &'a ServiceOptions,
    /// Its resolved deployment.
    pub(crate) deploy: &'a Deploy,
    /// Where its options were written.
    pub(crate) spans: &'a Spans,
}

/// Objectives where no metrics are served: their rules would read nothing.
const WITHOUT_METRICS: &str = "slo needs the metrics its rules read: metrics_port is 0";

/// Checks the service's `slo` once, where it is written; its methods inherit it.
pub(super) fn check_service(slo: &SloOptions, metrics: bool, rules: &mut FieldRules<'_>) {
    check_fields(slo, rules);
    if !metrics {
        rules.fail(path::SLO, WITHOUT_METRICS.to_string());
    }
}

/// The objectives of a method whose options are `written` (`policy` resolved from them), if
/// it or its service has `slo`; its own fields' mistakes are reported at them, a latency
/// threshold past its deadline where the threshold is written.
pub(super) fn resolve(
    service: &ServiceContext<'_>,
    written: &MethodOptions,
    policy: &MethodPolicy<String>,
    spans: &Spans,
    problems: &mut Problems,
) -> Option<Slo> {
    let inherited = service.written.slo.as_ref();
    let own = written.slo.as_ref();
    if inherited.is_none() && own.is_none() {
        return None;
    }
    let mut rules = FieldRules { spans, problems, element: None };
    if let Some(own) = own {
        check_fields(own, &mut rules);
        if service.deploy.observability.metrics_port.is_none() && inherited.is_none() {
            rules.fail(path::SLO, WITHOUT_METRICS.to_string());
        }
    }
    let field = |get: fn(&SloOptions) -> Option<f64>| own.and_then(get).or(inherited.and_then(get));
    let availability = share(field(|s| s.availability).unwrap_or(defaults::SLO_AVAILABILITY)).unwrap_or(Millionths(0));
    let latency = latency(service, own, policy, &mut rules).map(|threshold_ms| LatencyObjective {
        share: share(field(|s| s.latency_percent).unwrap_or(defaults::SLO_LATENCY_PERCENT)).unwrap_or(Millionths(0)),
        threshold_ms,
    });
    Some(Slo { availability, latency })
}

/// The latency threshold of a method that does not stream: written at the method, else at the
/// service, else its deadline.
fn latency(
    service: &ServiceContext<'_>,
    own: Option<&SloOptions>,
    policy: &MethodPolicy<String>,
    rules: &mut FieldRules<'_>,
) -> Option<u64> {
    let streams = policy.client_streaming || policy.server_streaming;
    let own_latency = own.is_some_and(|s| s.latency_ms.is_some() || s.latency_percent.is_some());
    if streams {
        if own_latency {
            let at = if own.is_some_and(|s| s.latency_ms.is_some()) {
                path::SLO_LATENCY_MS
            } else {
                path::SLO_LATENCY_PERCENT
            };
            rules.fail(
                at,
                "a method that streams has no latency objective: a stream lasts as long as its caller wants".into(),
            );
        }
        return None;
    }
    // A deadline of 0 is refused where it is written; no objective fits under it.
    let deadline = policy.deadline_ms(&service.deploy.client).filter(|ms| *ms > 0)?;
    let (threshold, written_at) =
        match (own.and_then(|s| s.latency_ms), service.written.slo.as_ref().and_then(|s| s.latency_ms)) {
            (Some(ms), _) => (ms, Some(rules.spans)),
            (None, Some(ms)) => (ms, Some(service.spans)),
            (None, None) => (deadline, None),
        };
    if threshold > deadline {
        let method = policy.path.rsplit('/').next().unwrap_or_default();
        let message = format!(
            "slo.latency_ms ({threshold}) of {method} is longer than its deadline ({deadline} ms): a call that \
             outlives its deadline fails anyway"
        );
        let span = written_at.and_then(|spans| spans.get(path::SLO_LATENCY_MS));
        rules.problems.push(crate::error::Problem::at(message, span));
    }
    Some(threshold.clamp(1, deadline))
}

/// The ranges of the fields written in one `slo`.
fn check_fields(slo: &SloOptions, rules: &mut FieldRules<'_>) {
    for (at, value) in [(path::SLO_AVAILABILITY, slo.availability), (path::SLO_LATENCY_PERCENT, slo.latency_percent)] {
        if let Some(Err(problem)) = value.map(share) {
            rules.fail(at, format!("{at} {problem}"));
        }
    }
    rules.at_least_one(path::SLO_LATENCY_MS, slo.latency_ms);
}

/// A percentage of calls as millionths: more than 0, less than 100, at most four decimals.
fn share(percent: f64) -> Result<Millionths, String> {
    let scaled = percent * 10_000.0;
    if !(percent > 0.0 && percent < 100.0) {
        return Err(format!("{percent} is not an objective: it must be more than 0 and less than 100 (percent)"));
    }
    if (scaled - scaled.round()).abs() > 1e-6 {
        return Err(format!("{percent} has more than four decimals (0.0001 % of calls is the finest objective)"));
    }
    Ok(Millionths(scaled.round() as u32))
}
