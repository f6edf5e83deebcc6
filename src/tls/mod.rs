//! Mutual TLS: the pod's certificate, read from the files cert-manager's Secret puts in
//! [`CERT_DIR`](crate::CERT_DIR) (`tls.crt`, `tls.key`, `ca.crt`; [`TLS_DIR_ENV`] overrides
//! the directory), presented by the server and by every client of the process, and the CA that
//! must have signed every peer's.
//!
//! **Rotation.** When cert-manager renews the certificate, the kubelet swaps the Secret's files
//! at once (a symlink to a new directory). The process reads the files again at most every
//! [`RECHECK`], at a handshake (a read of three small files under a lock, in rustls' callback);
//! once they differ and form a matching certificate and key, new handshakes use them.
//! Connections already open keep theirs (a TLS session is not re-keyed by a new certificate),
//! so a rotation fails no call. Three reads that straddle a swap (a key that does not match the
//! certificate) are not taken, nor are files that are gone: the last good ones stay until the
//! next look, with a warning. No session is resumed: every connection is verified in full
//! against the current CA.
//!
//! An error about `tls.key` never quotes the file (a parser's message would).
//!
//! - `server`: the acceptor (client certificates required, ALPN `h2`) and the identity of each
//!   connection's peer.
//! - `client`: the connector a [`Client`](crate::client::Client) dials a mutual-TLS service with,
//!   which also checks the pod's identity.
//! - `cork`: a client connection's writes of one scheduler turn as one TLS record.
//! - `stream`: a connection's reads and writes once its handshake is over.
//! - `spiffe`: the [`SpiffeId`] in a certificate.

pub(crate) mod client;
mod cork;
pub(crate) mod server;
mod spiffe;
pub(crate) mod stream;
mod verify;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use tokio_rustls::rustls;
use tokio_rustls::rustls::client::WebPkiServerVerifier;
use tokio_rustls::rustls::crypto::CryptoProvider;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::danger::ClientCertVerifier;
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::sign::CertifiedKey;
use tokio_rustls::rustls::RootCertStore;

pub use server::PeerIdentity;
pub use spiffe::SpiffeId;

/// Overrides the directory of `tls.crt`, `tls.key` and `ca.crt` (default
/// [`CERT_DIR`](crate::CERT_DIR), where the manifests mount the certificate's Secret).
pub const TLS_DIR_ENV: &str = "KUBERPC_TLS_DIR";

/// How often at most the files are read again to find a renewed certificate.
pub const RECHECK: Duration = Duration::from_secs(1);

/// The directory the process reads its certificate from.
pub fn tls_dir() -> PathBuf {
    std::env::var_os(TLS_DIR_ENV).map_or_else(|| PathBuf::from(crate::CERT_DIR), PathBuf::from)
}

/// Why the certificate cannot be used: which file, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsError(String);

impl std::fmt::Display for TlsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TlsError {}

impl TlsError {
    pub(crate) fn new(message: String) -> Self {
        Self(message)
    }
}

/// The crypto every TLS config of the process uses: *ring*'s, preferring the cheapest strong
/// choices — X25519 key exchange, then P-256 (ring's own order starts with P-384, whose key
/// exchange made a handshake several times dearer), and AES-128-GCM (ring's starts with
/// AES-256-GCM with SHA-384). rustls 0.23.48 deprecates *ring*'s provider for lacking
/// post-quantum key exchange (X25519MLKEM768, which its aws-lc-rs provider has); *ring* is kept
/// because aws-lc-rs is a C library built with each crate that depends on it.
#[allow(deprecated)]
fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    PROVIDER
        .get_or_init(|| {
            use rustls::crypto::ring::{cipher_suite, default_provider, kx_group};
            let preferred = [cipher_suite::TLS13_AES_128_GCM_SHA256, cipher_suite::TLS13_AES_256_GCM_SHA384];
            let mut provider = default_provider();
            provider.cipher_suites.retain(|suite| !preferred.contains(suite));
            provider.cipher_suites.splice(0..0, preferred);
            provider.kx_groups = vec![kx_group::X25519, kx_group::SECP256R1, kx_group::SECP384R1];
            Arc::new(provider)
        })
        .clone()
}

/// One reading of the files: the pod's certificate and key, and the verifiers of peers built
/// from the CA.
pub(crate) struct Material {
    key: Arc<CertifiedKey>,
    clients: Arc<dyn ClientCertVerifier>,
    servers: Arc<WebPkiServerVerifier>,
}

