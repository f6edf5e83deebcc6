//! Balanced, in-cluster clients.
//!
//! gRPC keeps one HTTP/2 connection open, so a ClusterIP Service pins each client to one pod.
//! [`Client`] instead resolves the headless Service (`<app>-headless.<namespace>.svc.cluster.local`)
//! to every pod address, re-resolves it periodically, and balances calls over all of them
//! (tonic's balanced channel: endpoints that disappear from DNS are dropped, new ones added).
//! The channel it returns applies each method's deadline and retry policy
//! ([`PolicyChannel`]).

use std::collections::BTreeSet;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tonic::transport::channel::Change;
use tonic::transport::{Channel, Endpoint};

pub use crate::policy::{PolicyChannel, MAX_ATTEMPTS};
use crate::Deploy;

/// Overrides the target (`host:port`) of every [`Client`] in the process.
pub const TARGET_ENV: &str = "KUBERPC_TARGET";
/// The pod's namespace, set by the generated manifests through the downward API.
pub const NAMESPACE_ENV: &str = "POD_NAMESPACE";
/// How often DNS is asked again by default.
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(5);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

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

/// Builder of a balanced channel to one generated service.
#[derive(Clone)]
pub struct Client {
    deploy: &'static Deploy,
    target: Option<(String, u16)>,
    resolver: Arc<dyn Resolve>,
    refresh: Duration,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("service", &self.deploy.service).field("target", &self.target_address()).finish()
    }
}

impl Client {
    /// A client of the service `deploy` describes, targeting its headless Service in the
    /// pod's namespace, through DNS, re-resolved every [`DEFAULT_REFRESH`].
    pub fn new(deploy: &'static Deploy) -> Self {
        Self { deploy, target: None, resolver: Arc::new(Dns), refresh: DEFAULT_REFRESH }
    }

    /// Targets `host:port` instead of the headless Service.
    pub fn target(mut self, host: impl Into<String>, port: u16) -> Self {
        self.target = Some((host.into(), port));
        self
    }

    /// Resolves names with `resolver` instead of DNS.
    pub fn resolver(mut self, resolver: impl Resolve) -> Self {
        self.resolver = Arc::new(resolver);
        self
    }

    /// Re-resolves every `every`.
    pub fn refresh(mut self, every: Duration) -> Self {
        self.refresh = every;
        self
    }

    /// The host and port the channel resolves: the builder's, else `KUBERPC_TARGET`, else
    /// `<headless>.<POD_NAMESPACE or default>.svc.cluster.local:<port>`.
    pub fn target_address(&self) -> (String, u16) {
        if let Some(target) = &self.target {
            return target.clone();
        }
        if let Some((host, port)) = std::env::var(TARGET_ENV).ok().and_then(|t| split_host_port(&t)) {
            return (host, port);
        }
        let namespace = std::env::var(NAMESPACE_ENV).unwrap_or_else(|_| "default".to_string());
        (format!("{}.{namespace}.svc.cluster.local", self.deploy.headless_service), self.deploy.port)
    }

    /// Resolves once (so the first call has endpoints when any exist), then keeps the set of
    /// endpoints current in a background task that ends when the channel is dropped.
    pub async fn connect(self) -> PolicyChannel {
        let (host, port) = self.target_address();
        let (channel, changes) = Channel::balance_channel::<SocketAddr>(64);
        let mut known = BTreeSet::new();
        sync_endpoints(&*self.resolver, &host, port, &mut known, &changes).await;
        let resolver = self.resolver.clone();
        let refresh = self.refresh;
        tokio::spawn(async move {
            while !changes.is_closed() {
                tokio::time::sleep(refresh).await;
                sync_endpoints(&*resolver, &host, port, &mut known, &changes).await;
            }
        });
        PolicyChannel::new(channel, self.deploy)
    }
}

/// Resolves `host` and sends the differences with `known` to the balancer.
async fn sync_endpoints(
    resolver: &dyn Resolve,
    host: &str,
    port: u16,
    known: &mut BTreeSet<SocketAddr>,
    changes: &tokio::sync::mpsc::Sender<Change<SocketAddr, Endpoint>>,
) {
    let resolved: BTreeSet<SocketAddr> = match resolver.resolve(host, port).await {
        Ok(addresses) => addresses.into_iter().collect(),
        Err(error) => {
            // Keep the endpoints we have: a DNS hiccup must not empty the balancer.
            tracing::warn!(%host, %error, "resolving failed; keeping the known endpoints");
            return;
        }
    };
    for gone in known.difference(&resolved).copied().collect::<Vec<_>>() {
        if changes.send(Change::Remove(gone)).await.is_err() {
            return;
        }
        known.remove(&gone);
    }
    for new in resolved.difference(known).copied().collect::<Vec<_>>() {
        let Ok(endpoint) = Endpoint::from_shared(format!("http://{new}")) else { continue };
        let endpoint = endpoint.connect_timeout(CONNECT_TIMEOUT).tcp_nodelay(true);
        if changes.send(Change::Insert(new, endpoint)).await.is_err() {
            return;
        }
        known.insert(new);
    }
}

fn split_host_port(target: &str) -> Option<(String, u16)> {
    let (host, port) = target.rsplit_once(':')?;
    Some((host.trim_matches(['[', ']']).to_string(), port.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    static DEPLOY: Deploy = Deploy {
        app: "greeter",
        service: "greeter.v1.Greeter",
        port: 50051,
        headless_service: "greeter-headless",
        drain_seconds: 5,
        termination_grace_seconds: 30,
        methods: &[],
    };

    #[test]
    fn the_default_target_is_the_headless_service_of_the_namespace() {
        let (host, port) = Client::new(&DEPLOY).target_address();
        assert!(host.starts_with("greeter-headless.") && host.ends_with(".svc.cluster.local"), "{host}");
        assert_eq!(port, 50051);
        assert_eq!(Client::new(&DEPLOY).target("localhost", 1).target_address(), ("localhost".to_string(), 1));
    }

    #[test]
    fn targets_split_into_host_and_port() {
        assert_eq!(split_host_port("a.b:80"), Some(("a.b".into(), 80)));
        assert_eq!(split_host_port("[::1]:80"), Some(("::1".into(), 80)));
        assert_eq!(split_host_port("nope"), None);
    }
}
