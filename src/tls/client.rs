//! The client's side: a connector that dials one pod over TCP and speaks TLS to it,
//! presenting the process's current certificate and checking the pod's against the current CA,
//! for the name the client dialed (`greeter-headless.prod.svc.cluster.local`: the pods of a
//! service share a certificate naming its Services) and for the callee's identity (its app's
//! ServiceAccount in its trust domain, and in the dialed name's namespace). No session is
//! resumed. What HTTP/2 writes in one scheduler turn leaves in one TLS record ([`Corked`]).

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio_rustls::rustls::client::Resumption;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, ClientConnection};
use tokio_rustls::TlsConnector;

use super::cork::Corked;
use super::stream::TlsIo;
use super::{provider, Current, Store, TlsError};

/// Who the pods dialed must be: the callee's ServiceAccount in its trust domain.
#[derive(Debug, Clone)]
pub(crate) struct Expected {
    pub(crate) trust_domain: &'static str,
    pub(crate) service_account: &'static str,
}

/// Dials pods of one service with mutual TLS; a tower service of `Uri`s (`http://<pod>:<port>`)
/// as tonic's `Endpoint::connect_with_connector_lazy` takes.
#[derive(Clone)]
pub(crate) struct MutualTlsConnector {
    /// The certificate's directory (`None`: the process's).
    dir: Option<PathBuf>,
    /// Made once the certificate could be read (until then each dial tries again).
    connector: Arc<OnceLock<TlsConnector>>,
    host: Arc<str>,
    expected: Expected,
    keepalive: Duration,
}

impl MutualTlsConnector {
    /// Dials with the certificate in `dir` (default: the process's, [`super::tls_dir`]) and
    /// checks each pod's for `host` (the name dialed) and `expected`. Without a usable
    /// certificate each connection fails, saying why.
    pub(crate) fn new(host: &str, dir: Option<PathBuf>, expected: Expected, keepalive: Duration) -> Self {
        Self { dir, connector: Arc::default(), host: host.into(), expected, keepalive }
    }

    fn connector(&self) -> Result<TlsConnector, TlsError> {
        if let Some(connector) = self.connector.get() {
            return Ok(connector.clone());
        }
        let store = Store::of_or_process(self.dir.as_deref())?;
        let current = Arc::new(Current(store));
        let mut config = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("ring supports the default TLS versions")
            .dangerous()
            .with_custom_certificate_verifier(current.clone())
            .with_client_cert_resolver(current);
        config.alpn_protocols = vec![b"h2".to_vec()];
        config.resumption = Resumption::disabled();
        Ok(self.connector.get_or_init(|| TlsConnector::from(Arc::new(config))).clone())
    }

    /// Whether the pod's certificate names the callee: the ServiceAccount and trust domain
    /// expected, and the namespace of the dialed name when it is a Service's full name.
    fn check_identity(&self, tls: &ClientConnection) -> Result<(), String> {
        let certificate = tls.peer_certificates().and_then(<[_]>::first);
        let id = certificate.and_then(|der| super::spiffe::spiffe_id(der));
        let Some(id) = id else { return Err(format!("{}: the pod's certificate has no SPIFFE ID", self.host)) };
        let namespace = self.host.split('.').nth(1).filter(|_| self.host.contains(".svc"));
        let matches = id.trust_domain() == self.expected.trust_domain
            && id.workload().is_some_and(|(ns, account)| {
                account == self.expected.service_account && namespace.is_none_or(|expected| ns == expected)
            });
        if matches {
            Ok(())
        } else {
            let Expected { trust_domain, service_account } = &self.expected;
            Err(format!("{}: the pod is {id}, not {service_account} of {trust_domain}", self.host))
        }
    }
}

impl tower::Service<http::Uri> for MutualTlsConnector {
    type Response = TokioIo<Corked<TlsIo<ClientConnection>>>;
    type Error = Box<dyn std::error::Error + Send + Sync>;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let connector = this.connector().map_err(|e| format!("mutual TLS: {e}"))?;
            let server_name = ServerName::try_from(this.host.to_string())?;
            let authority = uri.authority().ok_or("no address to dial")?.as_str().to_string();
            let tcp = TcpStream::connect(&authority).await?;
            tcp.set_nodelay(true)?;
            let _ =
                socket2::SockRef::from(&tcp).set_tcp_keepalive(&socket2::TcpKeepalive::new().with_time(this.keepalive));
            let tls = TlsIo::new(connector.connect(server_name, tcp).await?.into_inner())?;
            this.check_identity(tls.tls()).map_err(|e| format!("mutual TLS: {e}"))?;
            Ok(TokioIo::new(Corked::new(tls)))
        })
    }
}