impl std::fmt::Debug for Material {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Material").finish_non_exhaustive()
    }
}

/// The three files' contents.
type Files = [Vec<u8>; 3];

impl Material {
    fn read(dir: &Path) -> Result<(Files, Material), TlsError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|e| TlsError(format!("cannot read {}: {e}", path.display())))
        };
        let files = [read("tls.crt")?, read("tls.key")?, read("ca.crt")?];
        let material = Material::parse(dir, &files)?;
        Ok((files, material))
    }

    fn parse(dir: &Path, [chain, key, ca]: &Files) -> Result<Material, TlsError> {
        let at = |name: &str| dir.join(name).display().to_string();
        let certificates = |pem: &[u8], name: &str| -> Result<Vec<CertificateDer<'static>>, TlsError> {
            let certificates: Result<Vec<_>, _> = CertificateDer::pem_slice_iter(pem).collect();
            match certificates {
                Ok(certificates) if !certificates.is_empty() => Ok(certificates),
                Ok(_) => Err(TlsError(format!("{}: no PEM certificate", at(name)))),
                Err(e) => Err(TlsError(format!("{}: {e}", at(name)))),
            }
        };
        let chain = certificates(chain, "tls.crt")?;
        // Never the parser's message: for a mangled PEM it quotes the key's bytes.
        let key = PrivateKeyDer::from_pem_slice(key).map_err(|_| {
            TlsError(format!("{}: no complete PEM private key (PKCS#8, SEC1 or PKCS#1)", at("tls.key")))
        })?;
        let key = CertifiedKey::from_der(chain, key, &provider()).map_err(|e| {
            let why = match e {
                rustls::Error::InconsistentKeys(_) => "the key is not the certificate's".to_string(),
                rustls::Error::General(_) => "the key is of no kind this build can use".to_string(),
                other => other.to_string(),
            };
            TlsError(format!("{} and {}: {why}", at("tls.crt"), at("tls.key")))
        })?;
        let mut roots = RootCertStore::empty();
        for certificate in certificates(ca, "ca.crt")? {
            roots.add(certificate).map_err(|e| TlsError(format!("{}: {e}", at("ca.crt"))))?;
        }
        let roots = Arc::new(roots);
        let clients = WebPkiClientVerifier::builder_with_provider(roots.clone(), provider())
            .build()
            .map_err(|e| TlsError(format!("{}: {e}", at("ca.crt"))))?;
        let servers = WebPkiServerVerifier::builder_with_provider(roots, provider())
            .build()
            .map_err(|e| TlsError(format!("{}: {e}", at("ca.crt"))))?;
        Ok(Material { key: Arc::new(key), clients, servers })
    }
}

/// A store's material at each handshake: what the server's and the client's configs resolve
/// their certificate with and verify the peer's by.
#[derive(Debug)]
pub(crate) struct Current(pub(crate) Arc<Store>);

impl Current {
    fn material(&self) -> Arc<Material> {
        self.0.current()
    }
}

/// The certificate of the process, read again when it changes; see the module docs.
#[derive(Debug)]
pub(crate) struct Store {
    dir: PathBuf,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    files: Files,
    material: Arc<Material>,
    checked: Instant,
    /// The last unusable reading, reported once.
    rejected: Option<Files>,
    /// Whether the files were gone at the last look (reported once).
    missing: bool,
}

impl Store {
    /// The store of `dir`, shared by the server and every client of the process; an error
    /// names the file at fault. Not kept when it fails: the next call reads again.
    pub(crate) fn of(dir: &Path) -> Result<Arc<Store>, TlsError> {
        static STORES: OnceLock<Mutex<HashMap<PathBuf, Arc<Store>>>> = OnceLock::new();
        let mut stores = STORES.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
        if let Some(store) = stores.get(dir) {
            return Ok(store.clone());
        }
        let (files, material) = Material::read(dir)?;
        let state =
            State { files, material: Arc::new(material), checked: Instant::now(), rejected: None, missing: false };
        let store = Arc::new(Store { dir: dir.to_path_buf(), state: Mutex::new(state) });
        stores.insert(dir.to_path_buf(), store.clone());
        Ok(store)
    }

    /// The store of `dir`, or of [`tls_dir`] (the process's certificate).
    pub(crate) fn of_or_process(dir: Option<&Path>) -> Result<Arc<Store>, TlsError> {
        match dir {
            Some(dir) => Store::of(dir),
            None => Store::of(&tls_dir()),
        }
    }

