#!/usr/bin/env bash
# Mutual TLS against its plaintext twin (issue "Mutual TLS and per-method authorization"):
# instructions per unary call over one reused connection (target <= 1.10x), per new
# connection + one call, and calls/s of 8 closed-loop callers, the twins alternating in one run.
# Client and server run in one process (`balanced_client`, one tokio worker under callgrind).
#   ROUNDS=3 bench/tls-cost.sh
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
cargo build --release -q -p kuberpc-bench --bin balanced_client
client=target/release/balanced_client
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# instructions mode variant n: callgrind's total for `balanced_client mode variant n`.
instructions() {
  TOKIO_WORKER_THREADS=1 valgrind --tool=callgrind --callgrind-out-file="$work/out" "$client" "$@" >/dev/null 2>"$work/err" \
    || { cat "$work/err" >&2; exit 1; }
  awk '/^summary:/ {print $2}' "$work/out"
}
# per mode variant lo hi: (instructions at hi - at lo) / (hi - lo).
per() {
  local lo hi
  lo=$(instructions "$1" "$2" "$3"); hi=$(instructions "$1" "$2" "$4")
  echo $(( (hi - lo) / ($4 - $3) ))
}
echo "# instructions per unary call, client + server, (4000 - 1000 calls) / 3000"
echo "round plaintext mtls ratio"
for round in $(seq "$rounds"); do
  plain=$(per calls kuberpc-quiet 1000 4000); tls=$(per calls kuberpc-mtls 1000 4000)
  echo "$round $plain $tls $(awk -v a="$plain" -v b="$tls" 'BEGIN {printf "%.3f", b / a}')"
done
echo "# instructions per new connection + one call, (200 - 50) / 150"
echo "plaintext $(per handshakes kuberpc-quiet 50 200) mtls $(per handshakes kuberpc-mtls 50 200)"
echo "# calls/s, 8 closed-loop callers over one connection, 5 s a side, alternating"
for round in $(seq "$rounds"); do
  echo "round $round plaintext $("$client" closed-loop kuberpc-quiet 5 2>/dev/null | tail -1)"
  echo "round $round mtls $("$client" closed-loop kuberpc-mtls 5 2>/dev/null | tail -1)"
done
