//! Writes `deploy/counter` and `proto/counter/v1/counter.proto` from the `#[rpc_service]`
//! trait in `src/lib.rs` (its server and client come from the macro itself).
//!
//! The second call compiles the emitted proto back through the proto-first path, stubs only:
//! the wire-compatibility test calls the trait's server with the tonic client generated from it.

fn main() -> Result<(), kuberpc_codegen::Error> {
    kuberpc_codegen::configure().manifests_dir("deploy").proto_dir("proto").compile_rust(&["src/lib.rs"])?;
    kuberpc_codegen::configure().manifests(false).compile_protos(&["proto/counter/v1/counter.proto"], &["proto"])
}
