//! The service-level objectives' Prometheus rules of one environment (`slo-rules.yaml` of its
//! component): per objective of a method, its error ratio recorded over the SRE workbook's
//! seven windows and the two multi-window, multi-burn-rate alerts sloth and pyrra generate (a
//! page when 2 % of a 30-day budget burns in an hour or 5 % in six, a ticket when 10 % burns in
//! a day or in three), read from the server's own metrics in the environment's namespace.
//! Also the metric names and selectors the dashboard shares ([`super::dashboard`]).

use std::collections::BTreeMap;

use heck::ToKebabCase;
use serde::Serialize;

use crate::model::{Millionths, Service};

/// The server's call duration histogram (the runtime's `rpc_server_call_duration_seconds`).
pub(crate) const SERVER_DURATION: &str = "rpc_server_call_duration_seconds";
/// The client's (every caller's) call duration histogram.
pub(crate) const CLIENT_DURATION: &str = "rpc_client_call_duration_seconds";
/// The numeric gRPC codes that say the service failed, not its caller: UNKNOWN,
/// DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS.
pub(crate) const FAILURE_CODES: &str = "2|4|12|13|14|15";
/// The recorded error ratio, `<prefix><window>`.
pub(crate) const ERROR_RATIO: &str = "kuberpc_slo:errors:ratio_rate";
/// The recorded objective (the share of calls that must be good).
pub(crate) const OBJECTIVE: &str = "kuberpc_slo:objective:ratio";

/// The windows whose error ratios the alerts read.
const WINDOWS: [&str; 7] = ["5m", "30m", "1h", "2h", "6h", "1d", "3d"];

/// An alert of [`BURNS`]: severity, and each (long window, short window, burn rate in tenths).
type Burn = (&'static str, [(&'static str, &'static str, u64); 2]);

/// The workbook's multi-window, multi-burn-rate alerts for a 30-day objective.
const BURNS: [Burn; 2] =
    [("page", [("1h", "5m", 144), ("6h", "30m", 60)]), ("ticket", [("1d", "2h", 30), ("3d", "6h", 10)])];

/// One objective's rule group, as the template writes it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RuleGroup {
    name: String,
    rules: Vec<Rule>,
}

/// A recording rule (`record`) or an alerting rule (`alert`).
#[derive(Debug, Clone, Serialize)]
struct Rule {
    record: Option<String>,
    alert: Option<String>,
    /// The expression's lines (a YAML block keeps PromQL readable).
    expr_lines: Vec<String>,
    labels: BTreeMap<&'static str, String>,
    annotations: BTreeMap<&'static str, String>,
}

/// What one objective of one method is about.
struct Objective<'a> {
    /// `<app>-<method>-availability` or `-latency`: the `slo` label of its series and alerts.
    name: String,
    /// `rpc_service`, `rpc_method` and `namespace` matchers of the method's series.
    selector: String,
    method: &'a str,
    share: Millionths,
    /// The error ratio over a window (`{window}` in it).
    errors: String,
    /// The objective in words, for the alerts' summary.
    stated: String,
}

/// The selector of `service`'s `method` in `namespace` (without braces).
pub(crate) fn selector(service: &Service, method: &str, namespace: &str) -> String {
    format!("namespace={namespace:?},rpc_service={:?},rpc_method={method:?}", service.full_name)
}

/// A latency threshold as Prometheus writes a bucket bound (`le`): `0.3`, `1.0`, `30.0`.
pub(crate) fn bucket_bound(threshold_ms: u64) -> String {
    let fraction = format!("{:03}", threshold_ms % 1000);
    let fraction = fraction.trim_end_matches('0');
    format!("{}.{}", threshold_ms / 1000, if fraction.is_empty() { "0" } else { fraction })
}

