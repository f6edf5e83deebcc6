//! A test CA writing certificates as cert-manager's Secret lays them out, and a mutual-TLS
//! greeter with its clients, on 127.0.0.1. Included beside `common` (`#[path] mod mtls;`), by
//! the tests that need it and by the benchmarks.

#![allow(dead_code, unreachable_pub)]

use std::path::Path;
use std::time::Duration;

use greeter::pb::greeter_client::GreeterClient;
use greeter::pb::greeter_deploy;
use greeter::pb::greeter_server::GreeterServer;
use greeter::GreeterService;
use kuberpc::client::{Client, PolicyChannel};
use kuberpc::metrics::RpcMetrics;
use kuberpc::{Caller, Deploy, MutualTls};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair, SanType};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::common::Fixed;

pub const TRUST_DOMAIN: &str = "cluster.local";

/// A certificate authority of the test, issuing workload certificates into directories.
pub struct Ca(CertifiedIssuer<'static, KeyPair>);

impl Ca {
    pub fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(rcgen::DnType::CommonName, name);
        Self(CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap())
    }

    /// Writes a certificate of the service account `account` (namespace `default`, DNS name
    /// `localhost`) with a new key into `dir`; returns the certificate's DER.
    pub fn issue(&self, dir: &Path, account: &str) -> Vec<u8> {
        self.issue_for(dir, account, "localhost")
    }

    /// [`Ca::issue`] for the DNS name `dns`, laid out as the kubelet lays out a Secret's files:
    /// `tls.crt`, `tls.key` and `ca.crt` are links into `..data`, a link to a directory of this
    /// issue's files, replaced at once (a rename) by the next issue.
    pub fn issue_for(&self, dir: &Path, account: &str, dns: &str) -> Vec<u8> {
        self.issue_into(dir, account, dns, self)
    }

    /// [`Ca::issue`] of this CA's certificate whose holder trusts `trusted` (its `ca.crt`): an
    /// impostor that accepts the real server, so that a refusal can only be the server's.
    pub fn issue_trusting(&self, dir: &Path, account: &str, trusted: &Ca) -> Vec<u8> {
        self.issue_into(dir, account, "localhost", trusted)
    }

    fn issue_into(&self, dir: &Path, account: &str, dns: &str, trusted: &Ca) -> Vec<u8> {
        let mut params = CertificateParams::new(vec![dns.to_string()]).unwrap();
        let id = format!("spiffe://{TRUST_DOMAIN}/ns/default/sa/{account}");
        params.subject_alt_names.push(SanType::URI(id.as_str().try_into().unwrap()));
        params.extended_key_usages =
            vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth, rcgen::ExtendedKeyUsagePurpose::ClientAuth];
        let key = KeyPair::generate().unwrap();
        let certificate = params.signed_by(&key, &self.0).unwrap();
        std::fs::create_dir_all(dir).unwrap();
        let issue = tempfile::Builder::new().prefix("..issue-").tempdir_in(dir).unwrap().keep();
        let files = [("tls.key", key.serialize_pem()), ("tls.crt", certificate.pem()), ("ca.crt", trusted.0.pem())];
        for (name, text) in &files {
            std::fs::write(issue.join(name), text).unwrap();
        }
        let link = dir.join("..data.new");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(issue.file_name().unwrap(), &link).unwrap();
        std::fs::rename(&link, dir.join("..data")).unwrap();
        for (name, _) in &files {
            if std::fs::symlink_metadata(dir.join(name)).is_err() {
                std::os::unix::fs::symlink(Path::new("..data").join(name), dir.join(name)).unwrap();
            }
        }
        certificate.der().to_vec()
    }
}

