//! The SPIFFE ID a certificate carries: its URI subject alternative name
//! `spiffe://<trust domain>/<path>`, read from the DER of a certificate rustls has already
//! verified. Only the few structures on the way are walked (X.509's `tbsCertificate`, its
//! extensions, the `subjectAltName` extension's `GeneralNames`); a malformed certificate yields
//! no identity, never a panic.

/// The identity of a peer: a SPIFFE ID of the trust domain, with its namespace and service
/// account when the path is `/ns/<namespace>/sa/<service account>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SpiffeId {
    /// Shared: every request of a connection carries a clone.
    uri: std::sync::Arc<str>,
}

impl SpiffeId {
    /// The ID as written: `spiffe://cluster.local/ns/prod/sa/front`.
    pub fn as_str(&self) -> &str {
        &self.uri
    }

    /// The trust domain: `cluster.local`.
    pub fn trust_domain(&self) -> &str {
        self.uri["spiffe://".len()..].split('/').next().unwrap_or_default()
    }

    /// `(namespace, service account)` of a Kubernetes workload's ID.
    pub fn workload(&self) -> Option<(&str, &str)> {
        let path = &self.uri["spiffe://".len() + self.trust_domain().len()..];
        match path.split('/').collect::<Vec<_>>().as_slice() {
            ["", "ns", namespace, "sa", account] if !namespace.is_empty() && !account.is_empty() => {
                Some((namespace, account))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
impl SpiffeId {
    pub(crate) fn for_tests(uri: &str) -> Self {
        Self { uri: uri.into() }
    }
}

impl std::fmt::Display for SpiffeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.uri)
    }
}

/// The SPIFFE ID of the end-entity certificate `der`: its URI SAN, when it has exactly one
/// (as the SPIFFE X.509 profile demands) and that is a valid SPIFFE ID.
pub(crate) fn spiffe_id(der: &[u8]) -> Option<SpiffeId> {
    let mut uris = uri_sans(der)?.into_iter();
    let uri = uris.next()?;
    (uris.next().is_none() && valid(&uri)).then_some(SpiffeId { uri: uri.into() })
}

/// Whether `uri` is a SPIFFE ID: `spiffe://`, a trust domain of lower-case letters, digits,
/// `.`, `-` and `_`, then a path of segments of letters, digits, `.`, `-` and `_` that are
/// neither empty, `.` nor `..` (so no query, fragment, port, user or control character).
fn valid(uri: &str) -> bool {
    let Some(rest) = uri.strip_prefix("spiffe://") else { return false };
    let (domain, path) = rest.split_once('/').map_or((rest, ""), |(domain, path)| (domain, path));
    let domain_ok = !domain.is_empty()
        && domain.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    let segment_ok = |segment: &str| {
        !matches!(segment, "" | "." | "..") && segment.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    };
    domain_ok && (path.is_empty() && !rest.ends_with('/') || path.split('/').all(segment_ok))
}

const SEQUENCE: u8 = 0x30;
const OID: u8 = 0x06;
const BOOLEAN: u8 = 0x01;
const OCTET_STRING: u8 = 0x04;
/// `[3] EXPLICIT Extensions` of `tbsCertificate`.
const EXTENSIONS: u8 = 0xa3;
/// `uniformResourceIdentifier [6] IMPLICIT IA5String` of `GeneralName`.
const URI_NAME: u8 = 0x86;
/// 2.5.29.17, `id-ce-subjectAltName`.
const SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];

/// The URI names of the certificate's subjectAltName extension.
fn uri_sans(der: &[u8]) -> Option<Vec<String>> {
    let (certificate, _) = element(der, SEQUENCE)?;
    let (tbs, _) = element(certificate, SEQUENCE)?;
    let mut fields = tbs;
    while !fields.is_empty() {
        let (tag, value, rest) = any(fields)?;
        fields = rest;
        if tag == EXTENSIONS {
            let (mut extensions, _) = element(value, SEQUENCE)?;
            while !extensions.is_empty() {
                let (extension, rest) = element(extensions, SEQUENCE)?;
                extensions = rest;
                let (oid, mut rest) = element(extension, OID)?;
                if oid != SUBJECT_ALT_NAME {
                    continue;
                }
                if let Some((_, after)) = element(rest, BOOLEAN) {
                    rest = after;
                }
                let (names, _) = element(rest, OCTET_STRING)?;
                return general_name_uris(names);
            }
        }
    }
    Some(Vec::new())
}

