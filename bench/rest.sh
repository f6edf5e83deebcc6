#!/usr/bin/env bash
# REST throughput: kuberpc's REST bindings against grpc-gateway in front of the same service, in
# one run. Numbers, not assertions; servers on 127.0.0.1 only; every wait and load run is bounded.
#   kuberpc:      `bench_server runtime+rest` — the greeter's google.api.http bindings answered
#                 as JSON by kuberpc::Server itself, on its gRPC port;
#   grpc-gateway: tools/gateway-peer (grpc-gateway v2.34.0, stubs from protoc-gen-grpc-gateway,
#                 runtime.NewServeMux defaults, net/http) in front of `bench_server runtime`
#                 (the same greeter, REST off) over one gRPC connection.
# CPUs: each side's whole serving stack on CPU 0 — kuberpc's one process; the gateway and its
# backend sharing it — and h2load on CPU 1 (`h2load --h1`: HTTP/1.1 keep-alive, 1 request in
# flight per connection). The two sides alternate in order each round. Before loading, one curl
# per binding on each side: both answers are printed, and the loaded calls' must be equal JSON.
#   bench/rest.sh BENCH_SERVER_BIN   # ROUNDS=3 DURATION=10 CONNECTIONS=50 GATEWAY=.venv/bin/gateway-peer
# Build the binaries with `cargo build --release -p kuberpc-bench --bin bench_server` (copy it
# aside: the next build overwrites it) and scripts/setup-test-tools (which builds gateway-peer).
set -euo pipefail
cd "$(dirname "$0")/.."

[ $# = 1 ] || { echo "usage: bench/rest.sh BENCH_SERVER_BIN"; exit 2; }
bin=$(realpath "$1")
gateway=$(realpath "${GATEWAY:-.venv/bin/gateway-peer}")
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-50}

install() { command -v "$1" >/dev/null || { apt-get install -y -q "$2" >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q "$2" >/dev/null; }; }; }
install h2load nghttp2-client
install curl curl
[ -x "$gateway" ] || { echo "$gateway is missing: run scripts/setup-test-tools"; exit 1; }

