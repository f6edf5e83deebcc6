//! Rendered YAML → typed Kubernetes object → YAML again, and the two must agree.
//!
//! k8s-openapi ignores keys it does not know, so parsing alone would let `replica: 2` pass
//! silently; comparing the document with its own re-serialization turns every unknown or
//! misspelled field into an error naming the object and the field path.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use super::outputs::{self, Typed};

/// A field that does not survive the typed round trip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mismatch {
    /// `Deployment greeter`
    pub(crate) object: String,
    /// Dotted path, e.g. `spec.replica`.
    pub(crate) path: String,
    /// What is wrong with it.
    pub(crate) reason: String,
}

/// Parses one document and checks it round-trips through the type that [`outputs`] names
/// for its kind; returns the parsed document.
pub(crate) fn validate(yaml: &str) -> Result<Value, Mismatch> {
    let document = parse(yaml)?;
    let kind = document.get("kind").and_then(Value::as_str).unwrap_or("");
    match outputs::typed(kind) {
        Some(typed) => check(document, typed),
        None => Err(Mismatch {
            object: object_name(&document),
            path: String::new(),
            reason: format!("has kind {kind:?}, which kuberpc does not render"),
        }),
    }
}

/// Parses one rendered document and checks it round-trips through `typed`; returns the
/// parsed document.
pub(crate) fn validate_as(yaml: &str, typed: Typed) -> Result<Value, Mismatch> {
    check(parse(yaml)?, typed)
}

fn parse(yaml: &str) -> Result<Value, Mismatch> {
    serde_yaml::from_str(yaml).map_err(|e| Mismatch {
        object: "document".into(),
        path: String::new(),
        reason: format!("is not valid YAML: {e}"),
    })
}

/// `Deployment greeter`, or the kind alone when the object has no name.
fn object_name(document: &Value) -> String {
    let kind = document.get("kind").and_then(Value::as_str).unwrap_or("");
    match document.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("") {
        "" => kind.to_string(),
        name => format!("{kind} {name}"),
    }
}

fn check(document: Value, typed: Typed) -> Result<Value, Mismatch> {
    let object = object_name(&document);
    let kept =
        (typed.round_trip)(&document).map_err(|(path, reason)| Mismatch { object: object.clone(), path, reason })?;
    let mut mismatches = Vec::new();
    compare(&document, &kept, "", &mut mismatches);
    match mismatches.into_iter().next() {
        Some((path, reason)) => Err(Mismatch { object, path, reason }),
        None => Ok(document),
    }
}

/// The typed re-serialization of `document`, or the path and reason of the field that
/// does not parse.
pub(crate) fn round_trip<T: DeserializeOwned + Serialize>(document: &Value) -> Result<Value, (String, String)> {
    let typed: T = serde_path_to_error::deserialize(document.clone()).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        (path, format!("does not parse: {}", e.inner()))
    })?;
    serde_json::to_value(typed).map_err(|e| (String::new(), format!("does not serialize: {e}")))
}

/// Records every path of `written` that `typed` lost or changed.
fn compare(written: &Value, typed: &Value, path: &str, out: &mut Vec<(String, String)>) {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match (written, typed) {
        (Value::Object(written), Value::Object(typed)) => {
            for (key, value) in written {
                match typed.get(key) {
                    Some(kept) => compare(value, kept, &join(key), out),
                    None if value.is_null() => {}
                    None => out.push((join(key), "is not a field of this object".into())),
                }
            }
        }
        (Value::Array(written), Value::Array(typed)) if written.len() == typed.len() => {
            for (index, (value, kept)) in written.iter().zip(typed).enumerate() {
                compare(value, kept, &format!("{path}[{index}]"), out);
            }
        }
        (written, typed) if written != typed => {
            out.push((path.to_string(), format!("was written as {written} but reads back as {typed}")));
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVICE: &str = "apiVersion: v1\nkind: Service\nmetadata:\n  name: greeter\nspec:\n  ports:\n    - port: 1\n";

    #[test]
    fn a_valid_object_passes() {
        assert_eq!(validate(SERVICE).unwrap()["metadata"]["name"], "greeter");
    }

    #[test]
    fn a_misspelled_field_is_named() {
        let yaml = SERVICE.replace("    - port: 1", "    - prot: 1");
        let mismatch = validate(&yaml).unwrap_err();
        assert_eq!(mismatch.object, "Service greeter");
        assert_eq!(mismatch.path, "spec.ports[0].prot");
    }

    #[test]
    fn a_wrong_type_is_reported() {
        let yaml = SERVICE.replace("port: 1", "port: one");
        let mismatch = validate(&yaml).unwrap_err();
        assert!(mismatch.reason.contains("does not parse"), "{mismatch:?}");
        assert_eq!(mismatch.path, "spec.ports[0].port");
    }

    #[test]
    fn a_service_monitor_is_typed_too() {
        let monitor = "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n  name: greeter\n\
                       spec:\n  selector:\n    matchLabels:\n      app: greeter\n  endpoints:\n    - port: metrics\n";
        assert_eq!(validate(monitor).unwrap()["spec"]["endpoints"][0]["port"], "metrics");
        let mismatch = validate(&monitor.replace("- port:", "- prot:")).unwrap_err();
        assert_eq!(mismatch.object, "ServiceMonitor greeter");
        let mismatch = validate(&monitor.replace("/v1", "/v2")).unwrap_err();
        assert!(mismatch.reason.contains("does not parse"), "{mismatch:?}");
    }

    #[test]
    fn an_unknown_kind_is_refused() {
        let mismatch = validate("apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n").unwrap_err();
        assert!(mismatch.reason.contains("\"Pod\""));
    }
}
