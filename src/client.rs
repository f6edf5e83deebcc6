//! Balanced, in-cluster clients.
//!
//! gRPC keeps one HTTP/2 connection open, so a ClusterIP Service pins each client to one pod.
//! [`Client`] instead resolves the headless Service (`<app>-headless.<namespace>.svc.cluster.local`)
//! to every pod address, re-resolves it periodically, and balances calls over all of them
//! (pods that disappear from DNS are dropped, new ones added; pods that fail are ejected for a
//! while, see `balance`). The channel it returns applies each method's deadline, retry and
//! hedging policy ([`PolicyChannel`]).

use std::collections::BTreeSet;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tonic::transport::Endpoint;

use crate::balance::Pool;
pub use crate::policy::{PolicyChannel, MAX_ATTEMPTS};
use crate::tls::client::{Expected, MutualTlsConnector};
use crate::{Callee, ClientPolicy, Deploy};

/// Overrides the target (`host:port`) of every [`Client`] in the process that has no target of
/// its own ([`Client::target`]) and no address of its callee's ([`Client::callee`]).
pub const TARGET_ENV: &str = "KUBERPC_TARGET";
/// The pod's namespace, set by the generated manifests through the downward API.
pub const NAMESPACE_ENV: &str = "POD_NAMESPACE";
/// How often DNS is asked again by default.
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(5);

/// Turns a host name into addresses. [`Dns`] in production; tests may map a name to
/// loopback addresses.
pub trait Resolve: Send + Sync + 'static {
    /// Every address of `host` at `port`.
    fn resolve<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> Pin<Box<dyn Future<Output = io::Result<Vec<SocketAddr>>> + Send + 'a>>;
}

/// The system resolver (`getaddrinfo` through tokio): what the cluster DNS answers.
#[derive(Debug, Clone, Copy, Default)]
pub struct Dns;

impl Resolve for Dns {
    fn resolve<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> Pin<Box<dyn Future<Output = io::Result<Vec<SocketAddr>>> + Send + 'a>> {
        Box::pin(async move { Ok(tokio::net::lookup_host((host, port)).await?.collect()) })
    }
}

/// Where a [`Client`] sends its calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A name resolved again every refresh: `host:port`, `http://host:port`, `dns:///host:port`.
    Dns {
        /// The name (or a literal IP).
        host: String,
        /// The port.
        port: u16,
    },
    /// Fixed addresses: `ipv4:10.0.0.1:50051,10.0.0.2:50051`, `ipv6:[::1]:50051`.
    Addresses(Vec<SocketAddr>),
}

/// A target that is none of the forms [`Target`] takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetError {
    target: String,
    reason: String,
}

impl std::fmt::Display for TargetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "target {:?} ({TARGET_ENV}?) {}: write host:port, http://host:port, dns:///host:port or \
             ipv4:a.b.c.d:port,…",
            self.target, self.reason
        )
    }
}

impl std::error::Error for TargetError {}

impl std::str::FromStr for Target {
    type Err = TargetError;

    fn from_str(text: &str) -> Result<Self, TargetError> {
        let error = |reason: &str| TargetError { target: text.to_string(), reason: reason.to_string() };
        if let Some(list) = text.strip_prefix("ipv4:").or_else(|| text.strip_prefix("ipv6:")) {
            let addresses: Result<Vec<SocketAddr>, _> = list.split(',').map(str::parse).collect();
            return match addresses {
                Ok(addresses) if !addresses.is_empty() => Ok(Target::Addresses(addresses)),
                _ => Err(error("lists an address that is not ip:port")),
            };
        }
        let authority = text.strip_prefix("http://").or_else(|| text.strip_prefix("dns:///")).unwrap_or(text);
        if authority.contains('/') || authority.contains("://") {
            return Err(error("has a scheme or path kuberpc does not speak"));
        }
        let (host, port) = split_host_port(authority).ok_or_else(|| error("has no port"))?;
        if host.is_empty() {
            return Err(error("has no host"));
        }
        Ok(Target::Dns { host, port })
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Dns { host, port } => write!(f, "{host}:{port}"),
            Target::Addresses(addresses) => {
                let list: Vec<String> = addresses.iter().map(ToString::to_string).collect();
                write!(f, "{}", list.join(","))
            }
        }
    }
}

