//! The server's side: a [`TlsAcceptor`] that presents the pod's current certificate, requires
//! one from every client, signed by the current CA, and speaks only HTTP/2 (ALPN `h2`); and
//! [`PeerIdentity`], the SPIFFE ID of a connection's client, which every request of the
//! connection carries as an extension.

use std::sync::Arc;

use tokio_rustls::rustls::client::danger::HandshakeSignatureValid;
use tokio_rustls::rustls::pki_types::{CertificateDer, UnixTime};
use tokio_rustls::rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use tokio_rustls::rustls::server::{ClientHello, ResolvesServerCert};
use tokio_rustls::rustls::sign::CertifiedKey;
use tokio_rustls::rustls::{self, DigitallySignedStruct, DistinguishedName, ServerConfig, SignatureScheme};
use tokio_rustls::TlsAcceptor;

use super::{provider, SpiffeId, Store};

/// The SPIFFE ID of the client of a mutual-TLS connection (`None`: its certificate carries
/// none), in each of the connection's requests' extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerIdentity(pub Option<SpiffeId>);

/// The acceptor of a mutual-TLS server reading `store`.
pub(crate) fn acceptor(store: Arc<Store>) -> TlsAcceptor {
    let current = Arc::new(Current(store));
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_client_cert_verifier(current.clone())
        .with_cert_resolver(current);
    config.alpn_protocols = vec![b"h2".to_vec()];
    TlsAcceptor::from(Arc::new(config))
}

/// The identity of the peer of an accepted connection.
pub(crate) fn peer_identity<IO>(stream: &tokio_rustls::server::TlsStream<IO>) -> PeerIdentity {
    let certificate = stream.get_ref().1.peer_certificates().and_then(<[_]>::first);
    PeerIdentity(certificate.and_then(|der| super::spiffe::spiffe_id(der)))
}

/// The store's material at each handshake.
#[derive(Debug)]
struct Current(Arc<Store>);

impl ResolvesServerCert for Current {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.current().key.clone())
    }
}

impl ClientCertVerifier for Current {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        // Hints are optional; the CA may change under a borrowed list.
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.0.current().clients.verify_client_cert(end_entity, intermediates, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.current().clients.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.current().clients.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.current().clients.supported_verify_schemes()
    }
}
