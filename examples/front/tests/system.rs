//! The system over real gRPC on 127.0.0.1: the front reaches the greeter and the journal at
//! the addresses its pod would be given (`KUBERPC_CALL_GREETER`, `KUBERPC_CALL_JOURNAL`, the
//! variables of its typed targets), greets through one and records through the other.

use std::net::SocketAddr;

use front::{front_deploy, FrontClient, FrontServer, FrontService, WelcomeRequest};
use greeter::pb::greeter_server::GreeterServer;
use greeter::GreeterService;
use journal::pb::journal_server::JournalServer;
use journal::JournalService;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;

/// Serves `router` on a free port of 127.0.0.1 until the test ends.
async fn serve(router: tonic::transport::server::Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(router.serve_with_incoming(TcpListenerStream::new(listener)));
    addr
}

#[tokio::test]
async fn the_front_calls_its_declared_callees_at_their_variables() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = tonic::transport::Server::builder();
    let greeter = serve(server.add_service(GreeterServer::new(GreeterService::new("Hello")))).await;
    let journal = serve(server.add_service(JournalServer::new(JournalService::open(dir.path()).unwrap()))).await;
    // What each environment's component of the front sets (here: the local servers).
    let (greeter_target, journal_target) = (&front_deploy::calls::GREETER, &front_deploy::calls::JOURNAL);
    assert_eq!(
        (greeter_target.address_env, journal_target.address_env),
        ("KUBERPC_CALL_GREETER", "KUBERPC_CALL_JOURNAL")
    );
    assert_eq!(greeter_target.methods, ["/greeter.v1.Greeter/SayHello"]);
    std::env::set_var(greeter_target.address_env, greeter.to_string());
    std::env::set_var(journal_target.address_env, journal.to_string());

    let front = serve(server.add_service(FrontServer::new(FrontService::connect().await.unwrap()))).await;
    let mut client = FrontClient::connect(format!("http://{front}")).await.unwrap();
    for (name, offset) in [("Ada", 0), ("Grace", 1)] {
        let reply = client.welcome(WelcomeRequest { name: name.into() }).await.unwrap().into_inner();
        assert_eq!(reply.message, greeter::greeting("Hello", name));
        assert_eq!(reply.offset, offset, "the journal's offset of {name}'s visit");
    }
    let recorded = std::fs::read_to_string(dir.path().join(journal::JOURNAL_FILE)).unwrap();
    assert_eq!(recorded, "welcomed Ada\nwelcomed Grace\n");
}
