//! What both observers of a call, its span ([`crate::trace`]) and its metrics
//! ([`crate::metrics`]), know it by: its service and method, which end sees it, and the
//! headers that carry its status and deadline.

/// `grpc-status`, parsed once: a lookup by `&str` would parse and hash the name on every call.
static GRPC_STATUS: http::HeaderName = http::HeaderName::from_static("grpc-status");
/// `grpc-timeout`, parsed once.
pub(crate) static GRPC_TIMEOUT: http::HeaderName = http::HeaderName::from_static("grpc-timeout");

/// The numeric status a `grpc-status` value carries (`None` when it is not a number of at most
/// four digits).
fn status_code(value: &http::HeaderValue) -> Option<u16> {
    let digits = value.as_bytes();
    if digits.is_empty() || digits.len() > 4 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(digits.iter().fold(0, |code, digit| code * 10 + u16::from(digit - b'0')))
}

/// The status in `headers` (the response's, or its trailers), if any.
pub(crate) fn grpc_status(headers: &http::HeaderMap) -> Option<u16> {
    header(headers, &GRPC_STATUS).and_then(status_code)
}

/// The value of `name` in `headers`: for the few headers of a gRPC call a scan costs less than
/// hashing the name to look it up (about 60 instructions against 150 a lookup, per call).
pub(crate) fn header<'h>(headers: &'h http::HeaderMap, name: &http::HeaderName) -> Option<&'h http::HeaderValue> {
    if headers.len() > 8 {
        return headers.get(name);
    }
    headers.iter().find(|(each, _)| *each == name).map(|(_, value)| value)
}

/// `(service, method)` of an HTTP/2 path `/pkg.Service/Method`.
pub(crate) fn rpc_name(path: &str) -> (&str, &str) {
    let path = path.trim_start_matches('/');
    path.split_once('/').unwrap_or((path, ""))
}

/// Which end of a call a span stands for: it decides which codes mark the span an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Server,
    Client,
}

impl Side {
    /// Per the OpenTelemetry RPC conventions: any code but OK is a client's error; a server
    /// errs only with the codes that are its fault.
    pub(crate) fn is_error(self, code: i64) -> bool {
        match self {
            Side::Client => code != 0,
            // UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS.
            Side::Server => matches!(code, 2 | 4 | 12 | 13 | 14 | 15),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_is_read_from_few_headers_or_many() {
        let value = |text: &'static str| http::HeaderValue::from_static(text);
        assert_eq!(status_code(&value("0")), Some(0));
        assert_eq!(status_code(&value("14")), Some(14));
        for bad in ["", "-1", "1a", "99999", " 1"] {
            assert_eq!(status_code(&value(bad)), None, "{bad:?}");
        }
        let mut headers = http::HeaderMap::new();
        headers.insert("content-type", value("application/grpc"));
        assert_eq!(grpc_status(&headers), None);
        headers.insert("grpc-status", value("13"));
        assert_eq!(grpc_status(&headers), Some(13));
        for n in 0..10 {
            headers.insert(http::HeaderName::from_bytes(format!("x-{n}").as_bytes()).unwrap(), value("v"));
        }
        assert_eq!(grpc_status(&headers), Some(13));
    }
}
