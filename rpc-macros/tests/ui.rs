//! One mistake per file under `ui/`, each with the compiler output it must produce beside it
//! (`.stderr`): the error is spanned on the offending token and nothing else is reported.
//! `pass/` holds expansions that must compile (and run) without a warning.
//! Regenerate after a deliberate change with `TRYBUILD=overwrite cargo test -p kuberpc-macros`.

#[test]
fn mistakes_are_spanned_compile_errors() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    cases.pass("tests/pass/*.rs");
}
