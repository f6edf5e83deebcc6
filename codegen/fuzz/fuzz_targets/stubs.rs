//! Fuzzes the stub path as `kuberpc generate --rust-out` meets it: arbitrary text as a
//! `.proto` (it may import the well-known types and the vocabulary); whatever protox accepts
//! goes through the option reader and the checks, then prost-build + tonic-prost-build with
//! the deploy modules, the module tree and the descriptor set — unguarded, so a panic in any
//! of them reaches libFuzzer. Every generated `.rs` must also parse as Rust.
//!
//! Run (the example and corpus protos are the seeds):
//! `cd codegen/fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run stubs corpus/stubs ../../examples/greeter/proto/greeter/v1 ../../examples/counter/proto/counter/v1 ../../examples/corpus/proto/routeguide ../../examples/corpus/proto/wkt/v1 ../../examples/corpus/proto/grpc/channelz/v1 ../../examples/corpus/proto/grpc/lb/v1 ../../examples/corpus/proto/grpc/lookup/v1 ../../examples/corpus/proto/grpc/health/v1 ../../examples/corpus/proto/grpc/examples ../../examples/corpus/proto/grpc/testing ../../examples/corpus/proto/k8s/cri/v1 ../tests/fixtures/ledger/v1 -- -max_len=200000`

#![no_main]

use kuberpc_codegen::internals::{compile_in_memory, enforce, generate, StubOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(compiled) = compile_in_memory(&[("fuzz.proto", text)]) else { return };
    if !compiled.problems.is_empty() || enforce(&compiled.packages).is_err() {
        return;
    }
    let Ok(files) = generate(&compiled.file_descriptor_set, &compiled.packages, &StubOptions::default()) else {
        return;
    };
    for (name, content) in files.iter().filter(|(name, _)| name.ends_with(".rs")) {
        let source = std::str::from_utf8(content).expect("stubs are UTF-8");
        if let Err(error) = syn::parse_file(source) {
            panic!("{name} is not Rust: {error}\n{source}");
        }
    }
});
