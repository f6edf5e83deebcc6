#!/usr/bin/env bash
# A/B of two bench_server binaries, e.g. before and after a runtime change, in one run: the
# same load as bench/run.sh (h2load, server on CPU 0, h2load on CPU 1, 50 connections, 1 stream
# each), the two binaries alternating in order each round, then server instructions per call
# under callgrind (exactly repeatable, unlike wall-clock on a 2-core VM). Numbers, not
# assertions; servers on 127.0.0.1 only; every load run is bounded.
#   bench/ab.sh BEFORE_BIN AFTER_BIN            # ROUNDS=3 DURATION=10 VARIANTS="runtime runtime+metrics"
#   bench/ab.sh BIN:runtime BIN:runtime+web     # one binary, each side its own variant (VARIANTS=runtime)
# Build each binary with `cargo build --release -p kuberpc-bench --bin bench_server` from its
# tree and copy it aside (target/release/bench_server is overwritten by the next build).
set -euo pipefail
cd "$(dirname "$0")/.."

# A side is a binary, or `binary:variant` to serve that variant instead of each of VARIANTS.
before=$(realpath "${1%%:*}"); before_variant=$([[ "$1" == *:* ]] && echo "${1#*:}" || true)
after=$(realpath "${2%%:*}"); after_variant=$([[ "$2" == *:* ]] && echo "${2#*:}" || true)
side_variant() { # side variant
  local chosen=$before_variant; [ "$1" = after ] && chosen=$after_variant
  echo "${chosen:-$2}"
}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
STREAM_DURATION=${STREAM_DURATION:-5}
CONNECTIONS=${CONNECTIONS:-50}
VARIANTS=${VARIANTS:-"runtime runtime+metrics"}
CALLS=${CALLS:-1000}

command -v h2load >/dev/null || { echo "h2load missing: apt-get install nghttp2-client"; exit 1; }
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
raw="$work/raw.txt"
python3 bench/bench.py bodies "$work"

# shellcheck source=bench/load.sh
source bench/load.sh

echo "# A/B $(date -u +%Y-%m-%dT%H:%MZ): before=$1 after=$2"
echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); h2load: $(h2load --version | head -1)"
echo "# $ROUNDS rounds, unary ${DURATION}s, streams ${STREAM_DURATION}s, $CONNECTIONS connections; variants: $VARIANTS"
for round in $(seq "$ROUNDS"); do
  sides="before after"; [ $((round % 2)) = 0 ] && sides="after before"
  for variant in $VARIANTS; do
    for side in $sides; do
      bin=$before; [ "$side" = after ] && bin=$after
      start_server "$bin" "$(side_variant "$side" "$variant")"
      load unary "$variant@$side" /greeter.v1.Greeter/SayHello "$work/unary.bin" "$DURATION" 1
      load stream "$variant@$side" /greeter.v1.Greeter/SayHelloStream "$work/stream.bin" "$STREAM_DURATION" 100
      load chat "$variant@$side" /greeter.v1.Greeter/SayHelloChat "$work/chat.bin" "$STREAM_DURATION" 100
      stop_server
    done
  done
done

# Instructions on the server per unary call: (instructions for 4N calls - for N) / 3N.
instructions() { # binary variant calls
  KUBERPC_DRAIN_SECONDS=0 valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
    "$1" "$2" 127.0.0.1:0 > "$work/server.out" 2> /dev/null &
  server_pid=$!
  for _ in $(seq 400); do grep -q " on " "$work/server.out" 2>/dev/null && break; sleep 0.05; done
  addr=$(awk '{print $3}' "$work/server.out")
  h2load -n "$3" -c 10 -m 1 -t 1 -d "$work/unary.bin" -H 'content-type: application/grpc' -H 'te: trailers' \
    "http://$addr/greeter.v1.Greeter/SayHello" > /dev/null
  kill -TERM "$server_pid"; wait "$server_pid" 2>/dev/null || true
  awk '/^summary:/ {print $2}' "$work/cg.out"
}
if command -v valgrind > /dev/null; then
  for variant in $VARIANTS; do
    for side in before after; do
      bin=$before; [ "$side" = after ] && bin=$after
      low=$(instructions "$bin" "$(side_variant "$side" "$variant")" "$CALLS")
      high=$(instructions "$bin" "$(side_variant "$side" "$variant")" $((CALLS * 4)))
      echo "instructions $variant@$side per_call=$(( (high - low) / (CALLS * 3) ))" | tee -a "$raw"
    done
  done
fi

echo
python3 bench/bench.py ab "$raw"
