//! Test servers and resolvers for the runtime tests. Servers listen on 127.0.0.0/8 only.

#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use greeter::pb::greeter_server::{Greeter, GreeterServer};
use greeter::pb::{greeter_deploy, HelloReply, HelloRequest, HelloStreamRequest};
use greeter::GreeterService;
use kuberpc::{ClientPolicy, Deploy, MethodPolicy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
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
    serve_configured(addr, handler, |server| server.drain(drain)).await
}

/// [`serve`] with the server passed through `configure` (limits, metrics, reflection).
pub async fn serve_configured<G: Greeter>(
    addr: &str,
    handler: G,
    configure: impl FnOnce(kuberpc::Server) -> kuberpc::Server,
) -> Running {
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = kuberpc::Server::new(&greeter_deploy::DEPLOY)
        .add_service(GreeterServer::new(handler))
        .file_descriptor_set(greeter::FILE_DESCRIPTOR_SET);
    let server = configure(server);
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
    let switchable = switchable();
    (switchable.handler, switchable.calls)
}

/// A greeter that counts its SayHello calls and answers UNAVAILABLE while switched off.
pub struct Switchable<F> {
    pub handler: Unary<F>,
    /// SayHello calls it got.
    pub calls: Arc<AtomicUsize>,
    /// While set, SayHello answers UNAVAILABLE (a failing pod).
    pub down: Arc<AtomicBool>,
}

/// A [`Switchable`] greeter, switched on.
pub fn switchable() -> Switchable<impl Fn(Request<HelloRequest>) -> Reply + Clone + Send + Sync + 'static> {
    let calls = Arc::new(AtomicUsize::new(0));
    let down = Arc::new(AtomicBool::new(false));
    let (counter, failing) = (calls.clone(), down.clone());
    let handler = Unary(move |request| {
        counter.fetch_add(1, Ordering::SeqCst);
        if failing.load(Ordering::SeqCst) {
            return Box::pin(async { Err(Status::unavailable("switched off")) }) as Reply;
        }
        Box::pin(hello(request)) as Reply
    });
    Switchable { handler, calls, down }
}

/// The number a counter from [`counting`] holds.
pub fn count(calls: &AtomicUsize) -> usize {
    calls.load(Ordering::SeqCst)
}

/// The greeter's facts with `client` as the client policy and every method's policy passed
/// through `method`.
pub fn greeter_with(client: ClientPolicy, method: impl Fn(MethodPolicy) -> MethodPolicy) -> &'static Deploy {
    let methods: Vec<MethodPolicy> = greeter_deploy::DEPLOY.methods.iter().map(|m| method(*m)).collect();
    let methods: &'static [MethodPolicy] = Box::leak(methods.into_boxed_slice());
    Box::leak(Box::new(Deploy { methods, client, ..greeter_deploy::DEPLOY }))
}

/// A TCP proxy to `upstream` on 127.0.0.1 that, once `frozen`, stops forwarding without
/// closing anything: what a black-holed pod IP looks like to a client.
pub async fn freezable_proxy(upstream: SocketAddr, frozen: Arc<AtomicBool>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let Ok(server) = TcpStream::connect(upstream).await else { continue };
            let _ = (client.set_nodelay(true), server.set_nodelay(true));
            let (client_read, client_write) = client.into_split();
            let (server_read, server_write) = server.into_split();
            tokio::spawn(pump(client_read, server_write, frozen.clone()));
            tokio::spawn(pump(server_read, client_write, frozen.clone()));
        }
    });
    addr
}

async fn pump(mut from: impl AsyncReadExt + Unpin, mut to: impl AsyncWriteExt + Unpin, frozen: Arc<AtomicBool>) {
    let mut buffer = [0u8; 16 * 1024];
    while let Ok(n) = from.read(&mut buffer).await {
        if n == 0 || frozen.load(Ordering::SeqCst) || to.write_all(&buffer[..n]).await.is_err() {
            break;
        }
    }
    // Frozen: hold both halves open and answer nothing, as a black hole does.
    std::future::pending::<()>().await;
}
