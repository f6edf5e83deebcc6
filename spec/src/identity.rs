//! Mutual TLS and per-method authorization, as the runtime needs them: [`MutualTls`] (whether
//! a service's pods speak mutual TLS, in which trust domain, and the plaintext port left for the
//! kubelet's health probes), [`Caller`] (one edge of the call graph seen from the callee: who
//! may call which methods) and the rules naming identities and their variables.
//!
//! An identity is a SPIFFE ID, `spiffe://<trust domain>/ns/<namespace>/sa/<service account>`,
//! carried as the only URI SAN of a pod's certificate. A service's pods run as the
//! ServiceAccount named as its app.

resolved! {
    /// Mutual TLS of one service (`mtls { … }`): its pods present the certificate mounted at
    /// [`CERT_DIR`] to callers and callees alike, accept only callers whose certificate the same
    /// CA signed, and let each caller call only what the call graph says it calls.
    pub struct MutualTls<S = &'static str> {
        /// The SPIFFE trust domain of every identity (`cluster.local`).
        pub trust_domain: S,
        /// The plaintext port that answers only `grpc.health.v1` — the kubelet's native gRPC
        /// probes cannot present a certificate — and that the probes ask.
        pub health_port: u16,
    }
}

resolved! {
    /// One caller the call graph admits (`calls { … }` of another service naming this one),
    /// generated into `<service>_deploy::CALLERS`: the server admits a call from this caller's
    /// identity to exactly these methods, and answers PERMISSION_DENIED otherwise.
    pub struct Caller<S = &'static str, L = &'static [S]> {
        /// The caller's app name.
        pub app: S,
        /// The caller's ServiceAccount (its app name): the `sa` of its identity.
        pub service_account: S,
        /// The variable the callee's manifests set to the caller's identity in an environment
        /// where the caller runs in another namespace (`KUBERPC_CALLER_FRONT`); unset, the
        /// caller is taken to run in the callee's own namespace.
        pub identity_env: S,
        /// The HTTP/2 paths of the methods it may call.
        pub methods: L,
    }
}

/// Where every pod of a mutual-TLS service mounts its certificate's Secret, read-only, in
/// cert-manager's layout: `tls.crt` (the chain), `tls.key`, `ca.crt` (the trust anchor).
pub const CERT_DIR: &str = "/var/run/kuberpc/tls";

/// The SPIFFE ID of `service_account` in `namespace`.
pub fn spiffe_id(trust_domain: &str, namespace: &str, service_account: &str) -> String {
    format!("spiffe://{trust_domain}/ns/{namespace}/sa/{service_account}")
}

/// The variable carrying the identity of the caller `app` (a DNS label): `KUBERPC_CALLER_`
/// and the name in upper case with `_` for `-`.
pub fn identity_env(app: &str) -> String {
    format!("KUBERPC_CALLER_{}", app.to_ascii_uppercase().replace('-', "_"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_identity_names_its_trust_domain_namespace_and_account() {
        assert_eq!(super::spiffe_id("cluster.local", "prod", "front"), "spiffe://cluster.local/ns/prod/sa/front");
        assert_eq!(super::identity_env("order-store"), "KUBERPC_CALLER_ORDER_STORE");
    }
}
