//! What both observers of a call, its span ([`crate::trace`]) and its metrics
//! ([`crate::metrics`]), know it by: its service and method, and which end sees it.

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
