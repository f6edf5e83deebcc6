#!/usr/bin/env bash
# Wall clock of what a deployed server runs against bare tonic (issue "Observability at
# production cost": runtime with metrics and 1 % tracing >= 0.95 of bare tonic's calls/s):
# bench/ab.sh's alternating A/B in one run (server pinned to CPU 0, h2load to CPU 1), side a
# `generated`, side b `runtime+metrics+telemetry` exporting over OTLP at
# parentbased_traceidratio 0.01 to a live receiver (otlp_receiver.py, the tests' own).
#   ROUNDS=3 DURATION=10 bench/observability-ab.sh
set -euo pipefail
cd "$(dirname "$0")/.."
python=$PWD/.venv/bin/python
[ -x "$python" ] || { echo "no $python: run scripts/setup-test-tools" >&2; exit 1; }
cargo build --release -q -p kuberpc-bench
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
mkfifo "$work/receiver.in"
sleep 100000 > "$work/receiver.in" &
"$python" examples/greeter/tests/otlp_receiver.py < "$work/receiver.in" > "$work/spans.jsonl" &
for _ in $(seq 100); do grep -q '^listening' "$work/spans.jsonl" 2>/dev/null && break; sleep 0.1; done
export OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$(awk '/^listening/ {print $2; exit}' "$work/spans.jsonl")"
export OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.01 OTEL_SERVICE_NAME=bench
binary=target/release/bench_server
VARIANTS=${VARIANTS:-unary} bench/ab.sh "$binary:generated" "$binary:runtime+metrics+telemetry"
echo "# spans received by the OTLP receiver: $(grep -c '"trace_id"' "$work/spans.jsonl" || true)"
