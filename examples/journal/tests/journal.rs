//! The journal's handler over real gRPC on 127.0.0.1: appends, reads, the limits of an entry,
//! and the entries surviving a restart on the same directory (what the pod's claim gives it).

use std::net::SocketAddr;
use std::path::Path;

use journal::pb::journal_client::JournalClient;
use journal::pb::journal_server::JournalServer;
use journal::pb::{AppendRequest, ReadRequest};
use journal::{JournalService, JOURNAL_FILE, MAX_ENTRY_BYTES};
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::Channel;
use tonic::Code;

/// A journal server on `dir`, on a free port of 127.0.0.1; stops when the task is aborted.
async fn serve(dir: &Path) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = JournalServer::new(JournalService::open(dir).unwrap());
    let server = tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(TcpListenerStream::new(listener))
            .await
            .unwrap();
    });
    (addr, server)
}

async fn client(addr: SocketAddr) -> JournalClient<Channel> {
    JournalClient::connect(format!("http://{addr}")).await.unwrap()
}

async fn append(journal: &mut JournalClient<Channel>, text: &str) -> Result<u64, tonic::Status> {
    Ok(journal.append(AppendRequest { text: text.into() }).await?.into_inner().offset)
}

async fn read(journal: &mut JournalClient<Channel>, from: u64) -> Vec<(u64, String)> {
    let mut records = journal.read(ReadRequest { from }).await.unwrap().into_inner();
    let mut read = Vec::new();
    while let Some(record) = records.message().await.unwrap() {
        read.push((record.offset, record.text));
    }
    read
}

#[tokio::test]
async fn entries_are_numbered_and_read_back_from_any_offset() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, server) = serve(dir.path()).await;
    let mut journal = client(addr).await;
    assert_eq!(append(&mut journal, "first").await.unwrap(), 0);
    assert_eq!(append(&mut journal, "second, with ünïcode").await.unwrap(), 1);
    assert_eq!(append(&mut journal, "").await.unwrap(), 2);
    assert_eq!(read(&mut journal, 0).await, [(0, "first".into()), (1, "second, with ünïcode".into()), (2, "".into())]);
    assert_eq!(read(&mut journal, 2).await, [(2, String::new())]);
    assert_eq!(read(&mut journal, 3).await, []);
    assert_eq!(read(&mut journal, u64::MAX).await, []);
    server.abort();
}

#[tokio::test]
async fn an_entry_is_one_line_of_bounded_size() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, server) = serve(dir.path()).await;
    let mut journal = client(addr).await;
    for bad in ["two\nlines", "carriage\rreturn", &"x".repeat(MAX_ENTRY_BYTES + 1)] {
        let status = append(&mut journal, bad).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{bad:.20}: {status:?}");
    }
    assert_eq!(append(&mut journal, &"x".repeat(MAX_ENTRY_BYTES)).await.unwrap(), 0);
    assert_eq!(read(&mut journal, 0).await.len(), 1, "refused entries were not written");
    server.abort();
}

#[tokio::test]
async fn the_journal_survives_a_restart_on_its_directory_and_drops_a_torn_last_line() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, server) = serve(dir.path()).await;
    let mut journal = client(addr).await;
    append(&mut journal, "before the restart").await.unwrap();
    server.abort();
    let _ = server.await;
    // A crash in the middle of a write: the last line has no line break and was never acknowledged.
    let path = dir.path().join(JOURNAL_FILE);
    std::fs::write(&path, std::fs::read_to_string(&path).unwrap() + "torn").unwrap();

    let (addr, server) = serve(dir.path()).await;
    let mut journal = client(addr).await;
    assert_eq!(read(&mut journal, 0).await, [(0, "before the restart".into())]);
    assert_eq!(append(&mut journal, "after the restart").await.unwrap(), 1);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "before the restart\nafter the restart\n");
    server.abort();
}
