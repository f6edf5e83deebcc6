//! [`Server`]: one call serves a generated service the way Kubernetes expects.
//!
//! Health (grpc.health.v1) reports SERVING for every added service and for `""`, which the
//! manifests' native gRPC probes ask. Reflection is served as v1 and v1alpha (grpcurl and
//! Python's reflection client only speak v1alpha), health descriptors included. Every call
//! gets a span ([`crate::trace`]).
//!
//! Stopping (SIGTERM/SIGINT, or the test's shutdown future): health flips to NOT_SERVING,
//! the server keeps serving for the drain delay so endpoints and clients let go, then stops
//! accepting and lets in-flight calls finish — and returns no later than the grace period
//! the kubelet leaves after its own preStop drain.
//!
//! Mutual TLS (`DEPLOY.mtls`): the gRPC port speaks only TLS, presents the pod's certificate
//! and requires the caller's, signed by the same CA ([`crate::tls`]: read from the mounted
//! Secret, renewed without a restart); each call is checked against the callers the call graph
//! declares (PERMISSION_DENIED naming the method otherwise). `grpc.health.v1` alone is also
//! served in plaintext on the health port, which the kubelet's probes ask: a native gRPC probe
//! cannot present a client certificate.
//!
//! gRPC-Web (`DEPLOY.web`): the port also speaks HTTP/1.1, and browsers' gRPC-Web calls go
//! through the same stack as gRPC calls, with CORS for the allowed origins ([`crate::web`]).
//! Without it nothing of gRPC-Web is in a call's path. REST bindings (`DEPLOY.rest`, from
//! `google.api.http`): the port also speaks HTTP/1.1, and each binding is answered with JSON by
//! a call through the same stack ([`crate::rest`]); it needs the service's descriptors
//! ([`Server::file_descriptor_set`]), or serving fails with [`ServerError::Rest`].
//!
//! What one peer may hold (streams per connection, header size, how long a connection may take
//! to say hello or stay idle) is bounded by [`Limits`], each limit set by a setter here
//! ([`Server::max_concurrent_streams`] …) that names its default.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tonic::body::Body;
use tonic::server::NamedService;
use tonic::service::RoutesBuilder;
use tonic_health::server::HealthReporter;
use tonic_health::ServingStatus;
use tower::Service;

use crate::authorize::{Authorization, AuthorizeLayer};
use crate::connection::Protocols;
use crate::limits::Limits;
use crate::metrics::RpcMetrics;
use crate::tls::{Store, TlsError};
use crate::trace::CallTraceLayer;

/// Ends a background task (the metrics endpoint) when the server returns.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
use crate::Deploy;

/// Overrides the whole bind address (`127.0.0.1:0` in tests). Default `0.0.0.0:<port>`.
pub const ADDR_ENV: &str = "KUBERPC_ADDR";
/// Overrides the port; the manifests set it to the generated port.
pub const PORT_ENV: &str = "KUBERPC_PORT";
/// Where [`Server::serve`] serves `/metrics` (e.g. `0.0.0.0:9090`); unset: no metrics endpoint.
pub const METRICS_ADDR_ENV: &str = "KUBERPC_METRICS_ADDR";
/// Overrides the drain delay in seconds.
pub const DRAIN_ENV: &str = "KUBERPC_DRAIN_SECONDS";
/// Overrides the whole bind address of the plaintext health port of a mutual-TLS server.
/// Default `0.0.0.0:<health_port>`.
pub const HEALTH_ADDR_ENV: &str = "KUBERPC_HEALTH_ADDR";

/// Why serving failed.
#[derive(Debug)]
pub enum ServerError {
    /// The bind address could not be parsed or bound.
    Bind(String),
    /// The transport failed. (Not returned since the server drives its connections itself;
    /// kept so that code matching on it still compiles.)
    Transport(tonic::transport::Error),
    /// Reflection could not load a descriptor set.
    Reflection(tonic_reflection::server::Error),
    /// Telemetry could not be installed ([`crate::telemetry::init`]).
    Telemetry(crate::telemetry::TelemetryError),
    /// Mutual TLS is on and the certificate cannot be used: which file, and why.
    Tls(TlsError),
    /// gRPC-Web is on and the environment's origins cannot be used.
    Web(crate::web::OriginsError),
    /// The REST bindings cannot be served (their descriptors are missing).
    Rest(crate::rest::RestError),
}

impl From<crate::telemetry::TelemetryError> for ServerError {
    fn from(error: crate::telemetry::TelemetryError) -> Self {
        ServerError::Telemetry(error)
    }
}

