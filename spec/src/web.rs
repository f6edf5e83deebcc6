//! [`Web`]: gRPC-Web on the gRPC port, as the runtime needs it — whether browsers may call the
//! service and from which origins — and the rules naming an origin and the variable that
//! carries an environment's origins into its pods.

resolved! {
    /// gRPC-Web of one service (`web { … }`): its port also speaks HTTP/1.1, and browsers call
    /// its unary and server-streaming methods with gRPC-Web, answered with CORS for these
    /// origins. Each environment may name its own ([`WEB_ORIGINS_ENV`]).
    pub struct Web<L = &'static [&'static str]> {
        /// Origins whose pages may call (`https://app.example.com`), or `*` for any; none: only
        /// pages of the service's own origin and clients that are not browsers.
        pub origins: L,
    }
}

/// The variable an environment's manifests set to its origins, separated by commas, where they
/// differ from the service's `web.origins`.
pub const WEB_ORIGINS_ENV: &str = "KUBERPC_WEB_ORIGINS";

/// Why `origin` is not an origin CORS can name: `*`, or `scheme://host[:port]` with scheme
/// `http` or `https`, an ASCII host (a name in lower case, or an IPv6 address in brackets) and
/// no path, query, user or trailing slash (a browser's `Origin` header is exactly that, and a
/// CORS match is exact). No comma, so that a list of them is one variable.
pub fn origin_problem(origin: &str) -> Option<String> {
    if origin == "*" {
        return None;
    }
    let Some((scheme, rest)) = origin.split_once("://") else {
        return Some("has no scheme: write it as a browser sends it, e.g. \"https://app.example.com\"".into());
    };
    if scheme != "http" && scheme != "https" {
        return Some(format!("has the scheme {scheme:?}: a page's origin is http or https"));
    }
    if rest.contains(['/', '?', '#']) {
        return Some("has a path: an origin is the scheme, the host and the port only".into());
    }
    if rest.contains('@') {
        return Some("has user information: an origin is the scheme, the host and the port only".into());
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) if !rest.ends_with(']') => (host, Some(port)),
        _ => (rest, None),
    };
    let host_is_valid = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(v6) => !v6.is_empty() && v6.chars().all(|c| c.is_ascii_digit() || matches!(c, 'a'..='f' | ':' | '.')),
        None => host.split('.').all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        }),
    };
    if !host_is_valid {
        return Some(
            "has no valid host: lower-case letters, digits, '-' and '.' (punycode for other names), or an IPv6 \
             address in brackets; no wildcard (list each origin, or write \"*\" alone)"
                .into(),
        );
    }
    let port = port?;
    let default = if scheme == "https" { "443" } else { "80" };
    if port == default {
        return Some(format!("names {scheme}'s default port {port}, which a browser leaves out: write it without"));
    }
    let digits = !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) && !port.starts_with('0');
    match port.parse::<u16>() {
        Ok(_) if digits => None,
        _ => Some("has a port a browser does not write: 1-65535, digits only, no leading zero".into()),
    }
}

/// What is wrong with a list of origins ([`origins_problems`]); displayed without the list's
/// name, which each caller puts in front.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginsProblem {
    /// One origin is not an origin ([`origin_problem`]).
    Origin {
        /// The origin as written.
        origin: String,
        /// What is wrong with it.
        problem: String,
    },
    /// An origin named twice.
    Twice(String),
    /// `*` beside other origins.
    StarNotAlone,
}

impl std::fmt::Display for OriginsProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OriginsProblem::Origin { origin, problem } => write!(f, "{origin:?} {problem}"),
            OriginsProblem::Twice(origin) => write!(f, "names {origin:?} twice"),
            OriginsProblem::StarNotAlone => write!(f, "\"*\" admits every page, so it stands alone"),
        }
    }
}

/// Every problem of a list of origins, the source's or an environment's: each origin's, each
/// one named again, and `*` beside others (it admits every page).
pub fn origins_problems<S: AsRef<str>>(origins: &[S]) -> Vec<OriginsProblem> {
    let mut seen = std::collections::BTreeSet::new();
    let mut problems = Vec::new();
    for origin in origins.iter().map(AsRef::as_ref) {
        if let Some(problem) = origin_problem(origin) {
            problems.push(OriginsProblem::Origin { origin: origin.into(), problem });
        } else if !seen.insert(origin) {
            problems.push(OriginsProblem::Twice(origin.into()));
        }
    }
    if origins.len() > 1 && origins.iter().any(|origin| origin.as_ref() == "*") {
        problems.push(OriginsProblem::StarNotAlone);
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::{origin_problem, origins_problems, OriginsProblem};

    #[test]
    fn a_list_names_each_origin_once_and_star_alone() {
        assert_eq!(origins_problems(&["*"]), []);
        assert_eq!(origins_problems(&["https://a.test", "http://b.test:8080"]), []);
        let problems = origins_problems(&["https://a.test", "a.test", "https://a.test", "*"]);
        assert!(matches!(&problems[0], OriginsProblem::Origin { origin, .. } if origin == "a.test"));
        assert_eq!(problems[1..], [OriginsProblem::Twice("https://a.test".into()), OriginsProblem::StarNotAlone]);
        assert_eq!(problems[1].to_string(), "names \"https://a.test\" twice");
    }

    #[test]
    fn an_origin_is_a_scheme_a_host_and_a_port() {
        for good in [
            "*",
            "https://app.example.com",
            "http://localhost:8080",
            "http://[::1]:3000",
            "https://[::1]",
            "http://a.test:443",
        ] {
            assert_eq!(origin_problem(good), None, "{good}");
        }
        for bad in [
            "app.example.com",
            "ftp://example.com",
            "https://example.com/",
            "https://example.com/app",
            "https://user@example.com",
            "https://",
            "https://Example.com",
            "https://*.example.com",
            "https://example.com:0",
            "https://example.com:99999",
            "https://a.example.com,https://b.example.com",
            "https://exa mple.com",
            "https://[::g]",
            "https://a..example.com",
            "https://.example.com",
            "https://example.com:443",
            "http://example.com:80",
            "https://example.com:+8443",
            "https://example.com:08443",
            "https://example.com:",
        ] {
            assert!(origin_problem(bad).is_some(), "{bad}");
        }
    }
}
