#!/usr/bin/env bash
# Regenerates gen/ (the greeter's Go messages, gRPC client and grpc-gateway handlers) from the
# greeter's proto, with buf and the plugins pinned in go.mod (`tool` lines): protoc-gen-go,
# protoc-gen-go-grpc and grpc-gateway's protoc-gen-grpc-gateway. `go generate` runs it;
# gen_test.go checks that gen/ is what it writes.
#   tools/gateway-peer/generate.sh [OUT_DIR]   # default: gen (replaced whole)
# buf: $BUF, else the repository's .venv/bin/buf (scripts/setup-test-tools installs it).
set -euo pipefail
cd "$(dirname "$0")"
root=$(realpath ../..)
buf=${BUF:-$root/.venv/bin/buf}
[ -x "$buf" ] || command -v "$buf" >/dev/null || { echo "buf is missing: run scripts/setup-test-tools" >&2; exit 1; }
out=$(realpath -m "${1:-gen}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The sources, as one buf module: the greeter's proto and what it imports from proto/.
mkdir -p "$work/proto/greeter/v1" "$work/proto/kuberpc/v1" "$work/proto/google/api"
cp "$root/examples/greeter/proto/greeter/v1/greeter.proto" "$work/proto/greeter/v1/"
cp "$root/proto/kuberpc/v1/options.proto" "$work/proto/kuberpc/v1/"
cp "$root/proto/google/api/annotations.proto" "$root/proto/google/api/http.proto" "$work/proto/google/api/"

# The plugins, built from go.mod's pins.
go build -mod=readonly -o "$work/bin/" tool

rm -rf "$work/out"
PATH="$work/bin:$PATH" "$buf" generate "$work/proto" --template buf.gen.yaml \
  --path "$work/proto/greeter" --path "$work/proto/kuberpc" -o "$work/out"
rm -rf "$out"
mkdir -p "$(dirname "$out")"
mv "$work/out" "$out"