impl std::fmt::Display for ServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServerError::Bind(e) => write!(f, "cannot bind: {e}"),
            ServerError::Transport(e) => write!(f, "transport error: {e}"),
            ServerError::Reflection(e) => write!(f, "reflection: {e}"),
            ServerError::Telemetry(e) => write!(f, "telemetry: {e}"),
            ServerError::Tls(e) => write!(f, "mutual TLS: {e}"),
            ServerError::Web(e) => write!(f, "gRPC-Web: {e}"),
            ServerError::Rest(e) => write!(f, "REST: {e}"),
        }
    }
}

impl std::error::Error for ServerError {}

/// Builder for serving generated services; see the module docs.
#[derive(Debug)]
pub struct Server {
    deploy: &'static Deploy,
    routes: RoutesBuilder,
    services: Vec<&'static str>,
    descriptor_sets: Vec<&'static [u8]>,
    drain: Duration,
    metrics: Option<(RpcMetrics, Option<TcpListener>)>,
    reflection: bool,
    limits: Limits,
    tls_dir: Option<std::path::PathBuf>,
    health_listener: Option<TcpListener>,
    web_origins: Option<Vec<String>>,
}

impl Server {
    /// A server for the service described by `deploy` (`<service>_deploy::DEPLOY`); its methods'
    /// latency objectives become bounds of the call duration histograms. The drain
    /// delay defaults to the deploy's [`Lifecycle::drain`](crate::Lifecycle::drain), or `KUBERPC_DRAIN_SECONDS` when set.
    pub fn new(deploy: &'static Deploy) -> Self {
        crate::metrics::add_objective_bounds(deploy);
        let drain =
            std::env::var(DRAIN_ENV).ok().and_then(|s| s.parse::<u32>().ok()).map(|s| Duration::from_secs(s.into()));
        Self {
            deploy,
            routes: RoutesBuilder::default(),
            services: Vec::new(),
            descriptor_sets: Vec::new(),
            drain: drain.unwrap_or_else(|| deploy.lifecycle.drain()),
            metrics: None,
            reflection: deploy.reflection,
            limits: Limits::default(),
            tls_dir: None,
            health_listener: None,
            web_origins: None,
        }
    }

