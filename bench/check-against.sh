#!/usr/bin/env bash
# What `kuberpc check --against` costs (issue "Safe schema evolution"): the real-world corpus
# (all 16 files of examples/corpus/proto) checked against itself, beside what `kuberpc check`
# (the drift check of its generated manifests) costs, and beside `buf breaking` (1.75.0, from
# .venv) on the same pair — the corpus's own descriptor set, source info included, as the
# reference of both; buf's FILE rules, which are kuberpc's too with --category FILE. Whole
# processes, release build, farm-bench A/B pairs in one run (A and B in turn; ratios pair by
# pair). Writes bench/results/check-against-<date>.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-20}
cargo build -q --release --locked -p kuberpc-cli
kuberpc=$PWD/target/release/kuberpc
buf=$PWD/.venv/bin/buf
[ -x "$buf" ] || { echo "no $buf: run scripts/setup-test-tools" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd examples/corpus/proto
mapfile -t files < <(find . -name '*.proto' | sed 's|^\./||' | sort)
"$kuberpc" generate "${files[@]}" --out "$work/deploy" --rust-out "$work/stubs" --file-descriptor-set-path "$work/corpus.binpb" >/dev/null
# buf's rules as a file: farm-bench splits a command as a shell does, which would eat the quotes.
file_rules=$work/buf-file-rules.yaml
printf 'version: v2\nbreaking:\n  use: [FILE]\n' > "$file_rules"
# Each must find nothing: the corpus against itself.
"$kuberpc" check "${files[@]}" --against "$work/corpus.binpb" --category FILE >/dev/null
"$buf" breaking "$work/corpus.binpb" --against "$work/corpus.binpb" --config "$file_rules"
out="$OLDPWD/bench/results/check-against-$(date +%F).txt"
{
  echo "# $(date -u +%FT%TZ) ${#files[@]} files; $("$buf" --version) (buf); RUNS=$RUNS"
  echo "## check --against the corpus itself (A) vs the drift check of its manifests (B)"
  farm-bench -n "$RUNS" --warmup 2 --timeout 600 --vs "$kuberpc check ${files[*]} --out $work/deploy" -- \
    "$kuberpc" check "${files[@]}" --against "$work/corpus.binpb" --category FILE
  echo "## kuberpc check --against (A) vs buf breaking (B), FILE rules, the same pair"
  farm-bench -n "$RUNS" --warmup 2 --timeout 600 --vs "$buf breaking $work/corpus.binpb --against $work/corpus.binpb --config $file_rules" -- \
    "$kuberpc" check "${files[@]}" --against "$work/corpus.binpb" --category FILE
} 2>&1 | tee "$out"
