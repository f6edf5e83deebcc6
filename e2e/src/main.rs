//! kuberpc's end-to-end tests on a real Kubernetes: named scenarios run in order, a summary
//! of each one's outcome, a log per scenario.
//!
//! `scripts/e2e` brings up the test cluster (`scripts/test-cluster`) and runs this binary
//! with the cluster's KUBECONFIG; `scripts/e2e --list` lists the scenarios, `scripts/e2e
//! --scenario NAME` (repeatable) runs those and the ones they need. Every scenario is an
//! `async fn` in [`scenarios`] and a line in [`registry::SCENARIOS`]: adding one is a function
//! and a line. A scenario whose prerequisite did not pass is skipped, not failed again. The
//! summary gives each scenario's outcome, duration and one-line result; each scenario's log
//! (what it did, and on failure the pods, EndpointSlices, events and the relevant logs) is
//! `target/e2e/<scenario>.log`. The run exits 1 if a scenario failed. Every wait is bounded.
//!
//! Why Rust and kube-rs rather than bash and kubectl: the objects are the typed ones of the
//! same k8s-openapi the generator renders into (a Job, an HPA's status, an EndpointSlice's
//! conditions are fields, not jsonpath strings); waits are watches that react to the change
//! instead of polling kubectl every half second; it is one more crate of the workspace, built,
//! linted and unit-tested like the others (`cargo test` runs its unit tests, never the
//! cluster). The real tools stay where they are the point: `kubectl kustomize`, `kubectl drain`
//! (its eviction loop against the PodDisruptionBudget), `ctr` (the wedged server's pid),
//! `scripts/test-cluster` and `scripts/image-tarball`.
//!
//! KUBERPC_E2E_EXISTING=1 runs against the cluster of KUBECONFIG instead (images loaded by
//! `$KUBERPC_E2E_LOAD_IMAGE <tarball>`, e.g. `kind load image-archive`); the scenarios that
//! need the test cluster's node or its other API servers skip. `--busy-cores N` keeps N
//! threads of this process spinning through the run, the loaded machine the zero-failure
//! scenarios must hold on.

mod cx;
mod http;
mod k8s;
mod parse;
mod registry;
mod scenarios;
mod summary;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context as _, Result};

use crate::cx::Cx;
use crate::registry::{select, Scenario, SCENARIOS};
use crate::summary::{Outcome, Row};

const USAGE: &str = "usage: kuberpc-e2e [--list] [--scenario NAME]... [--busy-cores N]";

/// What the command line asks for.
#[derive(Debug, Default, PartialEq, Eq)]
struct Args {
    list: bool,
    scenarios: Vec<String>,
    busy_cores: usize,
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Args> {
    let mut parsed = Args::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--list" => parsed.list = true,
            "--scenario" => parsed.scenarios.push(args.next().context("--scenario needs a NAME")?),
            "--busy-cores" => {
                let n = args.next().context("--busy-cores needs a number")?;
                parsed.busy_cores = n.parse().with_context(|| format!("--busy-cores {n}"))?;
            }
            "-h" | "--help" => bail!("{USAGE}"),
            other => bail!("unknown argument {other:?}\n{USAGE}"),
        }
    }
    Ok(parsed)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    match run().await {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(error) => {
            eprintln!("e2e: {error:#}");
            std::process::exit(2);
        }
    }
}

/// Runs the selected scenarios; whether none failed.
async fn run() -> Result<bool> {
    let args = parse_args(std::env::args().skip(1))?;
    let selected = select(SCENARIOS, &args.scenarios)?;
    if args.list {
        for scenario in SCENARIOS {
            let needs = if scenario.needs.is_empty() {
                String::new()
            } else {
                format!(" (after {})", scenario.needs.join(", "))
            };
            println!("{}{needs}", scenario.name);
        }
        return Ok(true);
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().context("the workspace")?.to_path_buf();
    let existing = cx::existing_cluster();
    if existing && std::env::var_os("KUBECONFIG").is_none() {
        bail!("KUBERPC_E2E_EXISTING=1 needs KUBECONFIG");
    }
    let cluster_dir =
        std::env::var_os("KUBERPC_CLUSTER_DIR").map_or_else(|| PathBuf::from("/tmp/kuberpc-cluster"), PathBuf::from);
    let client = kube::Client::try_default().await.context("a client of the cluster (KUBECONFIG)")?;
    let logs = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| repo.join("target"), PathBuf::from).join("e2e");
    if logs.exists() {
        std::fs::remove_dir_all(&logs).with_context(|| format!("clearing {}", logs.display()))?;
    }
    std::fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
    let cx = Cx::new(client, repo, existing, cluster_dir)?;
    let busy = Busy::start(args.busy_cores);
    let started = Instant::now();
    let mut rows: Vec<Row> = Vec::new();
    for scenario in selected {
        let row = run_one(&cx, scenario, &rows, &logs).await;
        rows.push(row);
    }
    drop(busy);
    eprintln!("{}", summary::render(&rows, started.elapsed()));
    Ok(!summary::failed(&rows))
}

/// Runs one scenario (or skips it when a scenario it needs did not pass) into its log.
async fn run_one(cx: &Cx, scenario: &Scenario, done: &[Row], logs: &Path) -> Row {
    let log = logs.join(format!("{}.log", scenario.name));
    let started = Instant::now();
    let unmet: Vec<&str> = scenario
        .needs
        .iter()
        .copied()
        .filter(|need| !done.iter().any(|row| row.name == *need && matches!(row.outcome, Outcome::Passed(_))))
        .collect();
    if let Err(error) = cx.begin(scenario.name, &log) {
        return Row {
            name: scenario.name,
            outcome: Outcome::Failed(format!("{error:#}")),
            took: started.elapsed(),
            log,
        };
    }
    let outcome = if !unmet.is_empty() {
        let why = format!("needs {}, which did not pass", unmet.join(", "));
        cx.say(format!("skipped: {why}"));
        Outcome::Skipped(why)
    } else {
        match (scenario.run)(cx).await {
            Ok(outcome) => outcome,
            Err(error) => {
                let why = format!("{error:#}");
                cx.say(format!("FAIL: {why}"));
                k8s::diagnose(cx, scenarios::NAMESPACES).await;
                Outcome::Failed(why)
            }
        }
    };
    cx.note(format!("{outcome:?} in {:.1}s", started.elapsed().as_secs_f64()));
    cx.end();
    Row { name: scenario.name, outcome, took: started.elapsed(), log }
}

/// Threads spinning on this machine's cores until dropped (`--busy-cores`).
struct Busy {
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Busy {
    fn start(cores: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..cores)
            .map(|_| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::hint::spin_loop();
                    }
                })
            })
            .collect();
        Self { stop, threads }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Result<Args> {
        parse_args(text.split_whitespace().map(String::from))
    }

    #[test]
    fn the_command_line() {
        assert_eq!(args("").unwrap(), Args::default());
        let parsed = args("--scenario deploy --scenario wedged_server --busy-cores 2").unwrap();
        assert_eq!(
            parsed,
            Args { list: false, scenarios: vec!["deploy".into(), "wedged_server".into()], busy_cores: 2 }
        );
        assert!(args("--list").unwrap().list);
        assert!(args("--scenario").is_err());
        assert!(args("--busy-cores x").is_err());
        assert!(args("wedged_server").unwrap_err().to_string().contains("unknown argument"));
    }
}
