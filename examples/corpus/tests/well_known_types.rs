//! Well-known types end to end over 127.0.0.1: an `Empty`-in, `Empty`-out call, a
//! `Timestamp` response, a `Struct` request, a stream of `Timestamp`s, and every shape
//! (singular, repeated, map, oneof) echoed through the wire and compared field by field.

use std::collections::HashMap;
use std::pin::Pin;
use std::time::Duration;

use corpus::wkt::v1::choice::Pick;
use corpus::wkt::v1::clock_client::ClockClient;
use corpus::wkt::v1::clock_server::{Clock, ClockServer};
use corpus::wkt::v1::{Choice, Maps, Reading, Repeated, Shapes, Singular};
use prost_types::value::Kind;
use prost_types::{Any, FieldMask, ListValue, Struct, Timestamp, Value};
use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status};

/// The server's answer to `Now`: fixed, so the client can compare it.
const NOW: Timestamp = Timestamp { seconds: 1_795_000_000, nanos: 123_456_789 };

struct FixedClock;

#[tonic::async_trait]
impl Clock for FixedClock {
    async fn ping(&self, _: Request<()>) -> Result<Response<()>, Status> {
        Ok(Response::new(()))
    }

    async fn now(&self, _: Request<()>) -> Result<Response<Timestamp>, Status> {
        Ok(Response::new(NOW))
    }

    async fn describe(&self, request: Request<Struct>) -> Result<Response<Reading>, Status> {
        let fields = i32::try_from(request.into_inner().fields.len()).unwrap_or(i32::MAX);
        Ok(Response::new(Reading { at: Some(NOW), fields }))
    }

    async fn echo(&self, request: Request<Shapes>) -> Result<Response<Shapes>, Status> {
        Ok(Response::new(request.into_inner()))
    }

    type TicksStream = Pin<Box<dyn Stream<Item = Result<Timestamp, Status>> + Send>>;

    async fn ticks(&self, _: Request<()>) -> Result<Response<Self::TicksStream>, Status> {
        let ticks = (0..3).map(|i| Ok(Timestamp { seconds: NOW.seconds + i, nanos: 0 }));
        Ok(Response::new(Box::pin(tokio_stream::iter(ticks.collect::<Vec<_>>()))))
    }
}

fn text(value: &str) -> Value {
    Value { kind: Some(Kind::StringValue(value.to_string())) }
}

fn every_shape() -> Shapes {
    let took = prost_types::Duration { seconds: 3, nanos: 500 };
    let detail = Any { type_url: "type.googleapis.com/wkt.v1.Reading".into(), value: vec![8, 1] };
    let labels = Struct { fields: [("zone".to_string(), text("eu-1"))].into_iter().collect() };
    let list = ListValue { values: vec![text("a"), Value { kind: Some(Kind::NumberValue(2.5)) }] };
    let singular = Singular {
        at: Some(NOW),
        took: Some(took),
        detail: Some(detail.clone()),
        labels: Some(labels.clone()),
        value: Some(Value { kind: Some(Kind::BoolValue(true)) }),
        list: Some(list),
        nothing: Some(()),
        mask: Some(FieldMask { paths: vec!["singular.at".into(), "maps".into()] }),
        name: Some("kuberpc".into()),
        blob: Some(vec![0, 255]),
        flag: Some(false),
        small: Some(-7),
        big: Some(i64::MIN),
        small_unsigned: Some(7),
        big_unsigned: Some(u64::MAX),
        ratio: Some(0.25),
        precise: Some(-1e300),
        null: prost_types::NullValue::NullValue.into(),
    };
    let repeated = Repeated {
        times: vec![NOW, Timestamp::default()],
        durations: vec![took],
        details: vec![detail.clone()],
        values: vec![text("x"), Value { kind: Some(Kind::NullValue(0)) }],
        names: vec!["a".into(), String::new()],
    };
    let maps = Maps {
        times: HashMap::from([("start".to_string(), NOW)]),
        durations: HashMap::from([(-1, took)]),
        details: HashMap::from([("d".to_string(), detail)]),
        values: HashMap::from([("v".to_string(), text("w"))]),
        counts: HashMap::from([(9, 90)]),
    };
    Shapes {
        singular: Some(singular),
        repeated: Some(repeated),
        maps: Some(maps),
        choice: Some(Choice { pick: Some(Pick::Document(labels)) }),
    }
}

#[tokio::test]
async fn well_known_types_cross_the_wire() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(ClockServer::new(FixedClock))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );

    tokio::time::timeout(Duration::from_secs(20), async {
        let mut client = ClockClient::connect(format!("http://{address}")).await.unwrap();

        let pong: () = client.ping(()).await.unwrap().into_inner();
        assert_eq!(pong, ());
        assert_eq!(client.now(()).await.unwrap().into_inner(), NOW);

        let document = Struct { fields: [("a", text("1")), ("b", text("2"))].map(|(k, v)| (k.to_string(), v)).into() };
        assert_eq!(client.describe(document).await.unwrap().into_inner(), Reading { at: Some(NOW), fields: 2 });

        let shapes = every_shape();
        assert_eq!(client.echo(shapes.clone()).await.unwrap().into_inner(), shapes);
        for pick in [Pick::At(NOW), Pick::Nothing(()), Pick::Flag(true), Pick::After(Default::default())] {
            let choice = Shapes { choice: Some(Choice { pick: Some(pick) }), ..Default::default() };
            assert_eq!(client.echo(choice.clone()).await.unwrap().into_inner(), choice);
        }

        let ticks: Vec<i64> =
            client.ticks(()).await.unwrap().into_inner().map(|t| t.unwrap().seconds - NOW.seconds).collect().await;
        assert_eq!(ticks, [0, 1, 2]);
    })
    .await
    .expect("the calls finished in time");
    server.abort();
}
