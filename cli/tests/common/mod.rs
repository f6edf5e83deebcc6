//! What the CLI's tests share: the codegen tests' helpers (one copy, in
//! `codegen/tests/common`) and the `kuberpc` binary of this package.

#![allow(dead_code, unreachable_pub)]

use std::path::Path;
use std::process::{Command, Output};

#[path = "../../../codegen/tests/common/mod.rs"]
mod shared;

#[allow(unused_imports)]
pub use shared::*;

/// The `kuberpc` binary of this package, with `args`, run in `cwd`.
pub fn kuberpc_command(args: &[&str], cwd: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kuberpc"));
    command.args(args).current_dir(cwd);
    command
}

/// [`kuberpc_command`], run to completion.
pub fn kuberpc(args: &[&str], cwd: &Path) -> Output {
    kuberpc_command(args, cwd).output().unwrap()
}

/// A diagnostic as one line of words: miette wraps long messages and draws `│` at each break.
pub fn unwrapped(text: &str) -> String {
    text.split_whitespace().filter(|word| *word != "│").collect::<Vec<_>>().join(" ")
}
