# The load functions bench/run.sh and bench/ab.sh share; sourced by both. They expect
# $work (a scratch directory), $raw (the results file) and $CONNECTIONS.

server_pid=""
start_server() { # binary variant
  taskset -c 0 "$1" "$2" 127.0.0.1:0 > "$work/server.out" &
  server_pid=$!
  for _ in $(seq 100); do grep -q " on " "$work/server.out" 2>/dev/null && break; sleep 0.05; done
  addr=$(awk '{print $3}' "$work/server.out")
}
stop_server() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; }

# h2load counts gRPC errors as successes: check grpc-status on one call first.
check_status() { # path body
  nghttp -v -d "$2" -H 'content-type: application/grpc' -H 'te: trailers' "http://$addr$1" > "$work/nghttp.out" 2>&1 || true
  grep -q 'grpc-status: 0' "$work/nghttp.out" || { echo "grpc-status is not 0 for $1:"; cat "$work/nghttp.out"; exit 1; }
}

load() { # bench variant path body duration messages_per_call
  check_status "$3" "$4"
  rm -f "$work/log.tsv"
  taskset -c 1 h2load -D "$5" --warm-up-time=1 -c "$CONNECTIONS" -m 1 -t 1 -d "$4" \
    -H 'content-type: application/grpc' -H 'te: trailers' --log-file="$work/log.tsv" "http://$addr$3" > "$work/h2load.out"
  rps=$(awk '/^finished in/ {print $4}' "$work/h2load.out" | tr -d ',')
  failed=$(awk '/^requests:/ {print $10}' "$work/h2load.out")
  read -r p50 p99 < <(python3 bench/bench.py latency "$work/log.tsv")
  msgs=$(python3 -c "print(round($rps * $6, 1))")
  echo "$1 $2 rps=$rps p50=$p50 p99=$p99 msgs=$msgs" | tee -a "$raw"
  [ "$failed" = "0" ] || { echo "h2load reports $failed failed requests"; exit 1; }
}
