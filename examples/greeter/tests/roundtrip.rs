//! The generated server, started on 127.0.0.1:0, answers the generated client (unary and
//! server streaming) and reports SERVING on grpc.health.v1 for the service the readiness
//! probe names.

use std::time::Duration;

use greeter::pb::greeter_client::GreeterClient;
use greeter::pb::{greeter_deploy, HelloRequest, HelloStreamRequest};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

const TEST_TIMEOUT: Duration = Duration::from_secs(20);

#[tokio::test]
async fn generated_client_calls_generated_server() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(greeter::serve(listener, async {
        let _ = stopped.await;
    }));

    tokio::time::timeout(TEST_TIMEOUT, async {
        let channel =
            tonic::transport::Endpoint::from_shared(format!("http://{address}")).unwrap().connect().await.unwrap();
        let mut client = GreeterClient::new(channel.clone());
        let reply = client.say_hello(HelloRequest { name: "kuberpc".into() }).await.unwrap();
        assert_eq!(reply.into_inner().message, "Hello kuberpc!");

        let mut stream =
            client.say_hello_stream(HelloStreamRequest { name: "stream".into(), count: 3 }).await.unwrap().into_inner();
        let mut messages = Vec::new();
        while let Some(reply) = stream.message().await.unwrap() {
            messages.push(reply.message);
        }
        assert_eq!(messages, vec!["Hello stream!"; 3]);

        let too_many = client.say_hello_stream(HelloStreamRequest { name: "x".into(), count: 1_000_000 }).await;
        assert_eq!(too_many.unwrap_err().code(), tonic::Code::InvalidArgument);

        let mut health = HealthClient::new(channel);
        let status = health
            .check(HealthCheckRequest { service: greeter_deploy::SERVICE.into() })
            .await
            .unwrap()
            .into_inner()
            .status;
        assert_eq!(status, ServingStatus::Serving as i32);
    })
    .await
    .expect("the calls finished in time");

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}

#[test]
fn deploy_constants_come_from_the_proto() {
    assert_eq!(greeter_deploy::APP, "greeter");
    assert_eq!(greeter_deploy::PORT, 50051);
    assert_eq!(greeter_deploy::SERVICE, "greeter.v1.Greeter");
    assert_eq!(greeter_deploy::HEADLESS_SERVICE, "greeter-headless");
}
