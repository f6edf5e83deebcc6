//! The hand-written baseline for the benchmarks: plain tonic stubs (`baseline`) and a handler
//! doing exactly what the greeter example's does (`greeter::greeting`).

use std::pin::Pin;

use tokio_stream::{Stream, StreamExt};
use tonic::{Request, Response, Status, Streaming};

/// Stubs from tonic-prost-build alone.
#[allow(missing_docs, clippy::all)]
pub mod baseline {
    tonic::include_proto!("greeter.v1");
}

use baseline::greeter_server::Greeter;
use baseline::{HelloReply, HelloRequest, HelloStreamRequest};

/// The greeter, written against the plain tonic stubs.
#[derive(Debug, Clone)]
pub struct HandWritten;

fn reply(name: &str) -> HelloReply {
    HelloReply { message: greeter::greeting("Hello", name) }
}

type Replies = Pin<Box<dyn Stream<Item = Result<HelloReply, Status>> + Send>>;

#[tonic::async_trait]
impl Greeter for HandWritten {
    async fn say_hello(&self, request: Request<HelloRequest>) -> Result<Response<HelloReply>, Status> {
        Ok(Response::new(reply(&request.into_inner().name)))
    }

    type SayHelloStreamStream = Replies;

    async fn say_hello_stream(
        &self,
        request: Request<HelloStreamRequest>,
    ) -> Result<Response<Self::SayHelloStreamStream>, Status> {
        let request = request.into_inner();
        let replies: Vec<_> = (0..request.count.min(1000)).map(|_| Ok(reply(&request.name))).collect();
        Ok(Response::new(Box::pin(tokio_stream::iter(replies))))
    }

    type SayHelloChatStream = Replies;

    async fn say_hello_chat(
        &self,
        request: Request<Streaming<HelloRequest>>,
    ) -> Result<Response<Self::SayHelloChatStream>, Status> {
        let replies = request.into_inner().map(|name| name.map(|n| reply(&n.name)));
        Ok(Response::new(Box::pin(replies)))
    }
}
