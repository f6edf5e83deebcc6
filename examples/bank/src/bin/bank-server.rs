//! `bank-server teller|vault`: serves one of the bank's services with `kuberpc::Server`, over
//! mutual TLS (the certificate cert-manager's Secret mounts), health in plaintext on its port.

use bank::pb::teller_server::TellerServer;
use bank::pb::vault_server::VaultServer;
use bank::pb::{teller_deploy, vault_deploy};
use bank::{TellerService, VaultService};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _telemetry = kuberpc::telemetry::init()?;
    let server = match std::env::args().nth(1).as_deref() {
        Some("vault") => {
            kuberpc::Server::new(&vault_deploy::DEPLOY).add_service(VaultServer::new(VaultService::default()))
        }
        Some("teller") => {
            kuberpc::Server::new(&teller_deploy::DEPLOY).add_service(TellerServer::new(TellerService::connect().await?))
        }
        _ => return Err("usage: bank-server teller|vault".into()),
    };
    server.file_descriptor_set(bank::FILE_DESCRIPTOR_SET).serve().await?;
    Ok(())
}
