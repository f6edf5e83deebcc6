//! The `.proto` input language, paired with [`crate::rust`] for traits: [`front`] compiles the
//! files and reads their options into the model; [`stubs`] hands the compiled descriptors to
//! prost-build and tonic-prost-build for the message types, servers and clients; `http` reads
//! the REST bindings (`google.api.http`), `openapi` describes them.

pub(crate) mod front;
mod http;
mod openapi;
pub(crate) mod record;
pub(crate) mod stubs;

pub(crate) use front::*;