/// Builder of a balanced channel to one generated service.
#[derive(Clone)]
pub struct Client {
    deploy: &'static Deploy,
    callee: Option<&'static Callee>,
    target: Option<Target>,
    resolver: Arc<dyn Resolve>,
    refresh: Duration,
    tls_dir: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("service", &self.deploy.service).field("target", &self.target).finish()
    }
}

impl Client {
    /// A client of the service `deploy` describes, targeting its headless Service in the
    /// pod's namespace, through DNS, re-resolved every [`DEFAULT_REFRESH`].
    pub fn new(deploy: &'static Deploy) -> Self {
        Self { deploy, callee: None, target: None, resolver: Arc::new(Dns), refresh: DEFAULT_REFRESH, tls_dir: None }
    }

    /// Calls the service as the callee `callee` of the caller's `calls`
    /// (`<caller>_deploy::calls::<APP>`): its address is what the caller's manifests set in
    /// the callee's variable for this pod's environment (the callee's headless Service in its
    /// namespace there), else the callee's headless Service in this pod's namespace. `deploy`
    /// (of [`Client::new`]) must be the callee's own: [`Client::connect`] fails otherwise
    /// (unless an explicit [`Client::target`] makes the callee moot).
    pub fn callee(mut self, callee: &'static Callee) -> Self {
        self.callee = Some(callee);
        self
    }

    /// Targets `host:port` instead of the headless Service.
    pub fn target(mut self, host: impl Into<String>, port: u16) -> Self {
        self.target = Some(Target::Dns { host: host.into(), port });
        self
    }

    /// Targets `target` (any form [`Target`] parses) instead of the headless Service.
    pub fn target_parsed(mut self, target: Target) -> Self {
        self.target = Some(target);
        self
    }

    /// Resolves names with `resolver` instead of DNS.
    pub fn resolver(mut self, resolver: impl Resolve) -> Self {
        self.resolver = Arc::new(resolver);
        self
    }

    /// Reads this client's certificate (for a callee that speaks mutual TLS) from `dir` instead
    /// of [`tls::tls_dir`](crate::tls::tls_dir) (`KUBERPC_TLS_DIR`, else where the manifests mount it).
    pub fn tls_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.tls_dir = Some(dir.into());
        self
    }

    /// Re-resolves every `every`.
    pub fn refresh(mut self, every: Duration) -> Self {
        self.refresh = every;
        self
    }

    /// Where the channel sends calls: the builder's target, else the callee's variable
    /// (`KUBERPC_CALL_<APP>`, with [`Client::callee`]), else `KUBERPC_TARGET`, else
    /// `<headless>.<POD_NAMESPACE or default>.svc.cluster.local:<port>`.
    pub fn target_address(&self) -> Result<Target, TargetError> {
        if let Some(target) = &self.target {
            return Ok(target.clone());
        }
        if let Some(callee) = self.callee {
            if callee.service != self.deploy.service {
                let reason =
                    format!("is the callee {} but the client's DEPLOY is {}", callee.service, self.deploy.service);
                return Err(TargetError { target: callee.app.to_string(), reason });
            }
            if let Ok(text) = std::env::var(callee.address_env) {
                return text.parse();
            }
        }
        if let Ok(text) = std::env::var(TARGET_ENV) {
            return text.parse();
        }
        let namespace = std::env::var(NAMESPACE_ENV).unwrap_or_else(|_| "default".to_string());
        let host = format!("{}.{namespace}.svc.cluster.local", self.deploy.headless_service);
        Ok(Target::Dns { host, port: self.deploy.port })
    }

    /// Resolves once (so the first call has endpoints when any exist), then keeps the set of
    /// endpoints current in a background task that ends when the channel is dropped. While
    /// the target resolves to nothing, calls fail at once with UNAVAILABLE saying why. Only a
    /// malformed target is an error here, or a list of addresses for a mutual-TLS service
    /// (whose certificate names its Services, not its pods).
    pub async fn connect(self) -> Result<PolicyChannel, TargetError> {
        let target = self.target_address()?;
        let server = match &target {
            Target::Dns { host, port } => Some((Arc::from(host.as_str()), *port)),
            Target::Addresses(_) => None,
        };
        let pool = Arc::new(Pool::new(self.deploy.client));
        let tls = match self.deploy.mtls {
            Some(mtls) => Some(self.tls_connector(&target, &mtls)?),
            None => None,
        };
        let sync = EndpointSync { target, resolver: self.resolver.clone(), policy: self.deploy.client, tls };
        sync.run(&pool).await;
        let refresh = self.refresh;
        let weak = Arc::downgrade(&pool);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(refresh).await;
                let Some(pool) = weak.upgrade() else { return };
                sync.run(&pool).await;
            }
        });
        Ok(PolicyChannel::new(pool, self.deploy, server))
    }
}

