//! Runs the journal with `kuberpc::Server`, keeping its entries in the claim's mount path
//! (`journal_deploy::STORAGE_PATH`; `JOURNAL_DIR` overrides it).

use journal::pb::journal_deploy;
use journal::pb::journal_server::JournalServer;
use journal::JournalService;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _telemetry = kuberpc::telemetry::init()?;
    let dir = JournalService::dir_from_env();
    let journal =
        JournalService::open(&dir).map_err(|error| format!("opening the journal in {}: {error}", dir.display()))?;
    kuberpc::Server::new(&journal_deploy::DEPLOY)
        .add_service(JournalServer::new(journal))
        .file_descriptor_set(journal::FILE_DESCRIPTOR_SET)
        .serve()
        .await?;
    Ok(())
}
