//! kuberpc-codegen: one annotated `.proto` or `#[rpc_service]` trait → tonic stubs, a
//! kustomize base and (for traits) the equivalent `.proto`.
//!
//! Pipeline (private modules, see `cargo doc --document-private-items`): a front end
//! (`proto::front`, or `rust::front` for traits) reads the options written (the field tables
//! and option paths generated from options.proto are `schema`) and `options` resolves them,
//! service and methods alike, into the [`model`] (whose runtime facts are `kuberpc-spec`
//! types); `model_rules` runs the cross-field rules once; back ends (`proto::stubs`,
//! `rust::stubs`, `deploy_module`, `manifests` with its one registry of outputs,
//! `rust::proto_file`) only read the model and add their files to [`Generated`] (`artifacts`);
//! `writer` puts every destination on disk atomically and never touches user-owned files.
//! Every stage that drives a third-party generator (protox, prost-build, tonic-prost-build,
//! handlebars, syn) runs under `guard`, so a panic there is an internal error, not a crash.
//! No module uses one that uses it back (`scripts/module-graph`).
//!
//! Feature `build` (on by default) holds everything that reads or writes files; without it,
//! `kuberpc-macros` gets the model, the checks and the trait front end.
//!
//! Entry points: [`configure`] for build scripts (and [`Config::generate`] for tests); the
//! `kuberpc` command is the `kuberpc-cli` crate.

// The modules are private: the public API is what is re-exported below. Module docs describe
// the architecture for contributors (`cargo doc --document-private-items`).
#[cfg(feature = "build")]
mod artifacts;
mod attributes;
#[cfg(feature = "build")]
pub mod breaking;
#[cfg(feature = "build")]
mod config;
mod deploy_module;
#[cfg(feature = "build")]
mod dockerfile;
mod error;
#[cfg(feature = "build")]
mod graph;
#[cfg(feature = "build")]
mod guard;
mod header;
#[cfg(feature = "build")]
mod manifests;
pub mod model;
mod model_rules;
mod options;
#[cfg(feature = "build")]
mod overlays;
#[cfg(feature = "build")]
mod proto;
mod rust;
mod schema;
mod service_config;
#[cfg(feature = "build")]
mod source_tree;
mod suggest;
#[cfg(feature = "build")]
mod writer;

#[cfg(feature = "build")]
pub use artifacts::{Destination, Generated};
#[cfg(feature = "build")]
pub use config::{configure, Config};
pub use error::{Error, Problem};
#[cfg(feature = "build")]
pub use overlays::{BrokenOverlay, OverlayCheck, CACHE_DIR_ENV};
#[cfg(feature = "build")]
pub use source_tree::NO_WRITE_ENV;
#[cfg(feature = "build")]
pub use writer::{Action, OutputFile, Ownership};

/// The `#[rpc_service]` expansion, for `kuberpc-macros` (its only caller, versioned in
/// lockstep with this crate). Hidden: users write `#[kuberpc::rpc_service]`, never this.
#[doc(hidden)]
pub use rust::expand;

/// Stages the fuzz targets and integration tests drive one at a time. Hidden: these are
/// internal seams, not an API; they change whenever the pipeline does.
#[doc(hidden)]
pub mod internals {
    pub use crate::attributes::{parse_method_attribute, parse_service_attribute};
    pub use crate::error::{Problems, Spans};
    pub use crate::model_rules::enforce;
    pub use crate::options::resolve_deploy;
    #[cfg(feature = "build")]
    pub use crate::{
        manifests::{render, validate_object, Templates},
        proto::front::compile_in_memory,
        proto::stubs::{generate, StubOptions},
    };
}
