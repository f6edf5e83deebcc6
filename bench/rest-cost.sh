#!/usr/bin/env bash
# What REST costs, in server instructions per call under callgrind (exactly repeatable, unlike
# wall-clock on a 2-core VM), in one run: a native gRPC SayHello on `runtime` (no REST) and on
# `runtime+rest` (the greeter's REST bindings on: what a gRPC call pays for them), and the same
# call over REST on `runtime+rest` — GET /v1/greetings/Ada and POST /v1/greetings with
# {"name":"Ada"}, HTTP/1.1 keep-alive (as a REST client calls) — each (calls for 4N − for N) / 3N.
# Numbers, not assertions; servers on 127.0.0.1 only; every run is bounded.
#   bench/rest-cost.sh BENCH_SERVER_BIN          # CALLS=1000
# Build the binary with `cargo build --release -p kuberpc-bench --bin bench_server`.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "$1")
CALLS=${CALLS:-1000}
command -v h2load >/dev/null || { echo "h2load missing: apt-get install nghttp2-client"; exit 1; }
command -v valgrind >/dev/null || { echo "valgrind missing: apt-get install valgrind"; exit 1; }
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
python3 bench/bench.py bodies "$work"
printf '{"name":"Ada"}' > "$work/rest.json"

# Instructions of the server for `calls` calls of kind: grpc | get | post.
instructions() { # variant kind calls
  KUBERPC_DRAIN_SECONDS=0 timeout 600 valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
    "$bin" "$1" 127.0.0.1:0 > "$work/server.out" 2> /dev/null &
  local server_pid=$!
  for _ in $(seq 400); do grep -q " on " "$work/server.out" 2>/dev/null && break; sleep 0.05; done
  local addr; addr=$(awk '{print $3}' "$work/server.out")
  case "$2" in
    grpc) h2load -n "$3" -c 10 -m 1 -t 1 -d "$work/unary.bin" -H 'content-type: application/grpc' \
            -H 'te: trailers' "http://$addr/greeter.v1.Greeter/SayHello" > "$work/h2load.out" ;;
    get) h2load --h1 -n "$3" -c 10 -t 1 "http://$addr/v1/greetings/Ada" > "$work/h2load.out" ;;
    post) h2load --h1 -n "$3" -c 10 -t 1 -d "$work/rest.json" -H 'content-type: application/json' \
            "http://$addr/v1/greetings" > "$work/h2load.out" ;;
  esac
  grep -q "status codes: $3 2xx" "$work/h2load.out" || { echo "not every $2 call answered 2xx:"; cat "$work/h2load.out"; exit 1; }
  kill -TERM "$server_pid"; wait "$server_pid" 2>/dev/null || true
  awk '/^summary:/ {print $2}' "$work/cg.out"
}

# One answer of each kind, checked before counting.
check() {
  taskset -c 0 "$bin" runtime+rest 127.0.0.1:0 > "$work/server.out" &
  local server_pid=$!
  for _ in $(seq 100); do grep -q " on " "$work/server.out" 2>/dev/null && break; sleep 0.05; done
  local addr; addr=$(awk '{print $3}' "$work/server.out")
  for answer in "$(curl -s --max-time 5 "http://$addr/v1/greetings/Ada")" \
                "$(curl -s --max-time 5 -d @"$work/rest.json" "http://$addr/v1/greetings")"; do
    [ "$answer" = '{"message":"Hello Ada!"}' ] || { echo "unexpected REST answer: $answer"; exit 1; }
  done
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
}
check

echo "# REST cost $(date -u +%Y-%m-%dT%H:%MZ): $bin, $CALLS/$((CALLS * 4)) calls, 10 connections"
echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); h2load: $(h2load --version | head -1)"
for row in "runtime grpc" "runtime+rest grpc" "runtime+rest get" "runtime+rest post"; do
  read -r variant kind <<< "$row"
  low=$(instructions "$variant" "$kind" "$CALLS")
  high=$(instructions "$variant" "$kind" $((CALLS * 4)))
  echo "instructions $variant $kind per_call=$(( (high - low) / (CALLS * 3) ))"
done
