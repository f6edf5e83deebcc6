//! kuberpc — the runtime facade of kuberpc-generated gRPC services.
//!
//! Entry points:
//!
//! - [`include_proto!`] includes the stubs that `kuberpc_codegen` wrote to `OUT_DIR`;
//! - [`include_descriptor_set!`] includes the encoded `FileDescriptorSet` (for reflection);
//! - [`options`] holds the annotation vocabulary (`kuberpc/v1/options.proto`) as Rust types.

pub use prost;
pub use tonic;
pub use tonic::{Request, Response, Status, Streaming};

/// The annotation vocabulary, `kuberpc/v1/options.proto`, as prost types.
#[allow(missing_docs)]
pub mod options {
    include!(concat!(env!("OUT_DIR"), "/kuberpc.v1.rs"));
}

/// The source text of `kuberpc/v1/options.proto`, the annotation vocabulary.
pub const OPTIONS_PROTO: &str = include_str!("../proto/kuberpc/v1/options.proto");

/// The file name (inside `OUT_DIR`) of the encoded `FileDescriptorSet` written by the build
/// script API.
pub const DESCRIPTOR_SET_FILE: &str = "kuberpc_descriptor.bin";

/// Includes the stubs generated for one protobuf package, e.g.
/// `kuberpc::include_proto!("greeter.v1");`.
#[macro_export]
macro_rules! include_proto {
    ($package:literal) => {
        include!(concat!(env!("OUT_DIR"), "/", $package, ".rs"));
    };
}

/// Evaluates to the encoded `FileDescriptorSet` (`&'static [u8]`) of every file compiled by
/// the build script, imports included.
#[macro_export]
macro_rules! include_descriptor_set {
    () => {
        include_bytes!(concat!(env!("OUT_DIR"), "/kuberpc_descriptor.bin"))
    };
}
