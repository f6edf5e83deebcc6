//! One mistake per file under `ui/`, each with the compiler output it must produce beside it
//! (`.stderr`): the error is spanned on the offending token and nothing else is reported.
//! Regenerate after a deliberate change with `TRYBUILD=overwrite cargo test -p kuberpc-macros`.

#[test]
fn mistakes_are_spanned_compile_errors() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