fn general_name_uris(names: &[u8]) -> Option<Vec<String>> {
    let (mut names, _) = element(names, SEQUENCE)?;
    let mut uris = Vec::new();
    while !names.is_empty() {
        let (tag, value, rest) = any(names)?;
        names = rest;
        if tag == URI_NAME {
            uris.push(String::from_utf8(value.to_vec()).ok()?);
        }
    }
    Some(uris)
}

/// The value of the element at the start of `der` if its tag is `tag`, and what follows it.
fn element(der: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (found, value, rest) = any(der)?;
    (found == tag).then_some((value, rest))
}

/// The tag and value of the (DER, definite-length) element at the start of `der`, and what
/// follows it.
fn any(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let bytes = usize::from(first & 0x7f);
        if bytes == 0 || bytes > 4 || rest.len() < bytes {
            return None;
        }
        let length = rest[..bytes].iter().fold(0usize, |length, &byte| (length << 8) | usize::from(byte));
        (length, &rest[bytes..])
    };
    (rest.len() >= length).then(|| (tag, &rest[..length], &rest[length..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn certificate(uris: &[&str]) -> Vec<u8> {
        let mut params = rcgen::CertificateParams::new(vec!["greeter-headless".to_string()]).unwrap();
        for uri in uris {
            params.subject_alt_names.push(rcgen::SanType::URI(rcgen::string::Ia5String::try_from(*uri).unwrap()));
        }
        let key = rcgen::KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().der().to_vec()
    }

    #[test]
    fn the_uri_san_of_a_workload_names_its_namespace_and_account() {
        let id = spiffe_id(&certificate(&["spiffe://cluster.local/ns/prod/sa/front"])).unwrap();
        assert_eq!(id.as_str(), "spiffe://cluster.local/ns/prod/sa/front");
        assert_eq!(id.trust_domain(), "cluster.local");
        assert_eq!(id.workload(), Some(("prod", "front")));
    }

    #[test]
    fn no_identity_without_exactly_one_uri_that_is_a_spiffe_id() {
        assert_eq!(spiffe_id(&certificate(&[])), None);
        assert_eq!(spiffe_id(&certificate(&["https://example.com/front"])), None);
        let two = certificate(&["spiffe://cluster.local/ns/a/sa/x", "spiffe://cluster.local/ns/b/sa/y"]);
        assert_eq!(spiffe_id(&two), None);
        let beside_another = certificate(&["spiffe://cluster.local/ns/a/sa/x", "https://example.com/x"]);
        assert_eq!(spiffe_id(&beside_another), None);
    }

    #[test]
    fn only_well_formed_ids_are_identities() {
        for good in ["spiffe://cluster.local/ns/prod/sa/front", "spiffe://example.org", "spiffe://a_b-c.d/x.y-z_1"] {
            assert!(valid(good), "{good}");
        }
        for bad in [
            "spiffe://Cluster.local/ns/prod/sa/front",
            "spiffe://cluster.local:8443/ns/prod",
            "spiffe://cluster.local/ns/../sa/front",
            "spiffe://cluster.local/ns//sa",
            "spiffe://cluster.local/ns/prod/",
            "spiffe://cluster.local/ns/prod?sa=front",
            "spiffe://cluster.local/ns/pr\u{7}od",
            "spiffe:///ns/prod",
            "spiffe://",
            "https://cluster.local/ns/prod",
        ] {
            assert!(!valid(bad), "{bad}");
        }
    }

    #[test]
    fn another_path_is_an_identity_but_no_workload() {
        let id = spiffe_id(&certificate(&["spiffe://example.org/billing"])).unwrap();
        assert_eq!(id.trust_domain(), "example.org");
        assert_eq!(id.workload(), None);
    }

    #[test]
    fn truncated_or_garbled_der_yields_nothing() {
        let der = certificate(&["spiffe://cluster.local/ns/prod/sa/front"]);
        for cut in 0..der.len() {
            assert_eq!(spiffe_id(&der[..cut]), None, "cut at {cut}");
        }
        let mut garbled = der.clone();
        garbled[1] = 0x85;
        assert_eq!(spiffe_id(&garbled), None);
    }
}
