"""Reads the runtime's /metrics with the Prometheus project's own OpenMetrics parser
(prometheus_client.openmetrics.parser) and prints, as JSON, the call count per
"method code" of rpc_server_call_duration_seconds and the sum of rpc_server_active_calls.
Exits non-zero when the page does not parse or a histogram is inconsistent (buckets not
cumulative, +Inf bucket not equal to the count).

usage: metrics_reader.py http://127.0.0.1:PORT/metrics
"""

import json
import sys
import urllib.request

from prometheus_client.openmetrics.parser import text_string_to_metric_families


def main():
    with urllib.request.urlopen(sys.argv[1], timeout=5) as response:
        text = response.read().decode()
    counts, active = {}, 0.0
    for family in text_string_to_metric_families(text):
        if family.name == "rpc_server_call_duration_seconds":
            check_histogram(family)
            for sample in family.samples:
                if sample.name.endswith("_count"):
                    labels = sample.labels
                    if labels["rpc_system"] != "grpc":
                        raise SystemExit(f"rpc_system is {labels['rpc_system']!r}")
                    key = f"{labels['rpc_method']} {labels['rpc_grpc_status_code']}"
                    counts[key] = counts.get(key, 0) + int(sample.value)
        elif family.name == "rpc_server_active_calls":
            active += sum(sample.value for sample in family.samples)
    print(json.dumps({"counts": counts, "active": active}))


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
