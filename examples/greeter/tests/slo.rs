//! The greeter's service-level objectives (`slo` in greeter.proto), as the upstream projects'
//! own tools read what kuberpc generated for them (`deploy/greeter/base/dashboard.json`, each
//! environment's `slo-rules.yaml`):
//! - the dashboard decodes strictly into the Grafana Foundation SDK's dashboard types, and every
//!   panel query and every rule parses with Prometheus' PromQL parser and reads only metrics
//!   this runtime really exports (scraped from a live server after real calls) or the rules
//!   record (`slo-check`, tools/slo-check);
//! - the rules pass `promtool check rules`, and `promtool test rules` fires each alert from
//!   synthetic series at its burn rates (both windows of each), keeps it silent at the objective,
//!   once a burn has stopped (the page), and while a new latency threshold rolls out;
//! - the server's duration histogram has a bucket at the latency objective's threshold, written
//!   as the rules write it.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use greeter::pb::greeter_client::GreeterClient;
use greeter::pb::greeter_deploy;
use greeter::pb::greeter_server::GreeterServer;
use greeter::pb::HelloRequest;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn deploy_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("deploy/greeter")
}

/// A tool scripts/setup-test-tools builds into .venv/bin.
fn tool(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin").join(name);
    assert!(path.is_file(), "{} is missing: run scripts/setup-test-tools", path.display());
    path
}

/// Runs `tool args…`; its output, and whether it succeeded.
fn run(tool_name: &str, args: &[&Path]) -> (bool, String) {
    let output = Command::new(tool(tool_name)).args(args).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

/// The environments whose components carry the objectives' rules.
const ENVIRONMENTS: [&str; 2] = ["staging", "prod"];

fn rules_of(environment: &str) -> PathBuf {
    deploy_dir().join("components").join(environment).join("slo-rules.yaml")
}

/// `GET /metrics` of the server at `addr`: the page's body.
async fn scrape(addr: std::net::SocketAddr) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: metrics\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    body.to_string()
}

