//! The `.proto` input language, paired with [`crate::rust`] for traits: [`front`] compiles the
//! files and reads their options into the model; [`stubs`] hands the compiled descriptors to
//! prost-build and tonic-prost-build for the message types, servers and clients; `http` reads
//! the REST bindings (`google.api.http`).

pub(crate) mod front;
mod http;
pub(crate) mod stubs;

pub(crate) use front::*;
