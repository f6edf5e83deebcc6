//! The service's Grafana dashboard (`deploy/<app>/base/dashboard.json`): one row per
//! environment (its namespace), each with the calls per second, the share of failed calls and
//! the duration quantiles of every method, as the server measures them and as its callers do
//! (from the namespaces its declared callers run in there, and its own),
//! and, for a service with objectives, how fast each objective's error budget burns (from the
//! series [`super::slo`]'s rules record). Typed here in the dashboard model's own field names
//! (schema version 42, as the Grafana Foundation SDK writes it); the tests decode it strictly
//! into the SDK's types and parse every query with Prometheus' parser.

use serde::Serialize;

use super::slo::{CLIENT_DURATION, ERROR_RATIO, FAILURE_CODES, OBJECTIVE, SERVER_DURATION};
use crate::model::{Environment, Service};

/// Width of the dashboard grid, and of one panel (three to a line).
const GRID_WIDTH: u32 = 24;
const PANEL_WIDTH: u32 = 8;
const PANEL_HEIGHT: u32 = 8;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Dashboard {
    uid: String,
    title: String,
    tags: Vec<String>,
    timezone: &'static str,
    editable: bool,
    /// 1: a shared crosshair across panels.
    graph_tooltip: u8,
    time: TimeRange,
    refresh: &'static str,
    schema_version: u16,
    templating: Templating,
    /// None of its own (Grafana adds its built-in annotations).
    annotations: Annotations,
    panels: Vec<Panel>,
}

#[derive(Serialize)]
struct Annotations {}

#[derive(Serialize)]
struct TimeRange {
    from: &'static str,
    to: &'static str,
}

#[derive(Serialize)]
struct Templating {
    list: Vec<Variable>,
}

/// The data source choice: every panel queries `${datasource}`.
#[derive(Serialize)]
struct Variable {
    #[serde(rename = "type")]
    kind: &'static str,
    name: &'static str,
    label: &'static str,
    query: &'static str,
}

/// A row (`"type": "row"`, its panels following it) or a time series panel.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Panel {
    #[serde(rename = "type")]
    kind: &'static str,
    id: u32,
    title: String,
    grid_pos: GridPos,
    #[serde(skip_serializing_if = "Option::is_none")]
    collapsed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    datasource: Option<DataSource>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    targets: Vec<Target>,
    #[serde(skip_serializing_if = "Option::is_none")]
    field_config: Option<FieldConfig>,
    /// A row's collapsed panels: none, its panels follow it.
    #[serde(skip_serializing_if = "Option::is_none")]
    panels: Option<Vec<Panel>>,
}

#[derive(Serialize)]
struct GridPos {
    h: u32,
    w: u32,
    x: u32,
    y: u32,
}

