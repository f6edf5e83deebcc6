//! The expansion under a renamed crate and no prelude works, not only compiles: each call
//! kind over 127.0.0.1.

use std::time::Duration;

use kuberpc_hygiene::messages::{Ping, Pong};
use kuberpc_hygiene::service::{echo_deploy, Echo, EchoClient, EchoServer};
use rpc::{Request, ResponseStream, Status, Streaming};
use tokio_stream::StreamExt;

struct Echoer;

impl Echo for Echoer {
    async fn echo(&self, request: Request<Ping>) -> Result<Pong, Status> {
        let suffix = request.metadata().get("x-suffix").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        Ok(Pong { text: request.into_inner().text + &suffix })
    }

    async fn repeat(&self, request: Ping) -> Result<ResponseStream<Pong>, Status> {
        let pongs = (0..2).map(move |_| Ok(Pong { text: request.text.clone() }));
        Ok(Box::pin(tokio_stream::iter(pongs.collect::<Vec<_>>())))
    }

    async fn join(&self, request: Request<Streaming<Ping>>) -> Result<Pong, Status> {
        let separator = request.metadata().get("x-separator").and_then(|v| v.to_str().ok()).unwrap_or("+").to_string();
        let texts: Vec<String> = request.into_inner().map(|p| p.map(|p| p.text)).collect::<Result<_, _>>().await?;
        Ok(Pong { text: texts.join(&separator) })
    }

    async fn chat(&self, request: Streaming<Ping>) -> Result<ResponseStream<Pong>, Status> {
        Ok(Box::pin(request.map(|ping| ping.map(|p| Pong { text: p.text }))))
    }
}

#[tokio::test]
async fn every_call_kind_works_through_the_renamed_crate() {
    assert_eq!((echo_deploy::APP, echo_deploy::PORT, echo_deploy::SERVICE), ("echo", 7070, "hygiene.v1.Echo"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = rpc::Server::new(&echo_deploy::DEPLOY).add_service(EchoServer::new(Echoer)).drain(Duration::ZERO);
    tokio::spawn(server.serve_with_listener(listener, async {
        let _ = stopped.await;
    }));

    tokio::time::timeout(Duration::from_secs(20), async {
        let mut client = EchoClient::connect(format!("http://{addr}")).await.unwrap();
        let ping = |text: &str| Ping { text: text.into() };
        assert_eq!(client.echo(ping("a")).await.unwrap().into_inner().text, "a");
        let mut with_metadata = Request::new(ping("a"));
        with_metadata.metadata_mut().insert("x-suffix", "!".parse().unwrap());
        assert_eq!(client.echo(with_metadata).await.unwrap().into_inner().text, "a!");
        assert_eq!(client.shout(ping("hey")).await.unwrap().into_inner().text, "HEY");
        let repeated: Vec<_> =
            client.repeat(ping("r")).await.unwrap().into_inner().map(|p| p.unwrap().text).collect().await;
        assert_eq!(repeated, ["r", "r"]);
        let joined = client.join(tokio_stream::iter([ping("x"), ping("y")])).await.unwrap();
        assert_eq!(joined.into_inner().text, "x+y");
        let mut with_metadata = Request::new(tokio_stream::iter([ping("x"), ping("y")]));
        with_metadata.metadata_mut().insert("x-separator", "/".parse().unwrap());
        assert_eq!(client.join(with_metadata).await.unwrap().into_inner().text, "x/y");
        let chat: Vec<_> = client
            .chat(tokio_stream::iter([ping("1"), ping("2")]))
            .await
            .unwrap()
            .into_inner()
            .map(|p| p.unwrap().text)
            .collect()
            .await;
        assert_eq!(chat, ["1", "2"]);
    })
    .await
    .expect("the calls finished in time");
    drop(stop);
}