/// Every objective of `service`'s methods, in `namespace`.
fn objectives<'a>(service: &'a Service, namespace: &str) -> Vec<Objective<'a>> {
    let app = &service.deploy.app;
    let mut objectives = Vec::new();
    for method in &service.methods {
        let Some(slo) = method.slo else { continue };
        let selector = selector(service, &method.name, namespace);
        let total = format!("sum(rate({SERVER_DURATION}_count{{{selector}}}[{{window}}]))");
        let failed = format!(
            "sum(rate({SERVER_DURATION}_count{{{selector},rpc_grpc_status_code=~\"{FAILURE_CODES}\"}}[{{window}}]))"
        );
        let name = |kind: &str| format!("{app}-{}-{kind}", method.name.to_kebab_case());
        objectives.push(Objective {
            name: name("availability"),
            errors: format!("({failed} or vector(0))\n/\n{total}"),
            stated: format!("{} % of {} calls succeed", slo.availability.percent(), method.name),
            selector: selector.clone(),
            method: &method.name,
            share: slo.availability,
        });
        if let Some(latency) = slo.latency {
            let le = bucket_bound(latency.threshold_ms);
            let bucket = format!("rate({SERVER_DURATION}_bucket{{{selector},le=\"{le}\"}}[{{window}}])");
            // Only the calls of pods that have the threshold's bucket: while a new threshold
            // rolls out, the old pods' calls would otherwise all count as slow.
            let counted = format!(
                "sum(\n  rate({SERVER_DURATION}_count{{{selector}}}[{{window}}])\n  and on (instance, rpc_grpc_status_code)\n  {bucket}\n)"
            );
            objectives.push(Objective {
                name: name("latency"),
                // The slow calls' share (`1 - within / counted` would round a share exactly at
                // the objective above it).
                errors: format!("(\n{counted}\n-\nsum({bucket})\n)\n/\n{counted}"),
                stated: format!(
                    "{} % of {} calls end within {} ms",
                    latency.share.percent(),
                    method.name,
                    latency.threshold_ms
                ),
                selector,
                method: &method.name,
                share: latency.share,
            });
        }
    }
    objectives
}

/// The rule groups of `service`'s objectives in `namespace`: one group per objective, its
/// recordings first (a group's rules run in order, so its alerts read this round's ratios).
pub(crate) fn rule_groups(service: &Service, namespace: &str) -> Vec<RuleGroup> {
    objectives(service, namespace).into_iter().map(|objective| group(service, namespace, &objective)).collect()
}

fn group(service: &Service, namespace: &str, objective: &Objective<'_>) -> RuleGroup {
    let labels: BTreeMap<&'static str, String> = [
        ("slo", objective.name.clone()),
        ("namespace", namespace.to_string()),
        ("rpc_service", service.full_name.clone()),
        ("rpc_method", objective.method.to_string()),
    ]
    .into();
    let record = |record: String, expr: String| Rule {
        record: Some(record),
        alert: None,
        expr_lines: lines(&expr),
        labels: labels.clone(),
        annotations: BTreeMap::new(),
    };
    let mut rules: Vec<Rule> = WINDOWS
        .iter()
        .map(|window| record(format!("{ERROR_RATIO}{window}"), objective.errors.replace("{window}", window)))
        .collect();
    rules.push(record(OBJECTIVE.to_string(), format!("vector({})", objective.share.ratio())));
    let matcher = format!("{{slo=\"{}\",namespace=\"{namespace}\"}}", objective.name);
    for (severity, windows) in BURNS {
        let conditions: Vec<String> = windows
            .iter()
            .map(|(long, short, tenths)| {
                let threshold = objective.share.burn_threshold(*tenths);
                format!(
                    "(\n  {ERROR_RATIO}{long}{matcher} > {threshold}\nand\n  {ERROR_RATIO}{short}{matcher} > {threshold}\n)"
                )
            })
            .collect();
        let mut alert_labels = BTreeMap::from([("severity", severity.to_string())]);
        alert_labels.insert("slo", objective.name.clone());
        rules.push(Rule {
            record: None,
            alert: Some("KuberpcErrorBudgetBurn".to_string()),
            expr_lines: lines(&conditions.join("\nor\n")),
            labels: alert_labels,
            annotations: BTreeMap::from([
                ("summary", format!("{}: the error budget of {} burns too fast", service.deploy.app, objective.name)),
                (
                    "description",
                    format!(
                        "Objective: {} over 30 days, in namespace {namespace} ({}). At this rate the budget ({} of \
                         the calls) is gone long before the 30 days end.",
                        objective.stated,
                        objective.selector,
                        objective.share.budget_ratio()
                    ),
                ),
            ]),
        });
    }
    RuleGroup { name: objective.name.clone(), rules }
}

fn lines(expr: &str) -> Vec<String> {
    expr.lines().map(str::to_string).collect()
}
