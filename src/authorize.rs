//! Per-method authorization of a mutual-TLS server: each call's peer identity (its
//! certificate's SPIFFE ID, [`PeerIdentity`]) against the callers the call graph declares
//! ([`Deploy::callers`]). A declared caller may call the methods its source says it calls;
//! anyone else — a valid certificate of an undeclared service, or of a caller declared for other
//! methods — gets PERMISSION_DENIED naming the method. Health answers every certified peer;
//! reflection answers the declared callers.
//!
//! A caller's identity is `spiffe://<trust domain>/ns/<namespace>/sa/<its service account>`,
//! the namespace this pod's own (`POD_NAMESPACE`) unless the caller's variable
//! ([`Caller::identity_env`]) names its whole ID (the manifests set it where the caller runs in
//! another namespace). Each caller's first call allowed and first call refused are logged, and
//! every decision is counted in [`RpcMetrics`] by caller app (`_UNDECLARED` for the rest).

use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures_util::future::{Either, Ready};
use prometheus_client::metrics::counter::Counter;
use tonic::body::Body;
use tower::{Layer, Service};

use crate::metrics::RpcMetrics;
use crate::tls::{PeerIdentity, TlsError};
use crate::{Caller, Deploy, MutualTls};

/// The path prefix of `grpc.health.v1`, which every certified peer may call.
const HEALTH: &str = "/grpc.health.v1.Health/";
/// The caller label of calls from identities the graph does not declare.
pub(crate) const UNDECLARED: &str = "_UNDECLARED";
/// How many distinct identities' first decisions are logged (identities need a certificate
/// from the CA, so few exist; the bound keeps a misbehaving CA from growing the set).
const LOGGED_IDENTITIES: usize = 4096;

/// Who may call what: the declared callers by identity. Built once per server, so that a call
/// costs a lookup and two atomic operations (no allocation unless it is refused). The lookup
/// is a scan: a service's declared callers are few, and comparing an ID's length first is
/// cheaper than hashing it on every call.
#[derive(Debug)]
pub(crate) struct Authorization {
    service: &'static str,
    callers: Vec<(String, Party)>,
    /// Everyone else.
    undeclared: Party,
    /// The undeclared identities whose first decisions were logged.
    logged: Mutex<HashSet<(String, bool)>>,
}

/// One caller label's log-once flags and counters, `[allowed, denied]`.
#[derive(Debug)]
struct Party {
    caller: Option<&'static Caller>,
    logged: [AtomicBool; 2],
    counted: Option<[Counter; 2]>,
}

impl Party {
    fn new(caller: Option<&'static Caller>, metrics: Option<&RpcMetrics>) -> Self {
        let label = caller.map_or(UNDECLARED, |caller| caller.app);
        let counted = metrics.map(|m| [m.authorization_counter(label, true), m.authorization_counter(label, false)]);
        Self { caller, logged: Default::default(), counted }
    }

    fn label(&self) -> &'static str {
        self.caller.map_or(UNDECLARED, |caller| caller.app)
    }
}

impl Authorization {
    /// The policy of `deploy`'s server, with this process's environment: a caller in this pod's
    /// namespace needs `POD_NAMESPACE` (the manifests set it), else it is an error — guessing
    /// one would admit a namesake elsewhere.
    pub(crate) fn new(
        deploy: &'static Deploy,
        mtls: &MutualTls,
        metrics: Option<RpcMetrics>,
    ) -> Result<Self, TlsError> {
        let namespace = std::env::var(crate::client::NAMESPACE_ENV).ok();
        let identity = |caller: &Caller| match (std::env::var(caller.identity_env), &namespace) {
            (Ok(identity), _) => Ok(identity),
            (Err(_), Some(namespace)) => {
                Ok(kuberpc_spec::spiffe_id(mtls.trust_domain, namespace, caller.service_account))
            }
            (Err(_), None) => Err(TlsError::new(format!(
                "neither {} nor {} is set: the identity of the caller {} is unknown",
                caller.identity_env,
                crate::client::NAMESPACE_ENV,
                caller.app
            ))),
        };
        let mut callers: Vec<(String, Party)> = Vec::new();
        for caller in deploy.callers {
            let (id, party) = (identity(caller)?, Party::new(Some(caller), metrics.as_ref()));
            // Two callers of one identity: the last declared is it (as a map would have it).
            callers.retain(|(known, _)| *known != id);
            callers.push((id, party));
        }
        let undeclared = Party::new(None, metrics.as_ref());
        Ok(Self { service: deploy.service, callers, undeclared, logged: Mutex::default() })
    }

    /// Whether `peer` may call `path` (else the refusal's message), and who it is.
    fn decide(&self, peer: Option<&PeerIdentity>, path: &str) -> (Result<(), String>, &Party) {
        let identity = peer.and_then(|peer| peer.0.as_ref());
        let declared = |id: &crate::tls::SpiffeId| self.callers.iter().find(|(known, _)| known == id.as_str());
        let party = identity.and_then(declared).map_or(&self.undeclared, |(_, party)| party);
        let who = || identity.map_or_else(|| "a certificate without a SPIFFE ID".to_string(), ToString::to_string);
        let decision = match party.caller {
            None => Err(format!(
                "{} may not call {path}: it is not a declared caller of {} (its source states no `calls` to it)",
                who(),
                self.service
            )),
            Some(_) if path.starts_with("/grpc.reflection.") => Ok(()),
            Some(caller) if caller.methods.contains(&path) => Ok(()),
            Some(caller) => Err(format!(
                "{} (caller {}) may not call {path}: its source declares calls to {} only",
                who(),
                caller.app,
                caller.methods.join(", ")
            )),
        };
        (decision, party)
    }

