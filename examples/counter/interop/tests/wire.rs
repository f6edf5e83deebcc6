//! Wire compatibility, over 127.0.0.1, all four call kinds: the tonic client generated from
//! the counter's EMITTED proto (through the proto-first path) calls the trait-generated
//! server, and the trait-generated client calls a tonic server generated from it.

use std::time::Duration;

use counter::{counter_deploy, CounterClient};
use tokio::sync::oneshot;

use counter_interop::pb as from_proto;

const TEST_TIMEOUT: Duration = Duration::from_secs(20);

/// Serves a fresh `CounterService` on 127.0.0.1:0 until the returned sender is dropped.
async fn serve() -> (std::net::SocketAddr, oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(counter::server().drain(Duration::ZERO).serve_with_listener(listener, async {
        let _ = stopped.await;
    }));
    (addr, stop)
}

async fn channel(addr: std::net::SocketAddr) -> tonic::transport::Channel {
    tonic::transport::Endpoint::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap()
}

#[tokio::test]
async fn tonic_client_from_the_emitted_proto_calls_the_trait_server() {
    use from_proto::counter_client::CounterClient as TonicClient;

    let (addr, _stop) = serve().await;
    tokio::time::timeout(TEST_TIMEOUT, async {
        let mut client = TonicClient::new(channel(addr).await);

        let added = client.add(from_proto::AddRequest { key: "k".into(), delta: 7 }).await.unwrap();
        assert_eq!(added.into_inner().value, 7);
        let got = client.get(from_proto::GetRequest { key: "k".into() }).await.unwrap();
        assert_eq!(got.into_inner().value, 7);

        let watch = from_proto::WatchRequest { key: "k".into(), count: 2 };
        let mut ticks = client.watch(watch).await.unwrap().into_inner();
        let mut seen = Vec::new();
        while let Some(tick) = ticks.message().await.unwrap() {
            seen.push((tick.source(), tick.key, tick.value, tick.seq));
        }
        let add = from_proto::Source::Add;
        assert_eq!(seen, [(add, "k".to_string(), 7, 0), (add, "k".to_string(), 7, 1)]);

        let chunks = [from_proto::Chunk { key: "k".into(), deltas: vec![1, 1, 1] }];
        let uploaded = client.upload(tokio_stream::iter(chunks)).await.unwrap().into_inner();
        assert_eq!((uploaded.applied, uploaded.totals.get("k").copied()), (3, Some(10)));

        let adds = [from_proto::AddRequest { key: "k".into(), delta: -10 }];
        let mut synced = client.sync(tokio_stream::iter(adds)).await.unwrap().into_inner();
        assert_eq!(synced.message().await.unwrap().map(|r| r.value), Some(0));
        assert!(synced.message().await.unwrap().is_none());

        // A path the trait does not have is UNIMPLEMENTED, as with tonic's servers.
        let mut raw = tonic::client::Grpc::new(channel(addr).await);
        raw.ready().await.unwrap();
        let codec = tonic_prost::ProstCodec::<from_proto::GetRequest, from_proto::GetReply>::default();
        let path = tonic::codegen::http::uri::PathAndQuery::from_static("/counter.v1.Counter/Missing");
        let missing = raw.unary(tonic::Request::new(from_proto::GetRequest::default()), path, codec).await;
        assert_eq!(missing.unwrap_err().code(), tonic::Code::Unimplemented);
    })
    .await
    .expect("the calls finished in time");
}

#[tokio::test]
async fn the_trait_client_talks_to_the_tonic_server_generated_from_the_emitted_proto() {
    use from_proto::counter_server::{Counter as TonicCounter, CounterServer as TonicServer};

    /// A tonic-generated server that answers `Get` with the key's length.
    struct Lengths;

    #[tonic::async_trait]
    impl TonicCounter for Lengths {
        async fn get(
            &self,
            request: tonic::Request<from_proto::GetRequest>,
        ) -> Result<tonic::Response<from_proto::GetReply>, tonic::Status> {
            Ok(tonic::Response::new(from_proto::GetReply { value: request.into_inner().key.len() as i64 }))
        }
        async fn add(
            &self,
            _: tonic::Request<from_proto::AddRequest>,
        ) -> Result<tonic::Response<from_proto::AddReply>, tonic::Status> {
            Err(tonic::Status::unimplemented("add"))
        }
        type WatchStream = kuberpc::ResponseStream<from_proto::Tick>;
        async fn watch(
            &self,
            _: tonic::Request<from_proto::WatchRequest>,
        ) -> Result<tonic::Response<Self::WatchStream>, tonic::Status> {
            Err(tonic::Status::unimplemented("watch"))
        }
        async fn upload(
            &self,
            _: tonic::Request<tonic::Streaming<from_proto::Chunk>>,
        ) -> Result<tonic::Response<from_proto::UploadReply>, tonic::Status> {
            Err(tonic::Status::unimplemented("upload"))
        }
        type SyncStream = kuberpc::ResponseStream<from_proto::AddReply>;
        async fn sync(
            &self,
            _: tonic::Request<tonic::Streaming<from_proto::AddRequest>>,
        ) -> Result<tonic::Response<Self::SyncStream>, tonic::Status> {
            Err(tonic::Status::unimplemented("sync"))
        }
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server =
        kuberpc::Server::new(&counter_deploy::DEPLOY).add_service(TonicServer::new(Lengths)).drain(Duration::ZERO);
    tokio::spawn(server.serve_with_listener(listener, async {
        let _ = stopped.await;
    }));
    tokio::time::timeout(TEST_TIMEOUT, async {
        let mut client = CounterClient::new(channel(addr).await);
        let reply = client.get(counter::GetRequest { key: "four".into() }).await.unwrap();
        assert_eq!(reply.into_inner().value, 4);
        let add = client.add(counter::AddRequest::default()).await.unwrap_err();
        assert_eq!((add.code(), add.message()), (tonic::Code::Unimplemented, "add"));
    })
    .await
    .expect("the calls finished in time");
    drop(stop);
}
