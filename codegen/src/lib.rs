//! kuberpc-codegen: one annotated `.proto` or `#[rpc_service]` trait → tonic stubs, a
//! kustomize base and (for traits) the equivalent `.proto`.
//!
//! Pipeline: a front end ([`proto`], or [`rust`] for traits) builds the [`model`], reading
//! options through the vocabulary generated from options.proto ([`options`]); [`check`] runs
//! the cross-field rules once; back ends ([`stubs`], [`manifests`], the emitted `.proto`) only
//! read the model and add their files to [`Generated`] ([`artifacts`]); [`writer`] puts every
//! destination on disk atomically and never touches user-owned files.
//! Every stage that drives a third-party generator (protox, prost-build, tonic-prost-build,
//! handlebars) runs under [`guard`], so a panic there is an internal error, not a crash.
//!
//! Feature `build` (on by default, through `cli`) holds everything that reads or writes
//! files; without it, `kuberpc-macros` gets the model, the checks and the trait front end.
//!
//! Entry points: [`configure`] for build scripts (and [`Config::generate`] for tests), and
//! the `kuberpc` binary for everything else.

#[cfg(feature = "build")]
pub mod artifacts;
pub mod attributes;
pub mod check;
#[cfg(feature = "build")]
mod config;
pub mod deploy_module;
pub mod error;
pub mod guard;
#[cfg(feature = "build")]
pub mod manifests;
pub mod model;
pub mod options;
#[cfg(feature = "build")]
pub mod proto;
pub mod rust;
#[cfg(feature = "build")]
pub mod stubs;
mod suggest;
#[cfg(feature = "build")]
pub mod writer;

#[cfg(feature = "build")]
pub use artifacts::{Destination, Generated};
#[cfg(feature = "build")]
pub use config::{configure, Config};
pub use error::{Error, Problem};