impl Client {
    /// The connector to the pods of a mutual-TLS service: by name only (its certificate names
    /// its Services, not its pods' addresses).
    fn tls_connector(&self, target: &Target, mtls: &crate::MutualTls) -> Result<MutualTlsConnector, TargetError> {
        let Target::Dns { host, .. } = target else {
            let reason =
                "lists addresses, which a mutual-TLS service's certificate does not name: dial its Service's name";
            return Err(TargetError { target: target.to_string(), reason: reason.to_string() });
        };
        let expected = Expected { trust_domain: mtls.trust_domain, service_account: self.deploy.app };
        let keepalive = Duration::from_millis(u64::from(self.deploy.client.keepalive_interval_ms));
        Ok(MutualTlsConnector::new(host, self.tls_dir.clone(), expected, keepalive))
    }
}

/// Keeps the pool's pods equal to what the target resolves to.
struct EndpointSync {
    target: Target,
    resolver: Arc<dyn Resolve>,
    policy: ClientPolicy,
    /// Dials each pod with mutual TLS, when the service speaks it.
    tls: Option<MutualTlsConnector>,
}

impl EndpointSync {
    /// Resolves the target, makes the pool's pods the answer, and records in the pool why
    /// there is no pod, if there is none.
    async fn run(&self, pool: &Pool) {
        let resolved: BTreeSet<SocketAddr> = match &self.target {
            Target::Addresses(addresses) => addresses.iter().copied().collect(),
            Target::Dns { host, port } => match self.resolver.resolve(host, *port).await {
                Ok(addresses) => addresses.into_iter().collect(),
                Err(error) => {
                    // Keep the pods we have: a DNS hiccup must not empty the pool.
                    tracing::warn!(%host, %error, "resolving failed; keeping the known pods");
                    if pool.is_empty() {
                        pool.set_problem(Some(self.no_address(&format!("resolving it failed: {error}"))));
                    }
                    return;
                }
            },
        };
        pool.set_problem(resolved.is_empty().then(|| self.no_address("it resolved to no address")));
        pool.update(&resolved, |addr| {
            let endpoint = self.endpoint(Endpoint::from_shared(format!("http://{addr}")).ok()?);
            Some(match &self.tls {
                Some(tls) => endpoint.connect_with_connector_lazy(tls.clone()),
                None => endpoint.connect_lazy(),
            })
        });
    }

    /// One pod's connection: HTTP/2 keepalive pings, idle or not, so that a peer that stops
    /// answering without closing its socket is found; TCP keepalive and a connect timeout.
    fn endpoint(&self, endpoint: Endpoint) -> Endpoint {
        let ms = |ms: u32| Duration::from_millis(u64::from(ms));
        endpoint
            .connect_timeout(ms(self.policy.connect_timeout_ms))
            .http2_keep_alive_interval(ms(self.policy.keepalive_interval_ms))
            .keep_alive_timeout(ms(self.policy.keepalive_timeout_ms))
            .keep_alive_while_idle(true)
            .tcp_keepalive(Some(ms(self.policy.keepalive_interval_ms)))
            .tcp_nodelay(true)
    }

    fn no_address(&self, why: &str) -> String {
        format!("no address to call: the target {} ({TARGET_ENV} overrides it): {why}", self.target)
    }
}