work=$(mktemp -d)
pids=()
stop() { [ ${#pids[@]} = 0 ] || { kill "${pids[@]}" 2>/dev/null || true; wait "${pids[@]}" 2>/dev/null || true; }; pids=(); }
trap 'stop; rm -rf "$work"' EXIT
raw="$work/raw.txt"
printf '{"name":"Ada"}' > "$work/post.json"

# Starts `taskset -c 0 command...`, waits (at most 5 s) for its "<what> on <host:port>" line and
# sets $started to that address.
start() { # name command...
  local name=$1; shift
  taskset -c 0 "$@" > "$work/$name.out" 2> "$work/$name.err" &
  pids+=($!)
  for _ in $(seq 100); do grep -q " on " "$work/$name.out" 2>/dev/null && break; sleep 0.05; done
  grep -q " on " "$work/$name.out" || { echo "$name did not start:"; cat "$work/$name.err"; exit 1; }
  started=$(awk '{print $3}' "$work/$name.out")
}
start_side() { # kuberpc|gateway: sets $addr
  if [ "$1" = kuberpc ]; then
    start kuberpc "$bin" runtime+rest 127.0.0.1:0
  else
    start backend "$bin" runtime 127.0.0.1:0
    start gateway "$gateway" --listen 127.0.0.1:0 --backend "$started"
  fi
  addr=$started
}

# One request with curl (5 s at most): "<status>\t<content-type>" into $work/<file>.head, the body
# into $work/<file>.body.
ask() { # file method path [json-body]
  local body=(); [ $# -ge 4 ] && body=(-H 'content-type: application/json' --data-binary "$4")
  curl -sS --max-time 5 -X "$2" "${body[@]}" -o "$work/$1.body" -w '%{http_code}\t%{content_type}\n' \
    "http://$addr$3" > "$work/$1.head"
}

load() { # bench side method path
  local body=(); [ "$3" = POST ] && body=(-d "$work/post.json" -H 'content-type: application/json')
  rm -f "$work/log.tsv"
  timeout $((DURATION + 30)) taskset -c 1 h2load --h1 -D "$DURATION" --warm-up-time=1 -c "$CONNECTIONS" -m 1 -t 1 \
    "${body[@]}" --log-file="$work/log.tsv" "http://$addr$4" > "$work/h2load.out"
  local rps failed errored codes p50 p99
  rps=$(awk '/^finished in/ {print $4}' "$work/h2load.out" | tr -d ',')
  failed=$(awk '/^requests:/ {print $10}' "$work/h2load.out")
  errored=$(awk '/^requests:/ {print $12}' "$work/h2load.out")
  codes=$(awk '/^status codes:/ {print $3, $5, $7, $9}' "$work/h2load.out")
  read -r p50 p99 < <(python3 bench/bench.py latency "$work/log.tsv")
  echo "$1 $2 rps=$rps p50=$p50 p99=$p99" | tee -a "$raw"
  [ "$failed" = 0 ] && [ "$errored" = 0 ] || { echo "h2load reports $failed failed, $errored errored requests"; cat "$work/h2load.out"; exit 1; }
  read -r ok redirected client server <<< "$codes"
  [ "$ok" -gt 0 ] && [ "$redirected$client$server" = 000 ] \
    || { echo "h2load status codes: $ok 2xx, $redirected 3xx, $client 4xx, $server 5xx"; exit 1; }
}

echo "# REST $(date -u +%Y-%m-%dT%H:%MZ): kuberpc ($bin runtime+rest) against grpc-gateway ($gateway -> $bin runtime)"
echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); h2load: $(h2load --version | head -1); $(go version 2>/dev/null | cut -d' ' -f3); grpc-gateway: $(awk '$1 == "github.com/grpc-ecosystem/grpc-gateway/v2" {print $2}' tools/gateway-peer/go.mod)"
echo "# servers on CPU 0 (kuberpc: one process; grpc-gateway: gateway + backend), h2load --h1 on CPU 1; $ROUNDS rounds, ${DURATION}s each, $CONNECTIONS connections, 1 request in flight each"

# The answers first, on each side: the loaded calls must agree; the stream binding is shown only.
echo
for side in kuberpc gateway; do
  start_side "$side"
  ask "$side-get" GET /v1/greetings/Ada
  ask "$side-post" POST /v1/greetings '{"name":"Ada"}'
  ask "$side-stream" GET '/v1/greetings/Ada:stream?count=2'
  stop
  for call in get post stream; do
    printf '%-8s %-6s %s  %s\n' "$side" "$call" "$(cat "$work/$side-$call.head")" "$(tr '\n' '|' < "$work/$side-$call.body")"
  done
done
for call in get post; do
  python3 - "$work/kuberpc-$call" "$work/gateway-$call" <<'EOF' || exit 1
import json, sys
answers = []
for side in sys.argv[1:]:
    status = open(side + ".head").read().split("\t")[0]
    if status != "200":
        sys.exit(f"{side}: HTTP {status}")
    answers.append(json.load(open(side + ".body")))
if answers[0] != answers[1] or "Ada" not in answers[0].get("message", ""):
    sys.exit(f"the answers differ or do not greet Ada: {answers}")
EOF
done
echo "GET and POST: both sides answer 200 with equal JSON"
echo

for round in $(seq "$ROUNDS"); do
  sides="kuberpc gateway"; [ $((round % 2)) = 0 ] && sides="gateway kuberpc"
  for side in $sides; do
    start_side "$side"
    load GET "$side" GET /v1/greetings/Ada
    load POST "$side" POST /v1/greetings
    stop
  done
done

echo
python3 - "$raw" <<'EOF'
import statistics, sys
from collections import defaultdict
runs = defaultdict(list)
for line in open(sys.argv[1]):
    bench, side, *pairs = line.split()
    for pair in pairs:
        key, value = pair.split("=")
        runs[(bench, side, key)].append(float(value))
print("| benchmark | kuberpc req/s (runs) | grpc-gateway req/s (runs) | kuberpc / grpc-gateway (medians) |")
print("|---|---:|---:|---:|")
for bench in ("GET", "POST"):
    k, g = runs[(bench, "kuberpc", "rps")], runs[(bench, "gateway", "rps")]
    each = lambda xs: " / ".join(f"{x:,.0f}" for x in xs)
    print(f"| {bench} req/s | median {statistics.median(k):,.0f} ({each(k)}) | median {statistics.median(g):,.0f} ({each(g)}) "
          f"| **{statistics.median(k) / statistics.median(g):.2f}** |")
    p = lambda side: " / ".join(f"{statistics.median(runs[(bench, side, q)]):.2f}" for q in ("p50", "p99"))
    print(f"| {bench} p50 / p99 ms (medians) | {p('kuberpc')} | {p('gateway')} | |")
EOF