    /// The current material, read again first when [`RECHECK`] has passed since the last look.
    pub(crate) fn current(&self) -> Arc<Material> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.checked.elapsed() >= RECHECK {
            state.checked = Instant::now();
            self.recheck(&mut state);
        }
        state.material.clone()
    }

    fn recheck(&self, state: &mut State) {
        let read = |name: &str| std::fs::read(self.dir.join(name));
        let files = match (read("tls.crt"), read("tls.key"), read("ca.crt")) {
            (Ok(chain), Ok(key), Ok(ca)) => [chain, key, ca],
            _ => {
                if !std::mem::replace(&mut state.missing, true) {
                    let dir = self.dir.display();
                    tracing::warn!(%dir, "the certificate's files are gone; keeping the last ones until they expire");
                }
                return;
            }
        };
        state.missing = false;
        if files == state.files || state.rejected.as_ref() == Some(&files) {
            return;
        }
        match Material::parse(&self.dir, &files) {
            Ok(material) => {
                tracing::info!(dir = %self.dir.display(), "certificate renewed: new connections use it");
                state.material = Arc::new(material);
                state.files = files;
                state.rejected = None;
            }
            Err(error) => {
                tracing::warn!(%error, "the certificate's files changed but cannot be used yet; keeping the last good ones");
                state.rejected = Some(files);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A CA's `ca.crt` and two certificate-and-key pairs it signed, as PEM.
    struct Issued {
        ca: String,
        pairs: Vec<(String, String)>,
    }

    fn issued() -> Issued {
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = rcgen::CertifiedIssuer::self_signed(ca, rcgen::KeyPair::generate().unwrap()).unwrap();
        let pairs = (0..2)
            .map(|_| {
                let key = rcgen::KeyPair::generate().unwrap();
                let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
                (params.signed_by(&key, &ca).unwrap().pem(), key.serialize_pem())
            })
            .collect();
        Issued { ca: ca.pem(), pairs }
    }

    fn write(dir: &Path, chain: &str, key: &str, ca: &str) {
        for (name, text) in [("tls.crt", chain), ("tls.key", key), ("ca.crt", ca)] {
            std::fs::write(dir.join(name), text).unwrap();
        }
    }

    fn presented(store: &Store) -> Vec<u8> {
        store.current().key.cert[0].to_vec()
    }

    /// Makes the next [`Store::current`] read the files again.
    fn look_again(store: &Store) {
        let mut state = store.state.lock().unwrap();
        state.checked = Instant::now().checked_sub(RECHECK).unwrap();
    }

    #[test]
    fn a_mangled_key_is_named_never_quoted() {
        let (dir, issued) = (tempfile::tempdir().unwrap(), issued());
        let (chain, key) = &issued.pairs[0];
        // `echo $KEY` without quotes: the newlines became spaces.
        write(dir.path(), chain, &key.replace('\n', " "), &issued.ca);
        let message = Store::of(dir.path()).unwrap_err().to_string();
        assert!(message.contains("tls.key: no complete PEM private key"), "{message}");
        let body: String = key.lines().filter(|l| !l.starts_with("-----")).collect();
        assert!(!message.contains(&body[..20]) && !message.contains("[45, 45"), "{message}");
        assert!(!message.contains('['), "a byte list: {message}");
    }

    #[test]
    fn a_renewal_is_taken_once_its_files_match_and_missing_files_keep_the_last() {
        let (dir, issued) = (tempfile::tempdir().unwrap(), issued());
        let [(first_chain, first_key), (second_chain, second_key)] = &issued.pairs[..] else { unreachable!() };
        write(dir.path(), first_chain, first_key, &issued.ca);
        let store = Store::of(dir.path()).unwrap();
        let first = presented(&store);

        // Reads that straddled a swap: the new certificate with the old key.
        write(dir.path(), second_chain, first_key, &issued.ca);
        look_again(&store);
        assert_eq!(presented(&store), first, "a certificate with another's key was taken");

        write(dir.path(), second_chain, second_key, &issued.ca);
        look_again(&store);
        let second = presented(&store);
        assert_ne!(second, first, "the renewal was not taken");

        for name in ["tls.crt", "tls.key", "ca.crt"] {
            std::fs::remove_file(dir.path().join(name)).unwrap();
        }
        look_again(&store);
        assert_eq!(presented(&store), second, "files gone: the last good certificate stays");
    }
}
