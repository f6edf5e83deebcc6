//! Fuzzes the option reader and everything downstream of it: arbitrary text becomes the body
//! of `(kuberpc.v1.service)` (first line of the input) and `(kuberpc.v1.method)` (the rest);
//! the file is compiled, options are read and resolved, the cross-field rules run, and every
//! manifest is rendered and validated. Errors are fine; a panic is a bug.
//!
//! Run: `cd codegen/fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run option_reader corpus/option_reader seeds/option_reader`
//! (new inputs go to the first, git-ignored directory; `seeds/` stays as committed).

#![no_main]

use kuberpc_codegen::internals::{compile_in_memory, enforce, render, Templates};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (service_options, method_options) = text.split_once('\n').unwrap_or((text, ""));
    let source = format!(
        "syntax = \"proto3\";\npackage fuzz.v1;\nimport \"kuberpc/v1/options.proto\";\n\
         service Fuzz {{\n  option (kuberpc.v1.service) = {{ {service_options} }};\n\
         rpc Call(Msg) returns (Msg) {{ option (kuberpc.v1.method) = {{ {method_options} }}; }}\n}}\n\
         message Msg {{ string text = 1; }}\n"
    );
    let Ok(compiled) = compile_in_memory(&[("fuzz.proto", &source)]) else { return };
    if !compiled.problems.is_empty() || enforce(&compiled.packages).is_err() {
        return;
    }
    let templates = Templates::embedded();
    for package in &compiled.packages {
        for service in &package.services {
            let _ = render(package, service, &templates);
        }
    }
});