fn split_host_port(target: &str) -> Option<(String, u16)> {
    let (host, port) = target.rsplit_once(':')?;
    Some((host.trim_matches(['[', ']']).to_string(), port.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lifecycle;

    static DEPLOY: Deploy = Deploy {
        app: "greeter",
        service: "greeter.v1.Greeter",
        port: 50051,
        headless_service: "greeter-headless",
        reflection: true,
        lifecycle: Lifecycle::DEFAULT,
        methods: &[],
        client: ClientPolicy::DEFAULT,
        mtls: None,
        callers: &[],
        web: None,
        rest: &[],
    };

    #[test]
    fn the_default_target_is_the_headless_service_of_the_namespace() {
        let Ok(Target::Dns { host, port }) = Client::new(&DEPLOY).target_address() else { panic!("a name") };
        assert!(host.starts_with("greeter-headless.") && host.ends_with(".svc.cluster.local"), "{host}");
        assert_eq!(port, 50051);
        let target = Client::new(&DEPLOY).target("localhost", 1).target_address();
        assert_eq!(target, Ok(Target::Dns { host: "localhost".into(), port: 1 }));
    }

    #[test]
    fn a_callee_is_found_at_its_variable_and_must_be_the_deploys_service() {
        static GREETER: Callee = Callee {
            app: "greeter",
            service: "greeter.v1.Greeter",
            address_env: "KUBERPC_CALL_GREETER_CLIENT_TEST",
            default_address: "greeter-headless:50051",
            methods: &["/greeter.v1.Greeter/SayHello"],
        };
        // Unset: the headless Service of this namespace, as without a callee.
        let Ok(Target::Dns { host, .. }) = Client::new(&DEPLOY).callee(&GREETER).target_address() else { panic!() };
        assert!(host.starts_with("greeter-headless."), "{host}");
        std::env::set_var(GREETER.address_env, "greeter-headless.greeter-prod.svc.cluster.local:50051");
        let target = Client::new(&DEPLOY).callee(&GREETER).target_address();
        std::env::remove_var(GREETER.address_env);
        let host = "greeter-headless.greeter-prod.svc.cluster.local".to_string();
        assert_eq!(target, Ok(Target::Dns { host, port: 50051 }));
        static OTHER: Callee = Callee { service: "journal.v1.Journal", ..GREETER };
        let error = Client::new(&DEPLOY).callee(&OTHER).target_address().unwrap_err().to_string();
        assert!(error.contains("journal.v1.Journal but the client's DEPLOY is greeter.v1.Greeter"), "{error}");
    }

    #[test]
    fn targets_split_into_host_and_port() {
        assert_eq!(split_host_port("a.b:80"), Some(("a.b".into(), 80)));
        assert_eq!(split_host_port("[::1]:80"), Some(("::1".into(), 80)));
        assert_eq!(split_host_port("nope"), None);
    }

    #[test]
    fn every_target_form_parses_and_others_are_refused() {
        let dns = |host: &str, port| Ok(Target::Dns { host: host.into(), port });
        assert_eq!("greeter:50051".parse(), dns("greeter", 50051));
        assert_eq!("http://127.0.0.1:8443".parse(), dns("127.0.0.1", 8443));
        assert_eq!("dns:///localhost:8443".parse(), dns("localhost", 8443));
        assert_eq!("[::1]:8443".parse(), dns("::1", 8443));
        let list: Result<Target, _> = "ipv4:10.0.0.1:1,10.0.0.2:2".parse();
        assert_eq!(list, Ok(Target::Addresses(vec!["10.0.0.1:1".parse().unwrap(), "10.0.0.2:2".parse().unwrap()])));
        assert!(matches!("ipv6:[::1]:5".parse(), Ok(Target::Addresses(a)) if a.len() == 1));
        for bad in ["greeter", "https://greeter:1", "dns://x/greeter:1", "ipv4:10.0.0.1", ":80", "unix:///tmp/s"] {
            let error = bad.parse::<Target>().expect_err(bad).to_string();
            assert!(error.contains(bad) && error.contains("host:port"), "{bad}: {error}");
        }
    }
}
