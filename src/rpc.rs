//! The runtime half of `#[rpc_service]`: what every trait-generated server and client does
//! per call, written once here so the macro's expansion stays a short list of methods.
//!
//! A generated server matches the request path and hands the request to [`unary`],
//! [`server_streaming`], [`client_streaming`] or [`streaming`] with a closure that calls the
//! trait method; a generated client calls [`call_unary`] and its siblings. Both sides use
//! tonic's own `Grpc` machinery and the prost codec, so the wire format is tonic's.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::Body as HttpBody;
use tokio_stream::Stream;
use tonic::body::Body;
use tonic::client::{Grpc as ClientGrpc, GrpcService};
use tonic::codec::{CompressionEncoding, EnabledCompressionEncodings};
use tonic::server::Grpc as ServerGrpc;
use tonic::{GrpcMethod, Request, Response, Status, Streaming};
use tonic_prost::ProstCodec;

/// What a server-streaming RPC of a `#[rpc_service]` trait returns: any `Send` stream of
/// messages or statuses, boxed (`Box::pin(stream)`).
pub type ResponseStream<T> = Pin<Box<dyn Stream<Item = Result<T, Status>> + Send + 'static>>;

/// Boxed future of one HTTP exchange, as `tower::Service::call` returns it.
pub type BoxResponse = Pin<Box<dyn Future<Output = Result<http::Response<Body>, Infallible>> + Send + 'static>>;

type BoxFuture<T> = Pin<Box<dyn Future<Output = Result<T, Status>> + Send + 'static>>;
type StdError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Compression and message-size settings of a generated server (the same four knobs
/// tonic-generated servers have).
#[derive(Debug, Clone, Copy, Default)]
pub struct ServerSettings {
    accept_compression: EnabledCompressionEncodings,
    send_compression: EnabledCompressionEncodings,
    max_decoding_message_size: Option<usize>,
    max_encoding_message_size: Option<usize>,
}

impl ServerSettings {
    /// Accepts requests compressed with `encoding`.
    pub fn accept_compressed(&mut self, encoding: CompressionEncoding) {
        self.accept_compression.enable(encoding);
    }

    /// Compresses responses with `encoding` when the client accepts it.
    pub fn send_compressed(&mut self, encoding: CompressionEncoding) {
        self.send_compression.enable(encoding);
    }

    /// Largest decoded request message (tonic's default: 4 MiB).
    pub fn max_decoding_message_size(&mut self, limit: usize) {
        self.max_decoding_message_size = Some(limit);
    }

    /// Largest encoded response message (tonic's default: `usize::MAX`).
    pub fn max_encoding_message_size(&mut self, limit: usize) {
        self.max_encoding_message_size = Some(limit);
    }

    fn grpc<Resp, Req>(self) -> ServerGrpc<ProstCodec<Resp, Req>>
    where
        Resp: prost::Message + Send + 'static,
        Req: prost::Message + Default + Send + 'static,
    {
        ServerGrpc::new(ProstCodec::default())
            .apply_compression_config(self.accept_compression, self.send_compression)
            .apply_max_message_size_config(self.max_decoding_message_size, self.max_encoding_message_size)
    }
}

/// One call's handler as a `tower::Service`, which tonic's blanket impls turn into the
/// unary/streaming service it expects. tonic calls it once per request.
struct Handler<F>(Option<F>);

impl<F, In, Out, Fut> tower::Service<Request<In>> for Handler<F>
where
    F: FnOnce(Request<In>) -> Fut,
    Fut: Future<Output = Result<Out, Status>> + Send + 'static,
{
    type Response = Response<Out>;
    type Error = Status;
    type Future = BoxFuture<Response<Out>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Status>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<In>) -> Self::Future {
        match self.0.take() {
            Some(handler) => {
                let call = handler(request);
                Box::pin(async move { call.await.map(Response::new) })
            }
            None => Box::pin(async { Err(Status::internal("a call handler was invoked twice")) }),
        }
    }
}

/// A request body tonic can decode (the bound tonic-generated servers put on `B`).
pub trait RequestBody: HttpBody<Error: Into<StdError> + Send + 'static> + Send + 'static {}

impl<B> RequestBody for B where B: HttpBody<Error: Into<StdError> + Send + 'static> + Send + 'static {}

/// A transport a generated client can call through: a tonic `Channel`, a
/// [`crate::client::PolicyChannel`], or anything tonic-generated clients accept.
pub trait Transport:
    GrpcService<
    Body,
    Error: Into<StdError>,
    ResponseBody: HttpBody<Data = Bytes, Error: Into<StdError> + Send> + Send + 'static,
