//! The server's side: a [`TlsAcceptor`] that presents the pod's current certificate, requires
//! one from every client, signed by the current CA, speaks only HTTP/2 (ALPN `h2`) and resumes
//! no session (each connection is verified in full); and [`PeerIdentity`], the SPIFFE ID of a
//! connection's client, which every request of the connection carries as an extension.

use std::sync::Arc;

use tokio_rustls::rustls::server::NoServerSessionStorage;
use tokio_rustls::rustls::{ServerConfig, ServerConnection};
use tokio_rustls::TlsAcceptor;

use super::{provider, Current, SpiffeId, Store};

/// The SPIFFE ID of the client of a mutual-TLS connection (`None`: its certificate carries
/// none that is valid), in each of the connection's requests' extensions.
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
    config.session_storage = Arc::new(NoServerSessionStorage {});
    config.send_tls13_tickets = 0;
    TlsAcceptor::from(Arc::new(config))
}

/// The identity of the peer of an accepted connection.
pub(crate) fn peer_identity(connection: &ServerConnection) -> PeerIdentity {
    let certificate = connection.peer_certificates().and_then(<[_]>::first);
    PeerIdentity(certificate.and_then(|der| super::spiffe::spiffe_id(der)))
}
