//! Fuzzes the trait front end as a build script meets it: arbitrary text as a Rust source
//! file through `generate_rust_sources` (parse, read every `#[rpc_service]` trait, resolve
//! and check, render manifests, emit and compile the .proto), and each trait of it through
//! the proc-macro's `expand`. Errors are fine; a panic (or an internal error, which is a
//! caught panic) is a bug, and so is an emitted
//! .proto that does not compile (the emitter must reject what protobuf forbids, located).
//!
//! Run (the UI cases and the examples are the seeds):
//! `cd codegen/fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run trait_front_end corpus/trait_front_end ../../rpc-macros/tests/ui ../../examples/counter/src ../../rpc-macros/hygiene/src`

#![no_main]

use kuberpc_codegen::Config;
use libfuzzer_sys::fuzz_target;
use proc_macro2::TokenStream;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Err(error) = Config::new().generate_rust_sources(&[("src/api.rs", text)]) {
        let message = error.to_string();
        assert!(!message.contains("the emitted .proto does not compile"), "{message}");
        // The pipeline turns panics into internal errors; for the fuzzer they are still bugs.
        assert!(!message.contains("internal error"), "{message}");
    }
    let Ok(file) = syn::parse_file(text) else { return };
    for item in file.items {
        if let syn::Item::Trait(mut item) = item {
            let attr = item.attrs.pop().map(|a| match a.meta {
                syn::Meta::List(list) => list.tokens,
                _ => TokenStream::new(),
            });
            let item = quote::quote!(#item);
            let _ = kuberpc_codegen::expand(attr.unwrap_or_default(), item, &quote::quote!(::kuberpc));
        }
    }
});
