#!/usr/bin/env bash
# What observability costs per call on the server (issue "Observability at production cost"):
# callgrind instructions per unary SayHello, the method of bench/run.sh — the server process's
# instructions for 4N calls minus those for N, over 3N; h2load, 10 connections — for bare tonic
# (`generated`), `kuberpc::Server` (`runtime`), with RPC metrics (`runtime+metrics`), with
# telemetry::init() exporting over OTLP to a live receiver (otlp_receiver.py, the tests' own)
# at parentbased_traceidratio 0.01 and with every span exported, and with both (metrics and
# 1 % tracing, as a deployed server runs). Given BEFORE=<bench_server>,
# each variant is also measured on that binary, alternating with this checkout's (A/B).
# Writes bench/results/observability-cost-<date>.txt (or OUT=<file>).
#   CALLS=1000 BEFORE=/path/to/old/bench_server bench/observability-cost.sh
# ONLY=<text> measures only the rows whose name contains it.
set -euo pipefail
cd "$(dirname "$0")/.."
CALLS=${CALLS:-1000}
command -v valgrind >/dev/null && command -v h2load >/dev/null || { echo "needs valgrind and h2load (bench/run.sh installs them)" >&2; exit 1; }
python=$PWD/.venv/bin/python
[ -x "$python" ] || { echo "no $python: run scripts/setup-test-tools" >&2; exit 1; }
cargo build --release -q -p kuberpc-bench
after=$PWD/target/release/bench_server
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
python3 bench/bench.py bodies "$work"

# The OTLP receiver, up for the whole run; its output (one line per span) is counted, not kept.
mkfifo "$work/receiver.in"
sleep 100000 > "$work/receiver.in" &
"$python" examples/greeter/tests/otlp_receiver.py < "$work/receiver.in" > "$work/spans.jsonl" &
for _ in $(seq 100); do grep -q '^listening' "$work/spans.jsonl" 2>/dev/null && break; sleep 0.1; done
otlp_port=$(awk '/^listening/ {print $2; exit}' "$work/spans.jsonl")

instructions() { # binary variant calls [env...]
  local binary=$1 variant=$2 calls=$3; shift 3
  env "$@" KUBERPC_DRAIN_SECONDS=0 valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
    "$binary" "$variant" 127.0.0.1:0 > "$work/server.out" 2> "$work/server.err" &
  local pid=$!
  for _ in $(seq 1200); do grep -q " on " "$work/server.out" 2>/dev/null && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  grep -q " on " "$work/server.out" || { echo "the server did not start: $(grep -v '^==' "$work/server.err" | tail -5)" >&2; kill "$pid" 2>/dev/null; return 1; }
  local addr
  addr=$(awk '{print $3}' "$work/server.out")
  h2load -n "$calls" -c 10 -m 1 -t 1 -d "$work/unary.bin" -H 'content-type: application/grpc' -H 'te: trailers' \
    "http://$addr/greeter.v1.Greeter/SayHello" > /dev/null
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  awk '/^summary:/ {print $2}' "$work/cg.out"
}

per_call() { # binary variant [env...]
  local binary=$1 variant=$2; shift 2
  local low high
  low=$(instructions "$binary" "$variant" "$CALLS" "$@") || exit 1
  high=$(instructions "$binary" "$variant" $((CALLS * 4)) "$@") || exit 1
  echo $(( (high - low) / (CALLS * 3) ))
}

export_env=(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$otlp_port" OTEL_BSP_MAX_QUEUE_SIZE=65536)
out=${OUT:-"bench/results/observability-cost-$(date -u +%F).txt"}
{
  echo "# $(date -u +%FT%TZ) server instructions per unary SayHello call (callgrind, (4N - N) / 3N, N = $CALLS)"
  echo "# a: $after (this checkout)${BEFORE:+; b: $BEFORE}"
  rows=(
    "generated|generated|"
    "runtime|runtime|"
    "runtime+metrics|runtime+metrics|"
    "runtime+telemetry, parentbased_traceidratio 0.01|runtime+telemetry|OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.01"
    "runtime+telemetry, every span exported|runtime+telemetry|OTEL_TRACES_SAMPLER=always_on"
    "runtime+metrics+telemetry, parentbased_traceidratio 0.01|runtime+metrics+telemetry|OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.01"
  )
  for row in "${rows[@]}"; do
    IFS='|' read -r name variant extra <<< "$row"
    [[ -z "${ONLY:-}" || "$name" == *"$ONLY"* ]] || continue
    env_for=()
    [ -n "$extra" ] && read -r -a env_for <<< "$extra" && env_for+=("${export_env[@]}")
    a=$(per_call "$after" "$variant" "${env_for[@]}") || exit 1
    if [ -n "${BEFORE:-}" ]; then
      b=$(per_call "$BEFORE" "$variant" "${env_for[@]}") || exit 1
      echo "$name: a=$a b=$b"
    else
      echo "$name: a=$a"
    fi
  done
  echo "# spans received by the OTLP receiver in the whole run: $(grep -c '"trace_id"' "$work/spans.jsonl" || true)"
} | tee "$out"
