//! kuberpc-spec: a service's deployment once every option is resolved, stated once for the
//! generator (`kuberpc-codegen` resolves the options into these types and writes them into each
//! service's `<service>_deploy` module) and the runtime (`kuberpc` serves and calls by them).
//!
//! - [`Deploy`], [`Lifecycle`], [`ClientPolicy`], [`MethodPolicy`]: the resolved facts and the
//!   rules that relate them. The runtime holds them as `&'static` data (their type parameters'
//!   defaults); the generator builds them with owned strings.
//! - [`Callee`]: one service a service calls, as its client needs it.
//! - [`MutualTls`], [`Caller`]: mutual TLS, and who may call which method of a service.
//! - [`Web`]: gRPC-Web, and the origins whose pages may call.
//! - [`PathTemplate`], [`TemplateError`]: a `google.api.http` path template, parsed and checked
//!   (each fault at its byte offset) and matched against request paths.
//! - [`HttpRule`]: one REST binding of a method (`google.api.http`).
//! - [`defaults`]: every fixed default of the options, one table.
//! - [`policy`]: the call policy every service shares (attempts, backoff, the retry budget's
//!   cap), which the gRPC service config tells clients in other languages.
//! - Feature `tokens`: `Literal`, each type written as the Rust expression that rebuilds it.
//! - Feature `serde`: `Serialize` for the manifest view.

#[macro_use]
mod resolved;
mod callee;
pub mod defaults;
mod deploy;
mod identity;
#[cfg(feature = "tokens")]
mod literal;
mod path_template;
pub mod policy;
mod rest;
mod web;

pub use callee::{address_env, Callee};
pub use deploy::{ClientPolicy, Deploy, Lifecycle, MethodPolicy};
pub use identity::{identity_env, spiffe_id, Caller, MutualTls, CERT_DIR};
#[cfg(feature = "tokens")]
pub use literal::Literal;
pub use path_template::{PathTemplate, TemplateError};
pub use rest::HttpRule;
pub use web::{origin_problem, origins_problems, OriginsProblem, Web, WEB_ORIGINS_ENV};
