//! The scenarios, in the order a full run takes them, and which of them a run selects.
//!
//! A scenario is an `async fn(&Cx) -> anyhow::Result<Outcome>` in [`crate::scenarios`] plus
//! one line of [`SCENARIOS`] (its name is the function's; `after` names the scenarios it
//! needs, which come earlier). [`select`] keeps a filtered run's scenarios and every scenario
//! they need, in registry order.

use std::future::Future;
use std::pin::Pin;

use anyhow::{bail, Result};

use crate::cx::Cx;
use crate::scenarios::*;
use crate::summary::Outcome;

/// What running a scenario returns.
pub(crate) type Run<'a> = Pin<Box<dyn Future<Output = Result<Outcome>> + 'a>>;

/// One named scenario.
#[derive(Clone, Copy)]
pub(crate) struct Scenario {
    /// The function's name: what `--scenario` takes, what the log file and the summary say.
    pub(crate) name: &'static str,
    /// Scenarios that must have passed first; if one did not, this one is skipped.
    pub(crate) needs: &'static [&'static str],
    /// Runs it.
    pub(crate) run: for<'a> fn(&'a Cx) -> Run<'a>,
}

impl std::fmt::Debug for Scenario {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scenario").field("name", &self.name).field("needs", &self.needs).finish()
    }
}

/// `name [after need, …];` a line: the registry, in the order a full run takes it.
macro_rules! scenarios {
    ($( $name:ident $(after $($need:ident),+)? ; )*) => {
        /// Every scenario, in the order a full run takes them.
        pub(crate) const SCENARIOS: &[Scenario] = &[$(
            Scenario {
                name: stringify!($name),
                needs: &[$($(stringify!($need)),+)?],
                run: |cx| Box::pin($name(cx)),
            },
        )*];
    };
}

scenarios! {
    build;
    crds;
    dry_runs after crds;
    deploy after build, crds;
    balanced_client after deploy;
    rest_and_web_on_the_pods after deploy;
    gateway_routes after deploy;
    rolling_restart after deploy;
    force_deleted_pod after deploy;
    drain_respects_pdb after deploy;
    wedged_server after deploy;
    ledger_grpcroute after build, crds;
    journal_claims after deploy;
    policy_engine;
    system_deploy after deploy;
    declared_edges after system_deploy, policy_engine;
    undeclared_refused after system_deploy, policy_engine;
    system_rolling_restart after declared_edges;
    traces_in_jaeger after system_deploy;
    mtls_deploy after build, policy_engine;
    mtls_refused after mtls_deploy;
    mtls_rotation after mtls_deploy;
    skew_dry_runs after build;
}

/// The scenarios of a run of `wanted` (every one when empty) with every scenario they need,
/// in the order of `registry`; an unknown name is an error that lists the known ones.
pub(crate) fn select<'r>(registry: &'r [Scenario], wanted: &[String]) -> Result<Vec<&'r Scenario>> {
    if wanted.is_empty() {
        return Ok(registry.iter().collect());
    }
    let mut keep = vec![false; registry.len()];
    let mut todo: Vec<&str> = Vec::new();
    for name in wanted {
        if !registry.iter().any(|s| s.name == name) {
            let known: Vec<&str> = registry.iter().map(|s| s.name).collect();
            bail!("no scenario {name:?}; the scenarios are: {}", known.join(", "));
        }
        todo.push(name);
    }
    while let Some(name) = todo.pop() {
        let Some(at) = registry.iter().position(|s| s.name == name) else { bail!("{name:?} is needed but unknown") };
        if !keep[at] {
            keep[at] = true;
            todo.extend(registry[at].needs);
        }
    }
    Ok(registry.iter().zip(keep).filter(|(_, keep)| *keep).map(|(scenario, _)| scenario).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(selected: &[&Scenario]) -> Vec<&'static str> {
        selected.iter().map(|s| s.name).collect()
    }

    #[test]
    fn names_are_unique_and_needs_come_earlier() {
        for (at, scenario) in SCENARIOS.iter().enumerate() {
            assert!(!SCENARIOS[..at].iter().any(|s| s.name == scenario.name), "{} twice", scenario.name);
            for need in scenario.needs {
                assert!(SCENARIOS[..at].iter().any(|s| s.name == *need), "{} needs {need}, not earlier", scenario.name);
            }
        }
    }

    #[test]
    fn the_issue_s_scenarios_are_all_there() {
        let all = names(&select(SCENARIOS, &[]).unwrap());
        for name in [
            "dry_runs",
            "deploy",
            "balanced_client",
            "rest_and_web_on_the_pods",
            "gateway_routes",
            "rolling_restart",
            "force_deleted_pod",
            "drain_respects_pdb",
            "wedged_server",
            "ledger_grpcroute",
            "journal_claims",
            "skew_dry_runs",
        ] {
            assert!(all.contains(&name), "{name} missing from {all:?}");
        }
    }

    #[test]
    fn a_filtered_run_brings_what_it_needs_in_registry_order() {
        let wanted = ["wedged_server".to_string(), "dry_runs".to_string()];
        assert_eq!(
            names(&select(SCENARIOS, &wanted).unwrap()),
            ["build", "crds", "dry_runs", "deploy", "wedged_server"]
        );
        assert_eq!(names(&select(SCENARIOS, &["skew_dry_runs".to_string()]).unwrap()), ["build", "skew_dry_runs"]);
    }

    #[test]
    fn an_unknown_scenario_is_refused_with_the_known_ones() {
        let error = select(SCENARIOS, &["wedge".to_string()]).unwrap_err().to_string();
        assert!(error.contains("\"wedge\"") && error.contains("wedged_server"), "{error}");
    }
}
