//! The tonic client and server generated from `examples/counter/proto/counter/v1/counter.proto`
//! — what a team in another repository gets from the emitted proto. The tests in `tests/`
//! pit them against the trait-generated server and client.

/// Stubs generated from the emitted proto.
#[allow(missing_docs, unreachable_pub)]
pub mod pb {
    kuberpc::include_proto!("counter.v1");
}
