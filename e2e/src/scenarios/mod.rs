//! The scenarios, one `async fn` each, named as [`crate::registry::SCENARIOS`] lists them.
//! Each returns its one-line result or fails with what it found; every wait in them is
//! bounded.

mod gateway;
mod greeter;
mod journal;
mod manifests;
mod mtls;
mod setup;
mod system;
mod traces;
mod web;

pub(crate) use gateway::gateway_routes;
pub(crate) use greeter::{
    balanced_client, deploy, drain_respects_pdb, force_deleted_pod, rolling_restart, wedged_server,
};
pub(crate) use journal::journal_claims;
pub(crate) use manifests::{dry_runs, ledger_grpcroute, skew_dry_runs};
pub(crate) use mtls::{mtls_deploy, mtls_refused, mtls_rotation};
pub(crate) use setup::{build, crds};
pub(crate) use system::{declared_edges, policy_engine, system_deploy, system_rolling_restart, undeclared_refused};
pub(crate) use traces::traces_in_jaeger;
pub(crate) use web::rest_and_web_on_the_pods;

/// The namespaces the scenarios deploy to, whose state a failed scenario's log gets.
pub(crate) const NAMESPACES: &[&str] =
    &["greeter-prod", "prod", "journal-prod", "front-prod", "monitoring", "bank-prod", "infra"];
