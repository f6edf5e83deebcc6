//! Calls the journal: `journal-client TARGET append TEXT` prints `offset=N pod=P`;
//! `journal-client TARGET read [FROM]` prints the entries, `offset<TAB>text` a line. TARGET is
//! `-` (any pod, balanced over the headless Service in this namespace) or one pod, e.g.
//! `journal-0.journal-headless:50051`: each pod has a journal of its own.

use journal::pb::journal_client::JournalClient;
use journal::pb::{journal_deploy, AppendRequest, ReadRequest};

const USAGE: &str = "usage: journal-client TARGET append TEXT | journal-client TARGET read [FROM]";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let _telemetry = kuberpc::telemetry::init()?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [target, command, rest @ ..] = args.as_slice() else { return Err(USAGE.into()) };
    let mut client = kuberpc::client::Client::new(&journal_deploy::DEPLOY);
    if target != "-" {
        client = client.target_parsed(target.parse()?);
    }
    let mut journal = JournalClient::new(client.connect().await?);
    match (command.as_str(), rest) {
        ("append", [text]) => {
            let reply = journal.append(AppendRequest { text: text.clone() }).await?.into_inner();
            println!("offset={} pod={}", reply.offset, reply.pod);
        }
        ("read", [] | [_]) => {
            let from = rest.first().map(|from| from.parse()).transpose()?.unwrap_or(0);
            let mut records = journal.read(ReadRequest { from }).await?.into_inner();
            while let Some(record) = records.message().await? {
                println!("{}\t{}", record.offset, record.text);
            }
        }
        _ => return Err(USAGE.into()),
    }
    Ok(())
}
