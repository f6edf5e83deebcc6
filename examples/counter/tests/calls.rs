//! The trait-generated server and client of the counter, over 127.0.0.1, for all four call
//! kinds, under `kuberpc::Server` and through the balanced `kuberpc::client::Client`.

use std::time::Duration;

use counter::{counter_deploy, CounterClient};
use tokio::sync::oneshot;

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

#[tokio::test]
async fn trait_client_calls_trait_server_for_all_four_call_kinds() {
    let (addr, _stop) = serve().await;
    tokio::time::timeout(TEST_TIMEOUT, async {
        let policy = kuberpc::client::Client::new(&counter_deploy::DEPLOY).target("127.0.0.1", addr.port()).connect();
        let mut client = CounterClient::new(policy.await.unwrap());

        let added = client.add(counter::AddRequest { key: "a".into(), delta: 5 }).await.unwrap();
        assert_eq!(added.into_inner().value, 5);
        assert_eq!(client.get(counter::GetRequest { key: "a".into() }).await.unwrap().into_inner().value, 5);

        let mut ticks = client.watch(counter::WatchRequest { key: "a".into(), count: 3 }).await.unwrap().into_inner();
        let mut seqs = Vec::new();
        while let Some(tick) = ticks.message().await.unwrap() {
            assert_eq!((tick.value, tick.source()), (5, counter::Source::Add));
            seqs.push(tick.seq);
        }
        assert_eq!(seqs, [0, 1, 2]);

        let chunks =
            [("a", vec![1, 2]), ("b", vec![10])].map(|(key, deltas)| counter::Chunk { key: key.into(), deltas });
        let uploaded = client.upload(tokio_stream::iter(chunks)).await.unwrap().into_inner();
        assert_eq!(uploaded.applied, 3);
        assert_eq!(uploaded.totals.into_iter().collect::<Vec<_>>(), [("a".to_string(), 8), ("b".to_string(), 10)]);

        let adds = [1, -3].map(|delta| counter::AddRequest { key: "b".into(), delta });
        let mut synced = client.sync(tokio_stream::iter(adds)).await.unwrap().into_inner();
        let mut values = Vec::new();
        while let Some(reply) = synced.message().await.unwrap() {
            values.push(reply.value);
        }
        assert_eq!(values, [11, 8]);

        let too_many = client.watch(counter::WatchRequest { key: "a".into(), count: 5000 }).await;
        assert_eq!(too_many.unwrap_err().code(), tonic::Code::InvalidArgument);
    })
    .await
    .expect("the calls finished in time");
}
