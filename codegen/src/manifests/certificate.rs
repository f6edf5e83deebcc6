//! Typed `cert-manager.io/v1` Certificate, for the same round-trip validation as the
//! k8s-openapi objects, and what the cross-object rules read of it.
//!
//! k8s-openapi does not cover cert-manager's resources; these structs follow the v1 schema for
//! the fields kuberpc writes, with `deny_unknown_fields` so a misspelling is an error.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};

/// A Certificate object.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Certificate {
    api_version: ApiVersion,
    kind: Kind,
    pub(crate) metadata: ObjectMeta,
    spec: CertificateSpec,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum ApiVersion {
    #[serde(rename = "cert-manager.io/v1")]
    V1,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum Kind {
    Certificate,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CertificateSpec {
    secret_name: String,
    issuer_ref: IssuerRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    duration: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    renew_before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    private_key: Option<PrivateKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    usages: Option<Vec<Usage>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    uris: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dns_names: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secret_template: Option<SecretTemplate>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct IssuerRef {
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    group: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PrivateKey {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    algorithm: Option<KeyAlgorithm>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    size: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    encoding: Option<KeyEncoding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    rotation_policy: Option<RotationPolicy>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum KeyAlgorithm {
    #[serde(rename = "RSA")]
    Rsa,
    #[serde(rename = "ECDSA")]
    Ecdsa,
    Ed25519,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum KeyEncoding {
    #[serde(rename = "PKCS1")]
    Pkcs1,
    #[serde(rename = "PKCS8")]
    Pkcs8,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum RotationPolicy {
    Never,
    Always,
}

/// The key usages cert-manager accepts that a workload certificate may ask for.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum Usage {
    #[serde(rename = "server auth")]
    ServerAuth,
    #[serde(rename = "client auth")]
    ClientAuth,
    #[serde(rename = "digital signature")]
    DigitalSignature,
    #[serde(rename = "key encipherment")]
    KeyEncipherment,
}

/// Labels and annotations cert-manager puts on the Secret it writes.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SecretTemplate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    labels: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    annotations: Option<BTreeMap<String, String>>,
}

impl Certificate {
    /// The Secret cert-manager writes the key pair to.
    pub(crate) fn secret_name(&self) -> &str {
        &self.spec.secret_name
    }

    /// The DNS names the certificate is valid for.
    pub(crate) fn dns_names(&self) -> &[String] {
        self.spec.dns_names.as_deref().unwrap_or_default()
    }

    /// The URI SANs (the SPIFFE ID).
    pub(crate) fn uris(&self) -> &[String] {
        self.spec.uris.as_deref().unwrap_or_default()
    }
}
