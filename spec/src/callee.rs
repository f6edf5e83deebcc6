//! [`Callee`]: one edge of the call graph as the caller's runtime needs it, and the one rule
//! naming the variable that carries the callee's address into the caller's pods.

resolved! {
    /// One service this service calls (`calls { … }`), generated as
    /// `<service>_deploy::calls::<CALLEE>`: how the caller's client finds the callee in every
    /// environment, and what the source says it calls (the network enforces the edge; the
    /// methods are stated, not checked per call — per-method authorization is mutual TLS's).
    pub struct Callee<S = &'static str, L = &'static [S]> {
        /// The callee's app name.
        pub app: S,
        /// The callee's fully qualified gRPC service name.
        pub service: S,
        /// The variable the caller's manifests set to the callee's address in each environment
        /// (its headless Service in the callee's namespace there): `KUBERPC_CALL_GREETER`.
        pub address_env: S,
        /// The address when the variable is unset: the callee's headless Service in the
        /// caller's own namespace, `greeter-headless:50051` (what the client then resolves,
        /// with the namespace's full name, from the callee's `DEPLOY`).
        pub default_address: S,
        /// The HTTP/2 paths of the methods the source says this service calls.
        pub methods: L,
    }
}

/// The variable carrying the address of the callee `app` (a DNS label): `KUBERPC_CALL_` and
/// the name in upper case with `_` for `-`.
pub fn address_env(app: &str) -> String {
    format!("KUBERPC_CALL_{}", app.to_ascii_uppercase().replace('-', "_"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_address_variable_is_a_shell_name() {
        assert_eq!(super::address_env("order-store"), "KUBERPC_CALL_ORDER_STORE");
    }
}