#[derive(Serialize)]
struct DataSource {
    #[serde(rename = "type")]
    kind: &'static str,
    uid: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Target {
    ref_id: String,
    expr: String,
    legend_format: String,
}

#[derive(Serialize)]
struct FieldConfig {
    defaults: FieldDefaults,
    overrides: Vec<()>,
}

#[derive(Serialize)]
struct FieldDefaults {
    unit: &'static str,
}

/// One panel's content: title, unit, and (legend, query) per series.
struct Chart {
    title: String,
    unit: &'static str,
    queries: Vec<(String, String)>,
}

/// The dashboard file: the generated marker in its `description`, as JSON has no comments.
pub(crate) fn file(service: &Service) -> String {
    let value = serde_json::to_value(dashboard(service)).unwrap_or_default();
    crate::header::json_file("description", &service.source_file, &service.full_name, value)
}

fn dashboard(service: &Service) -> Dashboard {
    let app = &service.deploy.app;
    let mut panels = Vec::new();
    let mut y = 0;
    for environment in &service.deploy.environments {
        let id = panels.len() as u32 + 1;
        let title = format!("{} (namespace {})", environment.name, environment.namespace);
        panels.push(Panel {
            collapsed: Some(false),
            panels: Some(Vec::new()),
            ..panel("row", id, title, (0, y, GRID_WIDTH, 1))
        });
        y += 1;
        let charts = charts(service, environment);
        let lines = charts.len().div_ceil(3) as u32;
        for (i, chart) in charts.into_iter().enumerate() {
            let (x, line) = ((i as u32 % 3) * PANEL_WIDTH, i as u32 / 3);
            let id = panels.len() as u32 + 1;
            panels.push(time_series(id, chart, (x, y + line * PANEL_HEIGHT)));
        }
        y += PANEL_HEIGHT * lines;
    }
    Dashboard {
        uid: uid(app),
        title: format!("{app} ({})", service.full_name),
        tags: vec!["kuberpc".into(), app.clone()],
        timezone: "browser",
        editable: true,
        graph_tooltip: 1,
        time: TimeRange { from: "now-6h", to: "now" },
        refresh: "1m",
        schema_version: 42,
        templating: Templating {
            list: vec![Variable { kind: "datasource", name: "datasource", label: "Data source", query: "prometheus" }],
        },
        annotations: Annotations {},
        panels,
    }
}

/// Grafana's uids are at most 40 characters: `kuberpc-<app>`, or for a longer app name its
/// first 31 characters and a hash of the whole.
fn uid(app: &str) -> String {
    let uid = format!("kuberpc-{app}");
    if uid.len() <= 40 {
        return uid;
    }
    let hash = uid.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("{}-{:08x}", &uid[..31], hash as u32)
}

/// A panel with nothing but its kind, id, title and place `(x, y, w, h)`.
fn panel(kind: &'static str, id: u32, title: String, (x, y, w, h): (u32, u32, u32, u32)) -> Panel {
    Panel {
        kind,
        id,
        title,
        grid_pos: GridPos { h, w, x, y },
        collapsed: None,
        datasource: None,
        targets: Vec::new(),
        field_config: None,
        panels: None,
    }
}

fn time_series(id: u32, chart: Chart, (x, y): (u32, u32)) -> Panel {
    let targets = (chart.queries.into_iter().enumerate())
        .map(|(i, (legend, expr))| Target {
            ref_id: ((b'A' + i as u8) as char).to_string(),
            expr,
            legend_format: legend,
        })
        .collect();
    Panel {
        datasource: Some(DataSource { kind: "prometheus", uid: "${datasource}" }),
        targets,
        field_config: Some(FieldConfig { defaults: FieldDefaults { unit: chart.unit }, overrides: Vec::new() }),
        ..panel("timeseries", id, chart.title, (x, y, PANEL_WIDTH, PANEL_HEIGHT))
    }
}

/// The panels of one environment: the server's view, its callers' view, the objectives.
fn charts(service: &Service, environment: &Environment) -> Vec<Chart> {
    let own = &environment.namespace;
    let server = format!("namespace={own:?},rpc_service={:?}", service.full_name);
    // A client's series carry the namespace the caller runs in: this one, or a declared
    // caller's own there.
    let mut namespaces: Vec<&str> =
        service.deploy.callers.iter().map(|caller| caller.namespace_in(&environment.name, own)).collect();
    namespaces.push(own);
    namespaces.sort_unstable();
    namespaces.dedup();
    let callers = format!("namespace=~{:?},rpc_service={:?}", namespaces.join("|"), service.full_name);
    let mut charts = Vec::new();
    for (side, histogram, selector) in [("server", SERVER_DURATION, &server), ("callers", CLIENT_DURATION, &callers)] {
        let rate = |series: &str, filter: &str, by: &str| {
            format!("sum by ({by}) (rate({histogram}_{series}{{{selector}{filter}}}[$__rate_interval]))")
        };
        let calls = rate("count", "", "rpc_method");
        let failed = rate("count", &format!(",rpc_grpc_status_code=~\"{FAILURE_CODES}\""), "rpc_method");
        let buckets = rate("bucket", "", "rpc_method, le");
        charts.push(Chart {
            title: format!("Calls per second ({side})"),
            unit: "reqps",
            queries: vec![("{{rpc_method}}".into(), calls.clone())],
        });
        charts.push(Chart {
            title: format!(
                "Failed calls ({side}: UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS)"
            ),
            unit: "percentunit",
            queries: vec![("{{rpc_method}}".into(), format!("{failed}\n/\n{calls}"))],
        });
        charts.push(Chart {
            title: format!("Duration ({side})"),
            unit: "s",
            queries: [("0.5", "p50"), ("0.9", "p90"), ("0.99", "p99")]
                .into_iter()
                .map(|(q, name)| (format!("{{{{rpc_method}}}} {name}"), format!("histogram_quantile({q}, {buckets})")))
                .collect(),
        });
    }
    if service.has_objectives() {
        let burn = format!("{ERROR_RATIO}1h{{{server}}}\n/\n(1 - {OBJECTIVE}{{{server}}})");
        charts.push(Chart {
            title: "Error budget burn rate, last hour (1: the budget lasts 30 days)".into(),
            unit: "none",
            queries: vec![("{{slo}}".into(), burn)],
        });
    }
    charts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uid_fits_grafanas_40_characters_and_stays_apart() {
        let long = "a".repeat(54);
        let (one, other) = (uid(&long), uid(&format!("{}b", "a".repeat(53))));
        assert!(one.len() <= 40 && other.len() <= 40, "{one} {other}");
        assert_ne!(one, other);
        assert_eq!(uid("greeter"), "kuberpc-greeter");
    }

    /// The greeter is called by the front, which runs in its own namespace in prod: the
    /// callers' panels read the front's namespace as well as the greeter's.
    #[test]
    fn the_callers_panels_read_the_namespaces_the_callers_run_in() {
        let packages = super::super::tests::fixtures();
        let greeter = packages.iter().flat_map(|p| &p.services).find(|s| s.deploy.app == "greeter").unwrap();
        let prod = greeter.deploy.environments.iter().find(|e| e.name == "prod").unwrap();
        let queries: Vec<String> =
            charts(greeter, prod).into_iter().flat_map(|c| c.queries.into_iter().map(|(_, q)| q)).collect();
        let client = queries.iter().find(|q| q.contains(CLIENT_DURATION)).unwrap();
        assert!(client.contains(r#"namespace=~"front-prod|greeter-prod""#), "{client}");
        let server = queries.iter().find(|q| q.contains(SERVER_DURATION)).unwrap();
        assert!(server.contains(r#"namespace="greeter-prod""#), "{server}");
    }
}
