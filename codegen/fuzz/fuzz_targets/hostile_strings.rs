//! Fuzzes what a hostile string can do to the outputs: the first byte picks a string option
//! of the service (or the file name), the rest is the string. The .proto is compiled, checked
//! and every manifest, component, overlay, Dockerfile and service config rendered in memory.
//! Either a problem is reported at a place in the source (the file name may be refused as a
//! whole), or every output has exactly the SHAPE it has with a plain value in that place — the
//! same documents, keys, list lengths and Dockerfile instructions, and a one-line header
//! (`tests/common/hostile.rs`, shared with the property test). A render error of an accepted
//! value is a bug too.
//!
//! Run (the hostile corpus is the seed):
//! `cd codegen/fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run hostile_strings corpus/hostile_strings seeds/hostile_strings -- -max_total_time=600`

#![no_main]

#[path = "../../tests/common/hostile.rs"]
mod hostile;

use std::collections::BTreeMap;

use kuberpc_codegen::internals::{compile_in_memory, enforce, render, Templates};
use libfuzzer_sys::fuzz_target;

/// Every rendered file's shape, or the problems (all located?) that refused the input.
fn shapes(file: &str, text: &str, keys: &[&str], templates: &Templates) -> Result<BTreeMap<String, String>, bool> {
    let compiled = compile_in_memory(&[(file, text)]).map_err(|e| e.problems().iter().all(|p| p.span().is_some()))?;
    if !compiled.problems.is_empty() {
        return Err(compiled.problems.iter().all(|p| p.span().is_some()));
    }
    enforce(&compiled.packages).map_err(|e| e.problems().iter().all(|p| p.span().is_some()))?;
    let mut shapes = BTreeMap::new();
    for package in &compiled.packages {
        for service in &package.services {
            let files = render(package, service, templates)
                .unwrap_or_else(|e| panic!("an accepted value fails to render: {e:?}"));
            for file in files {
                let shape = hostile::shape(&file.path, &file.content, keys);
                // Relative to `<app>/`: the app name may be the hostile value.
                let path = file.path.strip_prefix(&service.deploy.app).unwrap_or(&file.path);
                shapes.insert(path.display().to_string(), shape);
            }
        }
    }
    Ok(shapes)
}

fuzz_target!(|data: &[u8]| {
    let Some((&choice, rest)) = data.split_first() else { return };
    let Ok(value) = std::str::from_utf8(rest) else { return };
    let slot = hostile::SLOTS.get(usize::from(choice) % (hostile::SLOTS.len() + 1));
    let ((file, text), (plain_file, plain_text)) = hostile::case_and_plain_twin(slot, value);
    let templates = Templates::embedded();
    let keys = slot.map_or(Vec::new(), |(name, _)| vec![value, hostile::plain_value(name)]);
    let plain = shapes(&plain_file, &plain_text, &keys, &templates).expect("the plain twin is accepted");
    match shapes(&file, &text, &keys, &templates) {
        Ok(hostile) => hostile::assert_same_shapes(&format!("{slot:?} = {value:?}"), &hostile, &plain),
        Err(located) => assert!(located || slot.is_none(), "{slot:?} = {value:?}: a problem without a place"),
    }
});
