//! The generated server, run by `kuberpc::Server` on 127.0.0.1:0, answers the generated
//! client (unary and server streaming) and reports SERVING on grpc.health.v1 for the service
//! the readiness probe names and for "".

mod common;

use std::time::Duration;

use greeter::pb::greeter_client::GreeterClient;
use greeter::pb::{greeter_deploy, HelloRequest, HelloStreamRequest};
use greeter::GreeterService;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

const TEST_TIMEOUT: Duration = Duration::from_secs(20);

#[tokio::test]
async fn generated_client_calls_generated_server() {
    let mut server = common::serve("127.0.0.1:0", GreeterService::new("Hello"), Duration::ZERO).await;
    let address = server.addr;

    tokio::time::timeout(TEST_TIMEOUT, async {
        let channel = kuberpc::client::Client::new(&greeter_deploy::DEPLOY)
            .target("127.0.0.1", address.port())
            .connect()
            .await
            .unwrap();
        let mut client = GreeterClient::new(channel);
        let reply = client.say_hello(HelloRequest { name: "kuberpc".into() }).await.unwrap();
        assert_eq!(reply.into_inner().message, "Hello kuberpc!");

        let mut stream =
            client.say_hello_stream(HelloStreamRequest { name: "stream".into(), count: 3 }).await.unwrap().into_inner();
        let mut messages = Vec::new();
        while let Some(reply) = stream.message().await.unwrap() {
            messages.push(reply.message);
        }
        assert_eq!(messages, vec!["Hello stream!"; 3]);

        let names = tokio_stream::iter(["a", "b", "c"].map(|n| HelloRequest { name: n.into() }));
        let mut chat = client.say_hello_chat(names).await.unwrap().into_inner();
        let mut replies = Vec::new();
        while let Some(reply) = chat.message().await.unwrap() {
            replies.push(reply.message);
        }
        assert_eq!(replies, ["Hello a!", "Hello b!", "Hello c!"]);

        let too_many = client.say_hello_stream(HelloStreamRequest { name: "x".into(), count: 1_000_000 }).await;
        assert_eq!(too_many.unwrap_err().code(), tonic::Code::InvalidArgument);

        let channel =
            tonic::transport::Endpoint::from_shared(format!("http://{address}")).unwrap().connect().await.unwrap();
        let mut health = HealthClient::new(channel);
        for service in [greeter_deploy::SERVICE, ""] {
            let status =
                health.check(HealthCheckRequest { service: service.into() }).await.unwrap().into_inner().status;
            assert_eq!(status, ServingStatus::Serving as i32, "{service:?}");
        }
    })
    .await
    .expect("the calls finished in time");

    server.stop();
    server.task.await.unwrap().unwrap();
}

#[test]
fn deploy_constants_come_from_the_proto() {
    assert_eq!(greeter_deploy::APP, "greeter");
    assert_eq!(greeter_deploy::PORT, 50051);
    assert_eq!(greeter_deploy::SERVICE, "greeter.v1.Greeter");
    assert_eq!(greeter_deploy::HEADLESS_SERVICE, "greeter-headless");
    let say_hello = greeter_deploy::DEPLOY.method("/greeter.v1.Greeter/SayHello").unwrap();
    assert_eq!((say_hello.timeout_ms, say_hello.idempotent), (Some(500), true));
    let stream = greeter_deploy::DEPLOY.method("/greeter.v1.Greeter/SayHelloStream").unwrap();
    assert_eq!((stream.timeout_ms, stream.idempotent), (Some(5000), false));
}
