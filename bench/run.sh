#!/usr/bin/env bash
# kuberpc benchmarks (results and method in BENCHMARKS.md). Numbers, not assertions: nothing
# here runs in `cargo test`. Servers listen on 127.0.0.1 only; every load run is bounded.
#   ROUNDS=3 DURATION=10 bench/run.sh      # writes bench/results/<date>.txt
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
STREAM_DURATION=${STREAM_DURATION:-5}
CONNECTIONS=${CONNECTIONS:-50}

install() { command -v "$1" >/dev/null || { apt-get install -y -q "$2" >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q "$2" >/dev/null; }; }; }
install h2load nghttp2-client
install hyperfine hyperfine
install protoc protobuf-compiler
[ -x /usr/bin/time ] || install /usr/bin/time time
install valgrind valgrind

cargo build --release -q -p kuberpc-bench -p kuberpc-cli
bin=target/release
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p bench/results
out="bench/results/$(date -u +%Y-%m-%d).txt"
raw="$work/raw.txt"
python3 bench/bench.py bodies "$work"

{
  echo "# kuberpc benchmarks, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "# machine: $(nproc) cores, $(awk '/MemTotal/ {print int($2/1048576)" GiB"}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo "# rustc: $(rustc --version); h2load: $(h2load --version | head -1); protoc: $(protoc --version)"
  echo "# server pinned to CPU 0, h2load to CPU 1; $ROUNDS rounds, variants alternating"
} > "$out"

# shellcheck source=bench/load.sh
source bench/load.sh

for round in $(seq "$ROUNDS"); do
  case $((round % 3)) in 1) order="handwritten generated runtime";; 2) order="generated runtime handwritten";; 0) order="runtime handwritten generated";; esac
  for variant in $order; do
    start_server "$bin/bench_server" "$variant"
    load unary "$variant" /greeter.v1.Greeter/SayHello "$work/unary.bin" "$DURATION" 1
    stop_server
  done
  for variant in $([ $((round % 2)) = 1 ] && echo "handwritten generated" || echo "generated handwritten"); do
    start_server "$bin/bench_server" "$variant"
    load stream "$variant" /greeter.v1.Greeter/SayHelloStream "$work/stream.bin" "$STREAM_DURATION" 100
    load chat "$variant" /greeter.v1.Greeter/SayHelloChat "$work/chat.bin" "$STREAM_DURATION" 100
    stop_server
  done
done
{ echo; echo "## servers (unary: SayHello; stream: SayHelloStream count=100; chat: SayHelloChat with 100 names per call)"; python3 bench/bench.py summarize "$raw"; } >> "$out"

# The same comparison in instructions (callgrind on the server process), which, unlike
# wall-clock on a shared 2-core VM, repeats exactly: (instructions for 4N calls - for N) / 3N.
instructions() { # variant path body calls
  KUBERPC_DRAIN_SECONDS=0 valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" \
    "$bin/bench_server" "$1" 127.0.0.1:0 > "$work/server.out" 2> /dev/null &
  server_pid=$!
  for _ in $(seq 400); do grep -q " on " "$work/server.out" 2>/dev/null && break; sleep 0.05; done
  addr=$(awk '{print $3}' "$work/server.out")
  h2load -n "$4" -c 10 -m 1 -t 1 -d "$3" -H 'content-type: application/grpc' -H 'te: trailers' "http://$addr$2" > /dev/null
  kill -TERM "$server_pid"; wait "$server_pid" 2>/dev/null || true
  awk '/^summary:/ {print $2}' "$work/cg.out"
}
if command -v valgrind > /dev/null; then
  { echo; echo "## instructions per call on the server (callgrind)"; } >> "$out"
  for spec in "unary /greeter.v1.Greeter/SayHello unary.bin 1000" "stream /greeter.v1.Greeter/SayHelloStream stream.bin 200" "chat /greeter.v1.Greeter/SayHelloChat chat.bin 200"; do
    read -r bench path body calls <<< "$spec"
    variants="handwritten generated"; [ "$bench" = unary ] && variants="handwritten generated runtime runtime+telemetry runtime+metrics runtime+web"
    for variant in $variants; do
      low=$(instructions "$variant" "$path" "$work/$body" "$calls")
      high=$(instructions "$variant" "$path" "$work/$body" $((calls * 4)))
      echo "$bench $variant instructions_per_call=$(( (high - low) / (calls * 3) ))" >> "$out"
    done
  done
