//! Values checked the way their consumer checks them, before anything is rendered: every
//! written string is plain text of a bounded length ([`plain_strings`]); hosts, mount paths
//! and quantities are what the API server accepts ([`host_problem`], [`mount_path_problem`],
//! [`quantity_value`]); namespaces kuberpc must not write into are refused
//! ([`namespace_problem`]). A value that would be rejected later would otherwise be reported
//! at a line of an embedded template, or — worse — change what a YAML file means.

use super::ServiceOptions;
use crate::error::{Problem, Problems, Spans};
use crate::schema::{fields, written_strings};

/// The longest string option (an image reference with a digest is about 150 characters;
/// DNS names are at most 253).
pub(crate) const MAX_STRING_LEN: usize = 1024;
/// The longest map value (env values, annotations): a ConfigMap holds at most 1 MiB in all.
pub(crate) const MAX_MAP_VALUE_LEN: usize = 64 * 1024;

/// Every string written in the service's options is free of characters that end a line or
/// hide in one (controls, U+2028, U+2029, the byte-order mark; a map's value may hold line
/// breaks and tabs, which every output escapes) and no longer than its limit. YAML parsers
/// read U+0085 and U+2028 as line breaks in places, so such a value could add a key.
pub(crate) fn plain_strings(options: &ServiceOptions, spans: &Spans, problems: &mut Problems) {
    for written in written_strings(fields::SERVICE_DEPLOYMENT, options) {
        let allowed = |c: char| written.map_value && matches!(c, '\n' | '\t');
        let hidden = written
            .value
            .chars()
            .find(|&c| !allowed(c) && (c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')));
        let limit = if written.map_value { MAX_MAP_VALUE_LEN } else { MAX_STRING_LEN };
        let message = match hidden {
            Some(c) => format!(
                "{} holds the control or line-separator character U+{:04X}: write plain text",
                written.key,
                u32::from(c)
            ),
            None if written.value.len() > limit => {
                format!("{} is {} bytes long: at most {limit} are accepted", written.key, written.value.len())
            }
            None => continue,
        };
        problems.push(Problem::at(message, spans.get_written(&written.key)));
    }
}

/// Why `host` is not a host name an Ingress or a Gateway route accepts, if it is not: a
/// DNS-1123 subdomain, optionally behind one leading `*.` wildcard label.
pub(crate) fn host_problem(host: &str) -> Option<&'static str> {
    let name = host.strip_prefix("*.").unwrap_or(host);
    if name.is_empty() {
        return Some("is empty");
    }
    let labels_ok =
        name.len() <= 253 && name.split('.').all(|l| l.len() <= 63 && crate::model_rules::has_dns_label_characters(l));
    (!labels_ok).then_some("is not a DNS name (lower-case letters, digits, '-' and '.'; `*.` may lead)")
}

/// Why `path` cannot be a volume's mount path, if it cannot: absolute, not `/` itself (a
/// volume over the root file system), no `..` element (the API server refuses back steps).
pub(crate) fn mount_path_problem(path: &str) -> Option<&'static str> {
    if !path.starts_with('/') {
        Some("must be an absolute path")
    } else if path.split('/').all(str::is_empty) {
        Some("is the root directory: a volume there would hide the whole file system")
    } else if path.split('/').any(|part| part == "..") {
        Some("must not contain a `..` element")
    } else {
        None
    }
}

/// Why pods of `app` must not be written into `namespace`, if they must not: `kube-*`
/// namespaces belong to Kubernetes itself (labelling one "restricted" breaks its own pods),
/// and a Service `kubernetes` in `default` would replace the API server's.
pub(crate) fn namespace_problem(app: &str, namespace: &str) -> Option<String> {
    if namespace.starts_with("kube-") {
        Some(format!("namespace {namespace:?} is reserved for Kubernetes' own components (kube-*)"))
    } else if namespace == "default" && app == "kubernetes" {
        Some("a Service named \"kubernetes\" in namespace \"default\" would replace the API server's own".into())
    } else {
        None
    }
}

/// The value of a Kubernetes quantity (`250m` → 0.25, `1Ki` → 1024), if it is one: a signed
/// decimal number followed by a binary (`Ki`…`Ei`) or decimal (`n u m k M G T P E`) suffix or
/// an exponent (`1e3`).
pub(crate) fn quantity_value(quantity: &str) -> Option<f64> {
    let unsigned = quantity.strip_prefix(['+', '-']).unwrap_or(quantity);
    let number_end = unsigned.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(unsigned.len());
    let (digits, suffix) = unsigned.split_at(number_end);
    if digits.replace('.', "").is_empty() || digits.matches('.').count() > 1 {
        return None;
    }
    let number: f64 = quantity[..quantity.len() - suffix.len()].parse().ok()?;
    let scale = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        exponent => {
            let written = exponent.strip_prefix(['e', 'E'])?;
            let unsigned = written.strip_prefix(['+', '-']).unwrap_or(written);
            if unsigned.is_empty() || !unsigned.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            // An exponent past i32 is still a quantity (an absurd one).
            10f64.powi(written.parse().unwrap_or(i32::MAX))
        }
    };
    Some(number * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_have_values() {
        for (quantity, value) in
            [("250m", 0.25), ("1", 1.0), ("1Ki", 1024.0), ("1e3", 1000.0), ("0.5Gi", 536_870_912.0)]
        {
            assert_eq!(quantity_value(quantity), Some(value), "{quantity}");
        }
        assert_eq!(quantity_value("1x"), None);
    }

    #[test]
    fn hosts_and_mount_paths() {
        for good in ["greeter.example.com", "*.example.com", "a"] {
            assert_eq!(host_problem(good), None, "{good}");
        }
        for bad in ["", "*.", "Greeter.example.com", "a..b", "a.com\n---", "a_b.com", "*.*.a.com"] {
            assert!(host_problem(bad).is_some(), "{bad:?}");
        }
        assert_eq!(mount_path_problem("/var/lib/x"), None);
        for bad in ["/", "//", "relative", "/var/../etc"] {
            assert!(mount_path_problem(bad).is_some(), "{bad:?}");
        }
    }
}
