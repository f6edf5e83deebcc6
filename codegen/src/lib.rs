//! kuberpc-codegen: one annotated `.proto` → tonic stubs and a kustomize base.
//!
//! Pipeline (see `DESIGN.md`): a front end ([`proto`]) builds the [`model`]; [`check`] runs
//! the cross-field rules once; back ends ([`stubs`], [`manifests`]) only read the model;
//! [`writer`] puts files on disk atomically and never touches user-owned files.
//!
//! Entry points: [`configure`] for build scripts (and [`Config::generate`] for tests), and
//! the `kuberpc` binary for everything else.

pub mod attributes;
pub mod check;
mod config;
pub mod error;
pub mod manifests;
pub mod model;
pub mod options;
pub mod proto;
pub mod rust;
pub mod stubs;
mod suggest;
pub mod writer;

pub use config::{configure, Config, Generated};
pub use error::{Error, Problem};
