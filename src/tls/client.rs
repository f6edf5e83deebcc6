//! The client's side: a connector that dials one pod over TCP and speaks TLS to it,
//! presenting the process's current certificate and checking the pod's against the current CA
//! and the name the client dialed (`greeter-headless.prod.svc.cluster.local`: the pods of a
//! service share a certificate naming its Services).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use tokio_rustls::rustls::client::ResolvesClientCert;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio_rustls::rustls::sign::CertifiedKey;
use tokio_rustls::rustls::{self, ClientConfig, DigitallySignedStruct, SignatureScheme};
use tokio_rustls::TlsConnector;

use super::{provider, Store, TlsError};

/// Dials pods of one service with mutual TLS; a tower service of `Uri`s (`http://<pod>:<port>`)
/// as tonic's `Endpoint::connect_with_connector_lazy` takes.
#[derive(Clone)]
pub(crate) struct MutualTlsConnector {
    connector: Result<TlsConnector, TlsError>,
    server_name: ServerName<'static>,
    keepalive: Duration,
}

impl MutualTlsConnector {
    /// Dials with the certificate in `dir` (default: the process's, [`super::tls_dir`]) and
    /// checks each pod's for `host` (the name dialed). Without a usable certificate every
    /// connection fails, saying why.
    pub(crate) fn new(host: &str, dir: Option<&std::path::Path>, keepalive: Duration) -> Self {
        let store = match dir {
            Some(dir) => Store::of(dir),
            None => Store::process(),
        };
        let connector = store.map(|store| {
            let current = Arc::new(Current(store));
            let mut config = ClientConfig::builder_with_provider(provider())
                .with_safe_default_protocol_versions()
                .expect("ring supports the default TLS versions")
                .dangerous()
                .with_custom_certificate_verifier(current.clone())
                .with_client_cert_resolver(current);
            config.alpn_protocols = vec![b"h2".to_vec()];
            TlsConnector::from(Arc::new(config))
        });
        let server_name = ServerName::try_from(host.to_string())
            .unwrap_or_else(|_| ServerName::try_from("invalid.invalid").expect("a DNS name"));
        Self { connector, server_name, keepalive }
    }
}

impl tower::Service<http::Uri> for MutualTlsConnector {
    type Response = TokioIo<TlsStream<TcpStream>>;
    type Error = Box<dyn std::error::Error + Send + Sync>;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: http::Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            let connector = this.connector.map_err(|e| format!("mutual TLS: {e}"))?;
            let authority = uri.authority().ok_or("no address to dial")?.as_str().to_string();
            let tcp = TcpStream::connect(&authority).await?;
            tcp.set_nodelay(true)?;
            let keepalive = socket2_keepalive(this.keepalive);
            let _ = socket2::SockRef::from(&tcp).set_tcp_keepalive(&keepalive);
            let tls = connector.connect(this.server_name, tcp).await?;
            Ok(TokioIo::new(tls))
        })
    }
}

fn socket2_keepalive(every: Duration) -> socket2::TcpKeepalive {
    socket2::TcpKeepalive::new().with_time(every)
}

/// The store's material at each handshake.
#[derive(Debug)]
struct Current(Arc<Store>);

impl ResolvesClientCert for Current {
    fn resolve(&self, _: &[&[u8]], _: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        Some(self.0.current().key.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

impl ServerCertVerifier for Current {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.0.current().servers.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.current().servers.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.current().servers.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.current().servers.supported_verify_schemes()
    }
}