>
{
}

impl<T> Transport for T where
    T: GrpcService<
        Body,
        Error: Into<StdError>,
        ResponseBody: HttpBody<Data = Bytes, Error: Into<StdError> + Send> + Send + 'static,
    >
{
}

/// The four call kinds differ only in tonic's method and in what the handler takes and
/// gives; one template stamps out each server-side helper.
macro_rules! serve_call {
    ($(#[$doc:meta])* $name:ident: Request<$input:ty> -> $output:ty) => {
        $(#[$doc])*
        pub fn $name<B, Req, Resp, F, Fut>(settings: ServerSettings, request: http::Request<B>, handler: F) -> BoxResponse
        where
            B: RequestBody,
            Req: prost::Message + Default + Send + 'static,
            Resp: prost::Message + Send + 'static,
            F: FnOnce(Request<$input>) -> Fut + Send + 'static,
            Fut: Future<Output = Result<$output, Status>> + Send + 'static,
        {
            Box::pin(async move { Ok(settings.grpc::<Resp, Req>().$name(Handler(Some(handler)), request).await) })
        }
    };
}

serve_call!(
    /// Serves a unary call with `handler`.
    unary: Request<Req> -> Resp
);
serve_call!(
    /// Serves a server-streaming call with `handler`.
    server_streaming: Request<Req> -> ResponseStream<Resp>
);
serve_call!(
    /// Serves a client-streaming call with `handler`.
    client_streaming: Request<Streaming<Req>> -> Resp
);
serve_call!(
    /// Serves a bidirectional-streaming call with `handler`.
    streaming: Request<Streaming<Req>> -> ResponseStream<Resp>
);

/// The answer to a path the service does not have: `UNIMPLEMENTED`, as tonic's generated
/// servers give it.
pub fn unimplemented() -> BoxResponse {
    Box::pin(async { Ok(Status::unimplemented("unknown method").into_http()) })
}

/// One RPC as the client addresses it.
#[derive(Debug, Clone, Copy)]
pub struct Rpc {
    /// Fully qualified service, `counter.v1.Counter`.
    pub service: &'static str,
    /// Method as on the wire, `Get`.
    pub method: &'static str,
    /// HTTP/2 path, `/counter.v1.Counter/Get`.
    pub path: &'static str,
}

impl Rpc {
    fn prepare<T>(self, mut request: Request<T>) -> (Request<T>, http::uri::PathAndQuery) {
        request.extensions_mut().insert(GrpcMethod::new(self.service, self.method));
        (request, http::uri::PathAndQuery::from_static(self.path))
    }
}

/// Waits until `grpc` can take a call.
async fn ready<T: Transport>(grpc: &mut ClientGrpc<T>) -> Result<(), Status> {
    grpc.ready().await.map_err(|e| Status::unknown(format!("Service was not ready: {}", e.into())))
}

/// The client side of the four call kinds, from one template like `serve_call`: wait
/// until the transport is ready, tag the request with its method, call tonic's `Grpc`.
macro_rules! client_call {
    ($(#[$doc:meta])* $name:ident<$($stream:ident)?>: $grpc:ident(Request<$input:ty>) -> $output:ty) => {
        $(#[$doc])*
        pub async fn $name<T, Req, Resp $(, $stream)?>(
            grpc: &mut ClientGrpc<T>,
            rpc: Rpc,
            request: Request<$input>,
        ) -> Result<Response<$output>, Status>
        where
            T: Transport,
            Req: prost::Message + Send + 'static,
            Resp: prost::Message + Default + Send + 'static,
            $($stream: Stream<Item = Req> + Send + 'static,)?
        {
            ready(grpc).await?;
            let (request, path) = rpc.prepare(request);
            grpc.$grpc(request, path, ProstCodec::<Req, Resp>::default()).await
        }
    };
}

client_call!(
    /// Makes a unary call.
    call_unary<>: unary(Request<Req>) -> Resp
);
client_call!(
    /// Makes a server-streaming call.
    call_server_streaming<>: server_streaming(Request<Req>) -> Streaming<Resp>
);
client_call!(
    /// Makes a client-streaming call.
    call_client_streaming<S>: client_streaming(Request<S>) -> Resp
);
client_call!(
    /// Makes a bidirectional-streaming call.
    call_streaming<S>: streaming(Request<S>) -> Streaming<Resp>
);
