"""Helpers for bench/run.sh: gRPC request bodies, latency percentiles, generated inputs and
the summary. Standard library only.

  bench.py bodies DIR            write unary.bin, stream.bin, chat.bin into DIR
  bench.py latency LOG           "p50_ms p99_ms" from an h2load --log-file
  bench.py scale-proto N FILE    a proto with N annotated services
  bench.py summarize RAW         medians, ranges and ratios of the raw result lines
  bench.py ab RAW                medians and after/before ratios of bench/ab.sh's raw lines
"""

import statistics
import struct
import sys
from collections import defaultdict


def frame(message: bytes) -> bytes:
    return b"\x00" + struct.pack(">I", len(message)) + message


def string_field(number: int, text: str) -> bytes:
    data = text.encode()
    return bytes([number << 3 | 2, len(data)]) + data


def bodies(directory: str) -> None:
    hello = string_field(1, "bench")
    open(f"{directory}/unary.bin", "wb").write(frame(hello))
    stream_request = hello + bytes([2 << 3 | 0, 100])  # count = 100
    open(f"{directory}/stream.bin", "wb").write(frame(stream_request))
    open(f"{directory}/chat.bin", "wb").write(b"".join(frame(hello) for _ in range(100)))


def latency(log: str) -> None:
    times = sorted(int(line.split("\t")[2]) for line in open(log) if line.strip())
    pick = lambda q: times[min(len(times) - 1, int(q * len(times)))] / 1000
    print(f"{pick(0.50):.3f} {pick(0.99):.3f}")


def scale_proto(n: int, path: str) -> None:
    lines = ['syntax = "proto3";', "package scale.v1;", 'import "kuberpc/v1/options.proto";', ""]
    for i in range(n):
        lines += [
            f"service Service{i} {{",
            f'  option (kuberpc.v1.service) = {{ port: {50000 + i % 10000} autoscale {{ min: 2 max: 4 }} }};',
            "  rpc Call(Msg) returns (Msg) { option (kuberpc.v1.method) = { timeout_ms: 100 }; }",
            "}",
        ]
    lines += ["message Msg {", "  string text = 1;", "}", ""]
    open(path, "w").write("\n".join(lines))


def summarize(raw: str) -> None:
    """Raw lines: `<bench> <variant> rps=<x> [p50=<ms> p99=<ms>] [msgs=<x>]`."""
    runs = defaultdict(lambda: defaultdict(list))
    for line in open(raw):
        words = line.split()
        if len(words) < 3:
            continue
        bench, variant = words[0], words[1]
        for word in words[2:]:
            key, value = word.split("=")
            runs[(bench, variant)][key].append(float(value))
    medians = {}
    for (bench, variant), values in sorted(runs.items()):
        parts = []
        for key, series in values.items():
            median = statistics.median(series)
            medians[(bench, variant, key)] = median
            parts.append(f"{key} median {median:,.2f} (range {min(series):,.2f}–{max(series):,.2f}, n={len(series)})")
        print(f"{bench:8} {variant:12} " + "; ".join(parts))
    print()
    for bench, key in [("unary", "rps"), ("stream", "msgs"), ("chat", "msgs")]:
        base = medians.get((bench, "handwritten", key))
        for variant in ("generated", "runtime"):
            value = medians.get((bench, variant, key))
            if base and value:
                print(f"ratio {bench} {variant}/handwritten ({key}): {value / base:.3f}")
    base = medians.get(("unary", "generated", "rps"))
    value = medians.get(("unary", "runtime", "rps"))
    if base and value:
        print(f"ratio unary runtime/generated (rps): {value / base:.3f}")


def ab(raw: str) -> None:
    """Raw lines: `<bench> <variant>@<before|after> <key>=<x> ...`."""
    runs = defaultdict(list)
    for line in open(raw):
        words = line.split()
        if len(words) < 3 or "@" not in words[1]:
            continue
        variant, side = words[1].rsplit("@", 1)
        for word in words[2:]:
            key, value = word.split("=")
            runs[(words[0], variant, key, side)].append(float(value))
    shown = sorted({(bench, variant, key) for bench, variant, key, _ in runs})
    for bench, variant, key in shown:
        before, after = runs.get((bench, variant, key, "before")), runs.get((bench, variant, key, "after"))
        if not before or not after:
            continue
        b, a = statistics.median(before), statistics.median(after)
        ranges = f"[{min(before):,.2f}–{max(before):,.2f}] → [{min(after):,.2f}–{max(after):,.2f}]"
        ratio = f"{a / b:.3f}" if b else "-"
        print(f"{bench:12} {variant:16} {key:8} before {b:,.2f} after {a:,.2f} after/before {ratio} {ranges}")


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "bodies":
        bodies(args[0])
    elif command == "latency":
        latency(args[0])
    elif command == "scale-proto":
        scale_proto(int(args[0]), args[1])
    elif command == "summarize":
        summarize(args[0])
    elif command == "ab":
        ab(args[0])
    else:
        raise SystemExit(__doc__)