    /// Counts the call, and logs the first allowed and the first refused call of each identity.
    fn record(&self, peer: Option<&PeerIdentity>, party: &Party, decision: &Result<(), String>) {
        let index = usize::from(decision.is_err());
        if let Some(counted) = &party.counted {
            counted[index].inc();
        }
        let first = match party.caller {
            Some(_) => !party.logged[index].swap(true, Ordering::Relaxed),
            None => {
                let mut logged = self.logged.lock().unwrap_or_else(|e| e.into_inner());
                logged.len() < LOGGED_IDENTITIES && logged.insert((logged_identity(peer), decision.is_ok()))
            }
        };
        if !first {
            return;
        }
        match decision {
            Ok(()) => tracing::info!(caller = party.label(), identity = %logged_identity(peer), "caller admitted"),
            Err(message) => tracing::warn!(caller = party.label(), "refused (PERMISSION_DENIED): {message}"),
        }
    }
}

fn logged_identity(peer: Option<&PeerIdentity>) -> String {
    peer.and_then(|peer| peer.0.as_ref()).map_or_else(|| "none".to_string(), ToString::to_string)
}

/// Applies an [`Authorization`] to every call.
#[derive(Debug, Clone)]
pub(crate) struct AuthorizeLayer(pub(crate) Option<Arc<Authorization>>);

impl<S> Layer<S> for AuthorizeLayer {
    type Service = Authorize<S>;

    fn layer(&self, inner: S) -> Authorize<S> {
        Authorize { inner, authorization: self.0.clone() }
    }
}

/// The service of [`AuthorizeLayer`]; without an authorization (no mutual TLS) it passes every
/// call through.
#[derive(Debug, Clone)]
pub(crate) struct Authorize<S> {
    inner: S,
    authorization: Option<Arc<Authorization>>,
}

impl<S> Service<http::Request<Body>> for Authorize<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Either<S::Future, Ready<Result<http::Response<Body>, Infallible>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let Some(authorization) = &self.authorization else { return Either::Left(self.inner.call(request)) };
        if request.uri().path().starts_with(HEALTH) {
            // Every certified peer may ask; not logged or counted (probes are many).
            return Either::Left(self.inner.call(request));
        }
        let peer = request.extensions().get::<PeerIdentity>();
        let (decision, party) = authorization.decide(peer, request.uri().path());
        authorization.record(peer, party, &decision);
        match decision {
            Ok(()) => Either::Left(self.inner.call(request)),
            Err(message) => {
                Either::Right(futures_util::future::ready(Ok(tonic::Status::permission_denied(message).into_http())))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tls::SpiffeId;
    use crate::{ClientPolicy, Lifecycle};

    static CALLERS: &[Caller] = &[Caller {
        app: "front",
        service_account: "front",
        identity_env: "KUBERPC_CALLER_FRONT_AUTHORIZE_TEST",
        methods: &["/greeter.v1.Greeter/SayHello"],
    }];
    static DEPLOY: Deploy = Deploy {
        app: "greeter",
        service: "greeter.v1.Greeter",
        port: 50051,
        headless_service: "greeter-headless",
        reflection: true,
        lifecycle: Lifecycle::DEFAULT,
        methods: &[],
        client: ClientPolicy::DEFAULT,
        mtls: Some(MutualTls { trust_domain: "cluster.local", health_port: 8081 }),
        callers: CALLERS,
        web: None,
        rest: &[],
    };

    fn peer(id: &str) -> PeerIdentity {
        PeerIdentity(Some(SpiffeId::for_tests(id)))
    }

    #[test]
    fn a_declared_caller_calls_its_methods_only() {
        std::env::set_var(crate::client::NAMESPACE_ENV, "default");
        let policy = Authorization::new(&DEPLOY, &DEPLOY.mtls.unwrap(), None).unwrap();
        let front = peer("spiffe://cluster.local/ns/default/sa/front");
        let (allowed, party) = policy.decide(Some(&front), "/greeter.v1.Greeter/SayHello");
        assert_eq!((allowed, party.label()), (Ok(()), "front"));
        let (refused, party) = policy.decide(Some(&front), "/greeter.v1.Greeter/SayGoodbye");
        assert_eq!(party.label(), "front");
        let message = refused.unwrap_err();
        assert!(message.contains("/greeter.v1.Greeter/SayGoodbye"), "{message}");
        assert!(message.contains("/greeter.v1.Greeter/SayHello only"), "{message}");
        assert_eq!(policy.decide(Some(&front), "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo").0, Ok(()));
    }

    #[test]
    fn anyone_else_is_refused() {
        std::env::set_var(crate::client::NAMESPACE_ENV, "default");
        let policy = Authorization::new(&DEPLOY, &DEPLOY.mtls.unwrap(), None).unwrap();
        for stranger in [
            peer("spiffe://cluster.local/ns/default/sa/stranger"),
            peer("spiffe://cluster.local/ns/other/sa/front"),
            peer("spiffe://example.org/ns/default/sa/front"),
            PeerIdentity(None),
        ] {
            let (refused, party) = policy.decide(Some(&stranger), "/greeter.v1.Greeter/SayHello");
            assert_eq!(party.label(), UNDECLARED);
            let message = refused.unwrap_err();
            assert!(message.contains("/greeter.v1.Greeter/SayHello"), "{message}");
            assert!(policy
                .decide(Some(&stranger), "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo")
                .0
                .is_err());
        }
        assert!(policy.decide(None, "/greeter.v1.Greeter/SayHello").0.is_err());
    }
}