    /// Reads the certificate of a mutual-TLS server from `dir` instead of
    /// [`tls::tls_dir`](crate::tls::tls_dir) (`KUBERPC_TLS_DIR`, else where the manifests mount it).
    pub fn tls_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.tls_dir = Some(dir.into());
        self
    }

    /// Serves the plaintext health port of a mutual-TLS server on `listener` ([`Server::serve`]
    /// binds `0.0.0.0:<health_port>`, or `KUBERPC_HEALTH_ADDR`): `grpc.health.v1` only, for the
    /// kubelet's probes, which cannot present a certificate.
    pub fn health_listener(mut self, listener: TcpListener) -> Self {
        self.health_listener = Some(listener);
        self
    }

    /// Admits gRPC-Web calls from pages on `origins` (`*`: any) instead of the service's or the
    /// environment's ([`crate::WEB_ORIGINS_ENV`]); the service must have `web` (serving fails
    /// otherwise, as it does for an origin the generator would refuse).
    pub fn web_origins(mut self, origins: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.web_origins = Some(origins.into_iter().map(Into::into).collect());
        self
    }

    /// Keeps RPC metrics in `metrics` and serves them at `/metrics` on `listener` while the
    /// server runs (a listener of its own: the gRPC port stays HTTP/2 only).
    pub fn metrics(mut self, metrics: RpcMetrics, listener: Option<TcpListener>) -> Self {
        self.metrics = Some((metrics, listener));
        self
    }

    /// Adds a generated service (e.g. `GreeterServer::new(handler)`); health reports it.
    pub fn add_service<S>(mut self, service: S) -> Self
    where
        S: Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
            + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        self.services.push(S::NAME);
        self.routes.add_service(service);
        self
    }

    /// Serves reflection for the files in this encoded `FileDescriptorSet`
    /// (`kuberpc::include_descriptor_set!()`).
    pub fn file_descriptor_set(mut self, encoded: &'static [u8]) -> Self {
        self.descriptor_sets.push(encoded);
        self
    }

    /// Replaces the drain delay (tests use a short one).
    pub fn drain(mut self, delay: Duration) -> Self {
        self.drain = delay;
        self
    }

    /// Serves reflection (v1 and v1alpha) or not. Health is served either way.
    ///
    /// Default: the service's `reflection` option ([`Deploy::reflection`]), on unless it says
    /// otherwise.
    pub fn reflection(mut self, on: bool) -> Self {
        self.reflection = on;
        self
    }

    /// The limits this server will serve with ([`Limits`]; the setters below change them).
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Streams one HTTP/2 connection may have open at once (`SETTINGS_MAX_CONCURRENT_STREAMS`;
    /// further ones are refused).
    ///
    /// Default: 200.
    pub fn max_concurrent_streams(mut self, max: u32) -> Self {
        self.limits.max_concurrent_streams = max;
        self
    }

    /// Streams the server may reset because of a peer's errors (streams refused past
    /// [`Server::max_concurrent_streams`] included) before it ends that peer's connection.
    ///
    /// Default: 1024.
    pub fn max_local_error_resets(mut self, max: usize) -> Self {
        self.limits.max_local_error_resets = max;
        self
    }

    /// The most bytes a request's headers may decode to (`SETTINGS_MAX_HEADER_LIST_SIZE`).
    ///
    /// Default: 16 KiB.
    pub fn max_header_list_size(mut self, bytes: u32) -> Self {
        self.limits.max_header_list_size = bytes;
        self
    }

    /// How long a new connection may take to send the HTTP/2 preface (with `web`, also the
    /// first bytes of an HTTP/1.1 head, and then each whole head) before it is closed.
    ///
    /// Default: 10 s.
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.limits.handshake_timeout = timeout;
        self
    }

    /// How many TLS handshakes a mutual-TLS server runs at once; the others wait for a turn
    /// within their handshake deadline.
    ///
    /// Default: 64.
    pub fn max_tls_handshakes(mut self, max: usize) -> Self {
        self.limits.max_tls_handshakes = max;
        self
    }

    /// How long a connection may go without a new call before it is asked to go away
    /// (`GOAWAY`: calls running on it finish); `None`: for ever.
    ///
    /// Default: 10 minutes.
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.limits.idle_timeout = timeout;
        self
    }

    /// How long a peer may stay silent before the server pings it (HTTP/2 keepalive); `None`:
    /// no pings.
    ///
    /// Default: 60 s.
    pub fn keepalive_interval(mut self, interval: Option<Duration>) -> Self {
        self.limits.keepalive_interval = interval;
        self
    }

    /// How long a keepalive ping may go unanswered before the connection is closed.
    ///
    /// Default: 20 s.
    pub fn keepalive_timeout(mut self, timeout: Duration) -> Self {
        self.limits.keepalive_timeout = timeout;
        self
    }

    /// How long a request to the metrics endpoint may take to send its head (request line and
    /// headers); a kept-alive connection is closed when no next request comes in that time.
    ///
    /// Default: 5 s.
    pub fn metrics_header_read_timeout(mut self, timeout: Duration) -> Self {
        self.limits.metrics_header_read_timeout = timeout;
        self
    }

    /// The most bytes a metrics request's head may take (no less than 8 KiB: smaller values
    /// count as 8 KiB).
    ///
    /// Default: 16 KiB.
    pub fn metrics_max_header_bytes(mut self, bytes: usize) -> Self {
        self.limits.metrics_max_header_bytes = bytes;
        self
    }

    /// The address to bind: `KUBERPC_ADDR`, else `0.0.0.0:` + (`KUBERPC_PORT` or the
    /// generated port).
    pub fn bind_address(&self) -> Result<SocketAddr, ServerError> {
        if let Ok(addr) = std::env::var(ADDR_ENV) {
            return addr.parse().map_err(|e| ServerError::Bind(format!("{ADDR_ENV}={addr}: {e}")));
        }
        let port = match std::env::var(PORT_ENV) {
            Ok(port) => port.parse().map_err(|e| ServerError::Bind(format!("{PORT_ENV}={port}: {e}")))?,
            Err(_) => self.deploy.port,
        };
        Ok(SocketAddr::from(([0, 0, 0, 0], port)))
    }

    /// Binds [`Server::bind_address`], prints it, and serves until SIGTERM or SIGINT; with
    /// `KUBERPC_METRICS_ADDR` set (and no [`Server::metrics`]), also serves the process's
    /// metrics ([`RpcMetrics::global`]: this server's calls, the calls its clients make, the
    /// process) at `/metrics` there.
    pub async fn serve(mut self) -> Result<(), ServerError> {
        let addr = self.bind_address()?;
        let listener = TcpListener::bind(addr).await.map_err(|e| ServerError::Bind(format!("{addr}: {e}")))?;
        let local = listener.local_addr().map_err(|e| ServerError::Bind(e.to_string()))?;
        println!("{} serving {} on {local}", self.deploy.app, self.deploy.service);
        if let (Some(mtls), None) = (self.deploy.mtls, &self.health_listener) {
            let health_addr = std::env::var(HEALTH_ADDR_ENV).ok();
            let bind_error = |e: String| ServerError::Bind(format!("health port {health_addr:?}: {e}"));
            let addr = match &health_addr {
                Some(addr) => addr.parse().map_err(|e: std::net::AddrParseError| bind_error(e.to_string()))?,
                None => SocketAddr::from(([0, 0, 0, 0], mtls.health_port)),
            };
            let listener = TcpListener::bind(addr).await.map_err(|e| bind_error(e.to_string()))?;
            println!("{} health (plaintext, for probes) on {addr}", self.deploy.app);
            self.health_listener = Some(listener);
        }
        if let (None, Ok(metrics_addr)) = (&self.metrics, std::env::var(METRICS_ADDR_ENV)) {
            let bind_error = |e: String| ServerError::Bind(format!("{METRICS_ADDR_ENV}={metrics_addr}: {e}"));
            let parsed: SocketAddr =
                metrics_addr.parse().map_err(|e: std::net::AddrParseError| bind_error(e.to_string()))?;
            let metrics_listener = TcpListener::bind(parsed).await.map_err(|e| bind_error(e.to_string()))?;
            println!("{} metrics on http://{parsed}/metrics", self.deploy.app);
            self.metrics = Some((RpcMetrics::global().clone(), Some(metrics_listener)));
        }
        self.serve_with_listener(listener, termination_signal()).await
    }

    /// Serves on `listener` until `stop` completes, then drains (see the module docs).
    pub async fn serve_with_listener(
        mut self,
        listener: TcpListener,
        stop: impl Future<Output = ()> + Send,
    ) -> Result<(), ServerError> {
        let tls = self.tls_acceptor()?;
        let (health, health_service) = tonic_health::server::health_reporter();
        set_all(&health, &self.services, ServingStatus::Serving).await;
        let _health_task =
            self.health_listener.take().map(|listener| spawn_health(listener, &health_service, self.limits));
        let reflection = if self.reflection { Some(self.reflection_services()?) } else { None };
        let mut routes = self.routes;
        routes.add_service(health_service);
        if let Some((v1, v1alpha)) = reflection {
            routes.add_service(v1).add_service(v1alpha);
        }
        let limits = self.limits;

        let drain = self.drain;
        // What the kubelet leaves after its own preStop drain, minus this drain.
        let grace = self.deploy.lifecycle.after_drain();
        let (stopped_tx, stopped_rx) = tokio::sync::oneshot::channel::<()>();
        let services = self.services.clone();
        let shutdown = async move {
            stop.await;
            tracing::info!(drain_ms = drain.as_millis() as u64, "stopping: NOT_SERVING, draining");
            set_all(&health, &services, ServingStatus::NotServing).await;
            tokio::time::sleep(drain).await;
            tracing::info!("drained: no new connections, finishing in-flight calls");
            let _ = stopped_tx.send(());
        };
        let (metrics, metrics_listener) = self.metrics.map_or((None, None), |(m, l)| (Some(m), l));
        let _metrics_task = metrics_listener.zip(metrics.clone()).map(|(listener, metrics)| {
            AbortOnDrop(tokio::spawn(crate::metrics::serve_metrics_limited(listener, metrics, limits)))
        });
        let authorization = (self.deploy.mtls.as_ref())
            .map(|mtls| Authorization::new(self.deploy, mtls, metrics.clone()).map(Arc::new))
            .transpose()
            .map_err(ServerError::Tls)?;
        let web = crate::web::origins(self.deploy, self.web_origins.as_deref(), |name| std::env::var(name))
            .map_err(ServerError::Web)?;
        let rest = crate::rest::Routes::of(self.deploy, &self.descriptor_sets).map_err(ServerError::Rest)?;
        let protocols = if self.deploy.speaks_http1() { Protocols::Http1And2 } else { Protocols::Http2 };
        let grpc = tower::ServiceBuilder::new()
            .layer(CallTraceLayer::with_metrics(metrics).methods(self.deploy))
            .layer(crate::deadline::DeadlineLayer)
            .layer(AuthorizeLayer(authorization))
            .service(routes.routes().prepare());
        let service = match self.deploy.speaks_http1() {
            true => tower::util::Either::Left(crate::dispatch::Dispatch::new(grpc, web.as_deref(), rest)),
            false => tower::util::Either::Right(grpc),
        };
        let serving = crate::connection::serve(
            incoming_with(listener, protocols, limits),
            service,
            (protocols, limits),
            tls,
            shutdown,
        );
        tokio::pin!(serving);
        tokio::select! {
            () = &mut serving => return Ok(()),
            _ = stopped_rx => {}
        }
        // Drained: in-flight calls get what is left of the grace period, then we return.
        let left = grace.saturating_sub(drain);
        match tokio::time::timeout(left, serving).await {
            Ok(()) => Ok(()),
            Err(_) => {
                tracing::warn!(left_ms = left.as_millis() as u64, "in-flight calls outlived the grace period");
                Ok(())
            }
        }
    }

    /// The TLS acceptor of a mutual-TLS server; an error names the file at fault.
    fn tls_acceptor(&self) -> Result<Option<tokio_rustls::TlsAcceptor>, ServerError> {
        if self.deploy.mtls.is_none() {
            return Ok(None);
        }
        let store = Store::of_or_process(self.tls_dir.as_deref()).map_err(ServerError::Tls)?;
        Ok(Some(crate::tls::server::acceptor(store)))
    }

    fn reflection_services(
        &self,
    ) -> Result<
        (
            tonic_reflection::server::v1::ServerReflectionServer<impl tonic_reflection::server::v1::ServerReflection>,
            tonic_reflection::server::v1alpha::ServerReflectionServer<
                impl tonic_reflection::server::v1alpha::ServerReflection,
            >,
        ),
        ServerError,
    > {
        let configure = || {
            let mut builder = tonic_reflection::server::Builder::configure()
                .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET);
            for set in &self.descriptor_sets {
                builder = builder.register_encoded_file_descriptor_set(set);
            }
            builder
        };
        let v1 = configure().build_v1().map_err(ServerError::Reflection)?;
        let v1alpha = configure().build_v1alpha().map_err(ServerError::Reflection)?;
        Ok((v1, v1alpha))
    }
}

