//! The server answers the client over 127.0.0.1.

use std::time::Duration;

#[tokio::test]
async fn the_server_greets_the_client() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn({{lib}}::server().serve_with_listener(listener, std::future::pending()));
    let channel = kuberpc::client::Client::new(&{{lib}}::{{service}}_deploy::DEPLOY)
        .target("127.0.0.1", addr.port())
        .connect()
        .await
        .unwrap();
    let mut client = {{lib}}::{{Client}}::new(channel);
    let call = client.say_hello({{lib}}::HelloRequest { name: "test".into() });
    let reply = tokio::time::timeout(Duration::from_secs(10), call).await.unwrap().unwrap();
    assert_eq!(reply.into_inner().message, "Hello test!");
}
