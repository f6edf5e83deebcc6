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

/// The greeter, counting the unary calls it answers.
#[derive(Clone, Default)]
pub struct Counting {
    pub calls: Arc<AtomicUsize>,
}

impl Counting {
    pub fn count(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

#[tonic::async_trait]
impl Greeter for Counting {
    async fn say_hello(&self, request: Request<HelloRequest>) -> Result<Response<HelloReply>, Status> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        GreeterService::new("Hello").say_hello(request).await
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
