//! No panic leaves kuberpc: every stage that drives a third-party generator runs in [`run`].
//!
//! A panic inside protox, prost-build, tonic-prost-build, prettyplease or handlebars is caught,
//! its message and place kept, and returned as an "internal error" [`Problem`] that names the
//! input and asks for a bug report. The caller then writes nothing and exits like for any
//! other problem (2 from the CLI). A process-wide panic hook, installed once, stays silent for
//! panics inside a guard (their text goes into the problem instead) and hands every other
//! panic to the hook that was there before.
//!
//! Debug builds only: `KUBERPC_FAULT_INJECTION=<stage>` (see [`Stage::key`]) makes that stage
//! panic, so tests can prove the guard on the real binary. Release builds have no such switch.

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

use crate::error::{Error, Problem};

/// A pipeline stage that drives code kuberpc does not own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// protox compiling the `.proto` files.
    Parse,
    /// prost-build, tonic-prost-build and prettyplease writing the Rust stubs.
    Stubs,
    /// handlebars rendering, and k8s-openapi reading back, the manifests.
    Manifests,
    /// syn reading `#[rpc_service]` traits, and the emitted `.proto` compiled back.
    Traits,
}

impl Stage {
    /// The name the fault-injection switch takes (debug builds only).
    #[cfg_attr(not(debug_assertions), allow(dead_code))]
    pub(crate) fn key(self) -> &'static str {
        match self {
            Stage::Parse => "parse",
            Stage::Stubs => "stubs",
            Stage::Manifests => "manifests",
            Stage::Traits => "traits",
        }
    }

    fn libraries(self) -> &'static str {
        match self {
            Stage::Parse => "protox",
            Stage::Stubs => "prost-build / tonic-prost-build",
            Stage::Manifests => "handlebars / k8s-openapi",
            Stage::Traits => "syn / protox",
        }
    }
}

thread_local! {
    /// How many guards are active on this thread (guards may nest).
    static GUARDED: Cell<u32> = const { Cell::new(0) };
    /// Where the last guarded panic happened, for the problem's text.
    static PLACE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `stage` on `input` (the file names the run was given); a panic becomes an internal
/// error problem instead of unwinding out of kuberpc.
pub(crate) fn run<T>(stage: Stage, input: &str, work: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    install_hook();
    GUARDED.with(|g| g.set(g.get() + 1));
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        inject_fault(stage);
        work()
    }));
    GUARDED.with(|g| g.set(g.get() - 1));
    result.unwrap_or_else(|payload| Err(internal_error(stage, input, payload.as_ref()).into()))
}

fn internal_error(stage: Stage, input: &str, payload: &(dyn Any + Send)) -> Problem {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_string());
    let place = PLACE.with(|p| p.borrow_mut().take()).map(|p| format!(" (at {p})")).unwrap_or_default();
    Problem::new(format!(
        "internal error while generating from {input}: {} panicked: {message}{place}",
        stage.libraries()
    ))
    .with_help(
        "this is a kuberpc bug, not a mistake in your input; nothing was written. \
         Please report it with the input at https://github.com/kuberpc/kuberpc/issues",
    )
}

fn install_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if GUARDED.with(Cell::get) > 0 {
                let place = info.location().map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
                PLACE.with(|p| *p.borrow_mut() = place);
            } else {
                previous(info);
            }
        }));
    });
}

#[cfg(debug_assertions)]
fn inject_fault(stage: Stage) {
    if std::env::var("KUBERPC_FAULT_INJECTION").is_ok_and(|wanted| wanted == stage.key()) {
        panic!("fault injected into the {} stage (KUBERPC_FAULT_INJECTION)", stage.key());
    }
}

#[cfg(not(debug_assertions))]
fn inject_fault(_: Stage) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_internal_error_naming_the_input() {
        let result: Result<(), Error> = run(Stage::Stubs, "a.proto", || panic!("boom {}", 42));
        let error = result.unwrap_err();
        let text = error.to_string();
        assert!(text.contains("internal error while generating from a.proto"), "{text}");
        assert!(text.contains("prost-build / tonic-prost-build panicked: boom 42"), "{text}");
        assert!(text.contains("(at codegen/src/guard.rs:"), "the panic's place is kept: {text}");
        assert!(text.contains("kuberpc bug"), "{text}");
    }

    #[test]
    fn results_pass_through_unchanged() {
        assert_eq!(run(Stage::Parse, "a.proto", || Ok::<_, Error>(7)), Ok(7));
        let failed: Result<(), Error> = run(Stage::Parse, "a.proto", || Err(Problem::new("plain").into()));
        assert_eq!(failed.unwrap_err().to_string(), "plain");
    }
}
