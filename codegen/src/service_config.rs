//! The gRPC service config of one service (`deploy/<app>/base/service-config.json`, a ConfigMap
//! through kustomize, and `SERVICE_CONFIG` in the `<service>_deploy` module): the deadlines and
//! retries kuberpc's own client applies, in the format every gRPC implementation reads
//! (grpc-go's `WithDefaultServiceConfig`, grpcio's `grpc.service_config` channel option, Java's
//! `defaultServiceConfig`), from the same method options.
//!
//! What maps: `timeout_ms` (or `client.default_timeout_ms` for methods that do not stream
//! responses) → `timeout`; `idempotent` → `retryPolicy` on UNAVAILABLE with kuberpc's attempts
//! and backoff; `client.retry_budget_percent` → `retryThrottling.tokenRatio`; balancing →
//! `round_robin`. What does not: hedging (grpc-go and grpc-core do not implement
//! `hedgingPolicy`, so hedged methods get the retry policy), ejection after failures in a row
//! and stall detection (gRPC's `outlier_detection` counts failure rates per interval instead).

use serde_json::{json, Value};

use crate::model::Service;

/// The file name in `deploy/<app>/base/`.
#[cfg(feature = "build")]
pub(crate) const FILE: &str = "service-config.json";
use kuberpc_spec::policy::{FIRST_BACKOFF_MS, MAX_ATTEMPTS, MAX_BACKOFF_MS, MAX_SAVED_RETRIES};

/// The ConfigMap kustomize generates from the file.
#[cfg(feature = "build")]
pub(crate) fn config_map_name(app: &str) -> String {
    format!("{app}-grpc-service-config")
}

/// The service config as JSON.
pub(crate) fn service_config(service: &Service) -> Value {
    let client = &service.deploy.client;
    let methods: Vec<Value> = service
        .methods
        .iter()
        .filter_map(|method| {
            let timeout = method.policy.deadline_ms(client);
            let retry = method.policy.retries();
            if timeout.is_none() && !retry {
                return None;
            }
            let mut config = json!({ "name": [{ "service": service.full_name, "method": method.name }] });
            if let Some(ms) = timeout {
                config["timeout"] = duration(ms).into();
            }
            if retry {
                config["retryPolicy"] = json!({
                    "maxAttempts": MAX_ATTEMPTS,
                    "initialBackoff": duration(FIRST_BACKOFF_MS),
                    "maxBackoff": duration(MAX_BACKOFF_MS),
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                });
            }
            Some(config)
        })
        .collect();
    json!({
        "loadBalancingConfig": [{ "round_robin": {} }],
        "methodConfig": methods,
        "retryThrottling": {
            "maxTokens": MAX_SAVED_RETRIES,
            "tokenRatio": f64::from(client.retry_budget_percent.max(1)) / 100.0,
        },
    })
}

/// The file's text, the generated marker its first member.
#[cfg(feature = "build")]
pub(crate) fn file(service: &Service) -> String {
    crate::header::json_file("//", &service.source_file, &service.full_name, service_config(service))
}

/// A protobuf JSON Duration: seconds with the nanoseconds as a nine-digit fraction,
/// `"0.500000000s"`. Nine digits, not three: @grpc/grpc-js (1.14) reads a method's timeout's
/// digits after the point as a count of nanoseconds, whatever their number ("0.500s" would be
/// 500 ns there); every other reader takes either form.
fn duration(ms: u64) -> String {
    format!("{}.{:09}s", ms / 1000, (ms % 1000) * 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_protobuf_json() {
        assert_eq!(duration(500), "0.500000000s");
        assert_eq!(duration(30_000), "30.000000000s");
        assert_eq!(duration(MAX_BACKOFF_MS), "0.100000000s");
    }
}