fi

# Pipeline speed: the corpus protos, kuberpc generate (parse + stubs + manifests + validation)
# against protoc producing descriptors alone.
corpus="-I examples/corpus/proto routeguide/route_guide.proto grpc/testing/test.proto"
protos="examples/corpus/proto/routeguide/route_guide.proto examples/corpus/proto/grpc/testing/test.proto -I examples/corpus/proto"
"$bin/kuberpc" generate $protos --out "$work/fresh" > /dev/null
hyperfine -N --warmup 3 --runs 20 --export-markdown "$work/pipeline.md" \
  --prepare "rm -rf $work/gen" \
  -n "kuberpc generate (manifests)" "$bin/kuberpc generate $protos --out $work/gen/deploy" \
  -n "kuberpc generate (manifests + Rust stubs)" "$bin/kuberpc generate $protos --out $work/gen/deploy --rust-out $work/gen/stubs" \
  -n "kuberpc check (up to date)" "$bin/kuberpc check $protos --out $work/fresh" \
  -n "protoc --descriptor_set_out" "protoc --include_imports --descriptor_set_out=$work/fds.bin $corpus" > /dev/null
{ echo; echo "## pipeline (corpus: route_guide + grpc.testing, fresh output directory each run)"; cat "$work/pipeline.md"; } >> "$out"

# Scaling: N services in one package.
{ echo; echo "## scaling: N services in one package (wall seconds, peak RSS MiB, files written)"; } >> "$out"
for n in 1 10 100 1000; do
  python3 bench/bench.py scale-proto "$n" "$work/scale.proto"
  rm -rf "$work/scale"
  /usr/bin/time -f "%e %M" -o "$work/time.txt" "$bin/kuberpc" generate "$work/scale.proto" -I "$work" --out "$work/scale/deploy" --rust-out "$work/scale/stubs" > "$work/scale.out"
  read -r seconds kib < "$work/time.txt"
  echo "services=$n seconds=$seconds peak_mib=$((kib / 1024)) files=$(wc -l < "$work/scale.out")" >> "$out"
done

# No needless rebuilds: a second build runs no build script and rewrites nothing.
{ echo; echo "## rebuilds (examples/greeter)"; } >> "$out"
cargo build -q -p greeter
stamp() { find examples/greeter/deploy -type f -printf '%p %T@\n' | sort; }
before=$(stamp)
runs() { grep -c 'Running `.*build/greeter-[^/]*/build-script-build`' "$work/build.log" || true; }
cargo build -v -p greeter > "$work/build.log" 2>&1
echo "second build: build script runs=$(runs), greeter compiled=$(grep -c 'Compiling greeter' "$work/build.log" || true), deploy files rewritten=$([ "$before" = "$(stamp)" ] && echo 0 || echo some)" >> "$out"
touch examples/greeter/src/bin/client.rs
cargo build -v -p greeter > "$work/build.log" 2>&1
echo "after touching src/bin/client.rs: build script runs=$(runs), greeter compiled=$(grep -c 'Compiling greeter' "$work/build.log" || true), deploy files rewritten=$([ "$before" = "$(stamp)" ] && echo 0 || echo some)" >> "$out"
touch examples/greeter/proto/greeter/v1/greeter.proto
cargo build -v -p greeter > "$work/build.log" 2>&1
echo "after touching greeter.proto (control): build script runs=$(runs), deploy files rewritten=$([ "$before" = "$(stamp)" ] && echo 0 || echo some)" >> "$out"

cat "$out"