/// The greeter with mutual TLS on, callable by `front` (SayHello only); without the example's
/// gRPC-Web, which mutual TLS excludes (a browser presents no certificate).
pub fn deploy() -> &'static Deploy {
    static CALLERS: &[Caller] = &[Caller {
        app: "front",
        service_account: "front",
        identity_env: "KUBERPC_CALLER_FRONT",
        methods: &["/greeter.v1.Greeter/SayHello"],
    }];
    let mtls = Some(MutualTls { trust_domain: TRUST_DOMAIN, health_port: 0 });
    let deploy: Deploy = Deploy { mtls, callers: CALLERS, web: None, rest: &[], ..greeter_deploy::DEPLOY };
    Box::leak(Box::new(deploy))
}

/// [`deploy`] without mutual TLS (and so without callers to check).
pub fn plaintext_twin() -> &'static Deploy {
    Box::leak(Box::new(Deploy { mtls: None, ..*deploy() }))
}

/// A mutual-TLS greeter serving with the certificate in `dir`.
pub struct Served {
    pub addr: std::net::SocketAddr,
    pub health: std::net::SocketAddr,
    _stop: oneshot::Sender<()>,
}

pub async fn serve(dir: &Path, metrics: RpcMetrics) -> Served {
    serve_with(dir, metrics, |server| server).await
}

/// [`serve`] with the server passed through `configure` (limits).
pub async fn serve_with(
    dir: &Path,
    metrics: RpcMetrics,
    configure: impl FnOnce(kuberpc::Server) -> kuberpc::Server,
) -> Served {
    serve_as(Some(dir), metrics, configure).await
}

/// The same server in plaintext: [`deploy`] without mutual TLS, otherwise as [`serve`] builds
/// it (the twin a measurement of what TLS costs compares with).
pub async fn serve_plaintext_twin(metrics: RpcMetrics) -> Served {
    serve_as(None, metrics, |server| server).await
}

/// [`serve_with`] speaking mutual TLS with the certificate in `dir`, or plaintext without one.
async fn serve_as(
    dir: Option<&Path>,
    metrics: RpcMetrics,
    configure: impl FnOnce(kuberpc::Server) -> kuberpc::Server,
) -> Served {
    // The callers' namespace, which the manifests set (every test sets the same value).
    std::env::set_var("POD_NAMESPACE", "default");
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let health = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (addr, health_addr) = (listener.local_addr().unwrap(), health.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let server = kuberpc::Server::new(dir.map_or_else(plaintext_twin, |_| deploy()))
        .add_service(GreeterServer::new(GreeterService::new("Hello")))
        .file_descriptor_set(greeter::FILE_DESCRIPTOR_SET)
        .health_listener(health)
        .metrics(metrics, None)
        .drain(Duration::ZERO);
    let server = configure(match dir {
        Some(dir) => server.tls_dir(dir),
        None => server,
    });
    tokio::spawn(server.serve_with_listener(listener, async {
        let _ = stopped.await;
    }));
    Served { addr, health: health_addr, _stop: stop }
}

/// A client of the greeter at `addr` (dialed as `localhost`) with the certificate in `dir`.
pub async fn client(addr: std::net::SocketAddr, dir: &Path) -> GreeterClient<PolicyChannel> {
    client_of(deploy(), addr, dir).await
}

/// [`client`] calling by `deploy` (the mutual-TLS greeter's facts, another client policy).
pub async fn client_of(
    deploy: &'static Deploy,
    addr: std::net::SocketAddr,
    dir: &Path,
) -> GreeterClient<PolicyChannel> {
    client_as(deploy, addr, Some(dir)).await
}

/// [`client_of`] a plaintext twin: the same client without a certificate.
pub async fn plaintext_client_of(deploy: &'static Deploy, addr: std::net::SocketAddr) -> GreeterClient<PolicyChannel> {
    client_as(deploy, addr, None).await
}

async fn client_as(
    deploy: &'static Deploy,
    addr: std::net::SocketAddr,
    dir: Option<&Path>,
) -> GreeterClient<PolicyChannel> {
    let client = Client::new(deploy).target("localhost", addr.port()).resolver(Fixed::new(vec![addr]));
    let client = match dir {
        Some(dir) => client.tls_dir(dir),
        None => client,
    };
    GreeterClient::new(client.connect().await.unwrap())
}