/// Serves `grpc.health.v1` alone, in plaintext, on `listener` (the health port of a mutual-TLS
/// server) until dropped; it reports what `health` reports on the gRPC port.
fn spawn_health(
    listener: TcpListener,
    health: &tonic_health::pb::health_server::HealthServer<impl tonic_health::pb::health_server::Health>,
    limits: Limits,
) -> AbortOnDrop {
    let mut routes = RoutesBuilder::default();
    routes.add_service(health.clone());
    let serving = crate::connection::serve(
        incoming(listener),
        routes.routes().prepare(),
        (Protocols::Http2, limits),
        None,
        std::future::pending(),
    );
    AbortOnDrop(tokio::spawn(serving))
}

/// Accepted connections with TCP_NODELAY, as tonic sets when it binds itself: without it,
/// Nagle's algorithm and delayed ACKs stall streamed messages by ~40 ms. Out of file
/// descriptors, the loop rests instead of spinning ([`crate::accept`]).
fn incoming(listener: TcpListener) -> impl futures_util::Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    incoming_with(listener, Protocols::Http2, Limits::default())
}

/// The accepted connections of `listener`; where HTTP/1.1 is spoken (which has no pings), with
/// TCP keepalive probes after `limits`' keepalive interval of silence ([`Limits`]).
fn incoming_with(
    listener: TcpListener,
    protocols: Protocols,
    limits: Limits,
) -> impl futures_util::Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    let incoming = tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
    let incoming = match (protocols, limits.keepalive_interval) {
        (Protocols::Http1And2, Some(interval)) => incoming
            .with_keepalive(Some(interval))
            .with_keepalive_interval(Some(limits.keepalive_timeout))
            .with_keepalive_retries(Some(3)),
        _ => incoming,
    };
    crate::accept::resting(incoming)
}

async fn set_all(health: &HealthReporter, services: &[&'static str], status: ServingStatus) {
    for name in services.iter().copied().chain([""]) {
        health.set_service_status(name, status).await;
    }
}

/// Completes on SIGTERM (what the kubelet sends) or SIGINT (Ctrl-C).
async fn termination_signal() {
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(term) => term,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use tokio_stream::StreamExt;

    use super::*;

    /// Without TCP_NODELAY a streamed reply waits for the client's delayed ACK (~40 ms).
    #[tokio::test]
    async fn accepted_connections_have_nodelay() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut incoming = std::pin::pin!(incoming(listener));
        let _client = tokio::net::TcpStream::connect(addr).await.unwrap();
        let accepted = incoming.next().await.unwrap().unwrap();
        assert!(accepted.nodelay().unwrap());
    }
}