/// The names of the page's samples (`rpc_server_call_duration_seconds_bucket`, …).
fn sample_names(page: &str) -> Vec<String> {
    let mut names: Vec<String> = page
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .map(|line| line.split(['{', ' ']).next().unwrap().to_string())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The series the rules record (`record:` lines).
fn recorded_names() -> Vec<String> {
    let text = std::fs::read_to_string(rules_of("prod")).unwrap();
    let mut names: Vec<String> = text
        .lines()
        .filter_map(|line| line.trim().strip_prefix("- record: "))
        .map(|name| name.trim_matches('"').to_string())
        .collect();
    names.sort();
    names.dedup();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_and_the_rules_read_only_what_the_runtime_exports() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let metrics_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (addr, metrics_addr) = (listener.local_addr().unwrap(), metrics_listener.local_addr().unwrap());
    let switchable = common::switchable();
    let server = kuberpc::Server::new(&greeter_deploy::DEPLOY)
        .add_service(GreeterServer::new(switchable.handler))
        .file_descriptor_set(greeter::FILE_DESCRIPTOR_SET)
        .metrics(kuberpc::metrics::RpcMetrics::global().clone(), Some(metrics_listener));
    tokio::spawn(server.serve_with_listener(listener, std::future::pending()));
    tokio::time::timeout(Duration::from_secs(30), async {
        // Through kuberpc's client, so the page has the callers' series too.
        let channel = kuberpc::client::Client::new(&greeter_deploy::DEPLOY)
            .target_parsed(addr.to_string().parse().unwrap())
            .connect()
            .await
            .unwrap();
        let mut client = GreeterClient::new(channel);
        for _ in 0..3 {
            client.say_hello(HelloRequest { name: "slo".into() }).await.unwrap();
        }
        switchable.down.store(true, std::sync::atomic::Ordering::SeqCst);
        let failed = client.say_hello(HelloRequest { name: "slo".into() }).await.unwrap_err();
        assert_eq!(failed.code(), tonic::Code::Unavailable);
    })
    .await
    .unwrap();
    let page = scrape(metrics_addr).await;

    // The latency objective's threshold (SayHello: 300 ms) is a bucket bound, written on the
    // page as the rules write it.
    let rules = std::fs::read_to_string(rules_of("prod")).unwrap();
    assert!(rules.contains(r#"le="0.3""#), "the rules read another bound:\n{rules}");
    let bucket = page.lines().find(|line| {
        line.starts_with("rpc_server_call_duration_seconds_bucket{")
            && line.contains(r#"rpc_method="SayHello""#)
            && line.contains(r#"rpc_grpc_status_code="0""#)
            && line.contains(r#"le="0.3""#)
    });
    assert!(bucket.is_some_and(|line| line.ends_with(" 3")), "no le=\"0.3\" bucket with the 3 calls:\n{page}");

    let scratch = tempfile::tempdir().unwrap();
    let names = scratch.path().join("names");
    let exported = sample_names(&page);
    for needed in ["rpc_server_call_duration_seconds_bucket", "rpc_client_call_duration_seconds_count"] {
        assert!(exported.iter().any(|name| name == needed), "{needed} is not on the page:\n{page}");
    }
    std::fs::write(&names, [exported, recorded_names()].concat().join("\n")).unwrap();
    let (ok, out) = run("slo-check", &[Path::new("dashboard"), &deploy_dir().join("base/dashboard.json"), &names]);
    assert!(ok, "{out}");
    assert!(out.contains("every metric exported"), "{out}");
    for environment in ENVIRONMENTS {
        let groups = scratch.path().join(format!("{environment}.yaml"));
        let (ok, out) = run("slo-check", &[Path::new("rules"), &rules_of(environment), &names, &groups]);
        assert!(ok, "{environment}: {out}");
        let (ok, out) = run("promtool", &[Path::new("check"), Path::new("rules"), &groups]);
        assert!(ok && out.contains("SUCCESS"), "{environment}: {out}");
    }

    // A metric the runtime does not export fails the check: it reads the names it is given.
    let without = scratch.path().join("without-client");
    let page_names = std::fs::read_to_string(&names).unwrap();
    let kept: Vec<&str> = page_names.lines().filter(|n| !n.starts_with("rpc_client_call_duration")).collect();
    std::fs::write(&without, kept.join("\n")).unwrap();
    let (ok, out) = run("slo-check", &[Path::new("dashboard"), &deploy_dir().join("base/dashboard.json"), &without]);
    assert!(!ok && out.contains("rpc_client_call_duration_seconds_count"), "{out}");
}

/// SayHello's series `name` in greeter-prod, scraped from the pod `instance`.
fn series(name: &str, instance: &str, extra: &str) -> String {
    format!(
        r#"{name}{{namespace="greeter-prod",instance="{instance}",rpc_service="greeter.v1.Greeter",rpc_method="SayHello",rpc_system="grpc"{extra}}}"#
    )
}

/// One pod's calls per minute, as promtool input: `ok` that succeed within 300 ms, `slow` that
/// succeed after it, `failed` with UNAVAILABLE; from minute `until` on (if any) only fast
/// successes (the burn stopped). A pod `without_bucket` (an old version, from before the
/// threshold was a bound) has no `le="0.3"` series.
#[derive(Clone, Copy)]
struct Pod {
    instance: &'static str,
    ok: u64,
    slow: u64,
    failed: u64,
    until: Option<u64>,
    without_bucket: bool,
}

fn pod(ok: u64, slow: u64, failed: u64) -> Pod {
    Pod { instance: "10.88.0.10:9090", ok, slow, failed, until: None, without_bucket: false }
}

/// A counter growing by `per_minute` while `pod` burns, then by `after` per minute.
fn values(pod: Pod, per_minute: u64, after: u64) -> String {
    match pod.until {
        None => format!("0+{per_minute}x300"),
        Some(minutes) => format!("0+{per_minute}x{minutes} {}+{after}x{}", per_minute * minutes, 300 - minutes),
    }
}

/// The promtool input of `pods`.
fn input(pods: &[Pod]) -> String {
    let counter = |name: String, values: String| format!("      - series: '{name}'\n        values: '{values}'\n");
    let (count, bucket) = ("rpc_server_call_duration_seconds_count", "rpc_server_call_duration_seconds_bucket");
    let mut lines = Vec::new();
    for pod in pods {
        let calls = pod.ok + pod.slow + pod.failed;
        let ok = series(count, pod.instance, r#",rpc_grpc_status_code="0""#);
        lines.push(counter(ok, values(*pod, pod.ok + pod.slow, calls)));
        lines.push(counter(series(count, pod.instance, r#",rpc_grpc_status_code="14""#), values(*pod, pod.failed, 0)));
        if !pod.without_bucket {
            let fast = series(bucket, pod.instance, r#",rpc_grpc_status_code="0",le="0.3""#);
            lines.push(counter(fast, values(*pod, pod.ok, calls)));
            let failed = series(bucket, pod.instance, r#",rpc_grpc_status_code="14",le="0.3""#);
            lines.push(counter(failed, values(*pod, pod.failed, 0)));
        }
    }
    lines.concat()
}

/// The annotations the rules give `slo`'s alert of `severity`, from the rules file.
fn annotations(groups: &str, slo: &str, severity: &str) -> (String, String) {
    let group = groups.split("- name: ").find(|g| g.starts_with(&format!("\"{slo}\""))).unwrap();
    let alert = group.split("- alert: ").find(|a| a.contains(&format!("severity: \"{severity}\""))).unwrap();
    let value = |key: &str| {
        let line = alert.lines().find(|l| l.trim_start().starts_with(&format!("{key}: "))).unwrap();
        line.trim_start()[key.len() + 2..].to_string()
    };
    (value("summary"), value("description"))
}

/// An expected alert of `slo` in the promtool test's YAML.
fn alert(groups: &str, slo: &str, severity: &str) -> String {
    let (summary, description) = annotations(groups, slo, severity);
    format!(
        "          - exp_labels:\n              severity: {severity}\n              slo: {slo}\n              \
         namespace: greeter-prod\n              rpc_service: greeter.v1.Greeter\n              rpc_method: SayHello\n            \
         exp_annotations:\n              summary: {summary}\n              description: {description}\n"
    )
}

/// One promtool test: the input, and the alerts expected `minutes` in.
fn case(input: &str, minutes: u32, expected: &[String]) -> String {
    let alerts = if expected.is_empty() {
        "        exp_alerts: []\n".to_string()
    } else {
        format!("        exp_alerts:\n{}", expected.concat())
    };
    format!(
        "  - interval: 1m\n    input_series:\n{input}    alert_rule_test:\n      - eval_time: {minutes}m\n        \
         alertname: KuberpcErrorBudgetBurn\n{alerts}"
    )
}

#[test]
fn each_alert_fires_at_its_burn_rate_and_none_at_the_objective() {
    let scratch = tempfile::tempdir().unwrap();
    let (groups, names) = (scratch.path().join("prod.yaml"), scratch.path().join("names"));
    let exported = ["rpc_server_call_duration_seconds_count", "rpc_server_call_duration_seconds_bucket"];
    std::fs::write(&names, exported.join("\n")).unwrap();
    let (ok, out) = run("slo-check", &[Path::new("rules"), &rules_of("prod"), &names, &groups]);
    assert!(ok, "{out}");
    let rules = std::fs::read_to_string(&groups).unwrap();
    let (availability, latency) = ("greeter-say-hello-availability", "greeter-say-hello-latency");
    let a = |severity| alert(&rules, availability, severity);
    let l = |severity| alert(&rules, latency, severity);
    // Availability 99.9 % (a budget of 0.1 % of the calls), latency 99.5 % within 300 ms (0.5 %).
    let cases = [
        // 2 % fail: 20 times the budget's rate, past 14.4 (page) and 3 (ticket).
        case(&input(&[pod(980, 0, 20)]), 70, &[a("page"), a("ticket")]),
        // 1 % fail: 10 times, under 14.4 but past 6 over six hours and 30 minutes (page), and 3.
        case(&input(&[pod(990, 0, 10)]), 70, &[a("page"), a("ticket")]),
        // 0.5 % fail: 5 times, past 3 only.
        case(&input(&[pod(995, 0, 5)]), 70, &[a("ticket")]),
        // 2 % failed for an hour, then none for 40 minutes: the short windows (5 and 30 minutes)
        // are clean, so no page; over a day and two hours the budget still burns: a ticket.
        case(&input(&[Pod { until: Some(60), ..pod(980, 0, 20) }]), 100, &[a("ticket")]),
        // At the objective (0.1 % fail), and below it: silent.
        case(&input(&[pod(999, 0, 1)]), 70, &[]),
        case(&input(&[pod(9_999, 0, 1)]), 70, &[]),
        // 10 % slow: 20 times the latency budget.
        case(&input(&[pod(900, 100, 0)]), 70, &[l("page"), l("ticket")]),
        // 2 % slow: 4 times (page at 6 and 14.4 stays silent).
        case(&input(&[pod(980, 20, 0)]), 70, &[l("ticket")]),
        // At the latency objective (0.5 % slow): silent.
        case(&input(&[pod(995, 5, 0)]), 70, &[]),
        // Beside a pod within the objective, one of the old version, before 300 ms was a bound:
        // its calls are not counted as slow.
        case(
            &input(&[pod(995, 5, 0), Pod { instance: "10.88.0.11:9090", without_bucket: true, ..pod(1000, 0, 0) }]),
            70,
            &[],
        ),
    ];
    let test =
        |cases: &[String]| format!("rule_files:\n  - prod.yaml\nevaluation_interval: 1m\ntests:\n{}", cases.concat());
    let file = scratch.path().join("test.yaml");
    std::fs::write(&file, test(&cases)).unwrap();
    let (ok, out) = run("promtool", &[Path::new("test"), Path::new("rules"), &file]);
    assert!(ok, "{out}\n{}", test(&cases));
    assert!(out.contains("SUCCESS"), "{out}");

    // The same tool fails an expectation the rules do not meet: a fast burn that stays silent.
    std::fs::write(&file, test(&[case(&input(&[pod(980, 0, 20)]), 70, &[])])).unwrap();
    let (ok, out) = run("promtool", &[Path::new("test"), Path::new("rules"), &file]);
    assert!(!ok && out.contains("greeter-say-hello-availability"), "{out}");
}
