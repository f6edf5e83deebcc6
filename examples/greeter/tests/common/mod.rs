//! Test servers and resolvers for the runtime tests. Servers listen on 127.0.0.0/8 only.

#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use greeter::pb::greeter_server::{Greeter, GreeterServer};
use greeter::pb::{greeter_deploy, HelloReply, HelloRequest, HelloStreamRequest};
use greeter::GreeterService;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::{Request, Response, Status};

/// A running in-process server: its address, a stop switch and its task.
pub struct Running {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    pub task: JoinHandle<Result<(), kuberpc::ServerError>>,
}

impl Running {
    /// Starts the stop sequence (NOT_SERVING, drain, finish in-flight calls).
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Serves `handler` with `kuberpc::Server` on `addr` (an address of 127.0.0.0/8).
pub async fn serve<G: Greeter>(addr: &str, handler: G, drain: Duration) -> Running {
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = kuberpc::Server::new(&greeter_deploy::DEPLOY)
        .add_service(GreeterServer::new(handler))
        .file_descriptor_set(greeter::FILE_DESCRIPTOR_SET)
        .drain(drain);
    let task = tokio::spawn(server.serve_with_listener(listener, async {
        let _ = stopped.await;
    }));
    Running { addr, stop: Some(stop), task }
}

/// Resolves any name to a list of addresses the test controls (the stand-in for cluster
/// DNS, whose answer changes when the endpoints controller removes a terminating pod).
#[derive(Clone)]
pub struct Fixed(Arc<Mutex<Vec<SocketAddr>>>);

impl Fixed {
    pub fn new(addresses: Vec<SocketAddr>) -> Self {
        Self(Arc::new(Mutex::new(addresses)))
    }

    /// Answers without `address` from now on.
    pub fn remove(&self, address: SocketAddr) {
        self.0.lock().unwrap().retain(|a| *a != address);
    }
}

impl kuberpc::client::Resolve for Fixed {
    fn resolve<'a>(
        &'a self,
        _host: &'a str,
        _port: u16,
    ) -> Pin<Box<dyn Future<Output = io::Result<Vec<SocketAddr>>> + Send + 'a>> {
        let addresses = self.0.lock().unwrap().clone();
        Box::pin(async move { Ok(addresses) })
    }
}

/// A greeter whose SayHello is `say_hello`; the streaming methods are the example's. Test
/// handlers differ only in SayHello.
#[derive(Clone)]
pub struct Unary<F>(pub F);

/// The boxed future a [`Unary`] handler returns.
pub type Reply = Pin<Box<dyn Future<Output = Result<Response<HelloReply>, Status>> + Send>>;

#[tonic::async_trait]
impl<F> Greeter for Unary<F>
where
    F: Fn(Request<HelloRequest>) -> Reply + Send + Sync + 'static,
{
    async fn say_hello(&self, request: Request<HelloRequest>) -> Result<Response<HelloReply>, Status> {
        (self.0)(request).await
    }

    type SayHelloStreamStream = <GreeterService as Greeter>::SayHelloStreamStream;

    async fn say_hello_stream(
        &self,
        request: Request<HelloStreamRequest>,
    ) -> Result<Response<Self::SayHelloStreamStream>, Status> {
        GreeterService::new("Hello").say_hello_stream(request).await
    }

    type SayHelloChatStream = <GreeterService as Greeter>::SayHelloChatStream;

    async fn say_hello_chat(
        &self,
        request: Request<tonic::Streaming<HelloRequest>>,
    ) -> Result<Response<Self::SayHelloChatStream>, Status> {
        GreeterService::new("Hello").say_hello_chat(request).await
    }
}

/// The example's answer to SayHello.
pub async fn hello(request: Request<HelloRequest>) -> Result<Response<HelloReply>, Status> {
    GreeterService::new("Hello").say_hello(request).await
}

/// A greeter counting the SayHello calls it answers, and the counter.
pub fn counting() -> (Unary<impl Fn(Request<HelloRequest>) -> Reply + Clone + Send + Sync + 'static>, Arc<AtomicUsize>)
{
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let handler = Unary(move |request| {
        counter.fetch_add(1, Ordering::SeqCst);
        Box::pin(hello(request)) as Reply
    });
    (handler, calls)
}

/// The number a counter from [`counting`] holds.
pub fn count(calls: &AtomicUsize) -> usize {
    calls.load(Ordering::SeqCst)
}
