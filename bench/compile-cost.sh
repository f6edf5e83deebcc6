#!/usr/bin/env bash
# Compile cost of #[rpc_service] (issue 7, item 6): `cargo check` of the trait-first example
# (examples/counter) vs the same service hand-written against tonic (bench/tonic-counter).
# Dependencies are built first, so the numbers are the crates' own cost:
#   edit   — touch the handlers (src/lib.rs), then `cargo check --lib`: what a developer waits
#            for after an edit;
#   api    — for counter only: touch the trait file (src/api.rs), which also reruns its build
#            script (it watches that file) — the cost of an API change;
#   fresh  — `cargo clean -p <crate>`, then `cargo check --lib` (build script compiled and run,
#            crate checked).
# Writes bench/results/compile-cost-<date>.txt. Needs hyperfine (installed if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-10}
command -v hyperfine >/dev/null || apt-get install -y hyperfine >/dev/null
out="bench/results/compile-cost-$(date +%F).txt"
cargo check -q -p counter -p tonic-counter --lib
{
  echo "# $(date -u +%FT%TZ) $(rustc --version) $(nproc) cores; RUNS=$RUNS"
  hyperfine --style basic --warmup 2 --runs "$RUNS" -N \
    --prepare 'touch examples/counter/src/lib.rs' -n 'edit: counter (trait)' 'cargo check -q -p counter --lib' \
    --prepare 'touch bench/tonic-counter/src/lib.rs' -n 'edit: tonic-counter (hand-written)' 'cargo check -q -p tonic-counter --lib' \
    --prepare 'touch examples/counter/src/api.rs' -n 'api: counter (trait file, build script reruns)' 'cargo check -q -p counter --lib'
  hyperfine --style basic --warmup 1 --runs "$RUNS" -N \
    --prepare 'cargo clean -q -p counter' -n 'fresh: counter (trait)' 'cargo check -q -p counter --lib' \
    --prepare 'cargo clean -q -p tonic-counter' -n 'fresh: tonic-counter (hand-written)' 'cargo check -q -p tonic-counter --lib'
} 2>&1 | tee "$out"
