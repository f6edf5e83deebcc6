//! Fuzzes the attribute syntax of the vocabulary: arbitrary text, lexed as Rust tokens,
//! parsed as `#[rpc_service(...)]` arguments (first line) and `#[rpc(...)]` arguments (the
//! rest), and the options resolved. Errors are fine; a panic is a bug.
//!
//! Run: `cd codegen/fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run attribute_parser corpus/attribute_parser seeds/attribute_parser`

#![no_main]

use std::str::FromStr;

use kuberpc_codegen::internals::{parse_method_attribute, parse_service_attribute, resolve_deploy, Problems, Spans};
use libfuzzer_sys::fuzz_target;
use proc_macro2::TokenStream;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (service, method) = text.split_once('\n').unwrap_or((text, ""));
    if let Ok(tokens) = TokenStream::from_str(service) {
        if let Ok(parsed) = parse_service_attribute(tokens) {
            let _ = resolve_deploy("Fuzz", &parsed.options, &Spans::default(), &mut Problems::default());
        }
    }
    if let Ok(tokens) = TokenStream::from_str(method) {
        let _ = parse_method_attribute(tokens);
    }
});
