"""Reads the runtime's /metrics with the Prometheus project's own OpenMetrics parser
(prometheus_client.openmetrics.parser) and prints, as JSON, for each end ("server",
"client"): the call count per "method code" of rpc_<end>_call_duration_seconds, the sum of
rpc_<end>_active_calls, and per method the [count, sum] of rpc_<end>_requests_per_rpc and
rpc_<end>_responses_per_rpc; plus "process": the value of every process_* metric. Exits
non-zero when the page does not parse or a histogram is inconsistent (buckets not cumulative,
+Inf bucket not equal to the count).

usage: metrics_reader.py http://127.0.0.1:PORT/metrics
"""

import json
import sys
import urllib.request

from prometheus_client.openmetrics.parser import text_string_to_metric_families


def main():
    with urllib.request.urlopen(sys.argv[1], timeout=5) as response:
        text = response.read().decode()
    ends = {end: {"counts": {}, "active": 0.0, "requests": {}, "responses": {}} for end in ("server", "client")}
    process = {}
    for family in text_string_to_metric_families(text):
        if family.name.startswith("process_"):
            process[family.name] = family.samples[0].value
            continue
        end, _, metric = family.name.removeprefix("rpc_").partition("_")
        if end not in ends:
            continue
        if family.type == "histogram":
            check_histogram(family)
        read(ends[end], metric, family)
    print(json.dumps({**ends, "process": process}))


def read(end, metric, family):
    for sample in family.samples:
        labels = sample.labels
        if labels.get("rpc_system", "grpc") != "grpc":
            raise SystemExit(f"rpc_system is {labels['rpc_system']!r}")
        if metric == "call_duration_seconds" and sample.name.endswith("_count"):
            key = f"{labels['rpc_method']} {labels['rpc_grpc_status_code']}"
            end["counts"][key] = end["counts"].get(key, 0) + int(sample.value)
        elif metric == "active_calls":
            end["active"] += sample.value
        elif metric in ("requests_per_rpc", "responses_per_rpc"):
            kind = metric.removesuffix("_per_rpc")
            pair = end[kind].setdefault(labels["rpc_method"], [0, 0])
            if sample.name.endswith("_count"):
                pair[0] += int(sample.value)
            elif sample.name.endswith("_sum"):
                pair[1] += int(sample.value)


def check_histogram(family):
    series = {}
    for sample in family.samples:
        key = tuple(sorted((k, v) for k, v in sample.labels.items() if k != "le"))
        series.setdefault(key, {"buckets": [], "count": None})
        if sample.name.endswith("_bucket"):
            series[key]["buckets"].append((float(sample.labels["le"]), sample.value))
        elif sample.name.endswith("_count"):
            series[key]["count"] = sample.value
    for key, data in series.items():
        buckets = sorted(data["buckets"])
        values = [value for _, value in buckets]
        if values != sorted(values):
            raise SystemExit(f"{key}: buckets are not cumulative: {buckets}")
        if buckets[-1][0] != float("inf") or buckets[-1][1] != data["count"]:
            raise SystemExit(f"{key}: +Inf bucket {buckets[-1]} is not the count {data['count']}")


if __name__ == "__main__":
    main()
