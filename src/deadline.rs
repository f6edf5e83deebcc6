//! The server side of deadlines: a call still running when the client's deadline
//! (`grpc-timeout`) passes ends with DEADLINE_EXCEEDED, as gRPC servers in other languages
//! answer. tonic's server timer answers CANCELLED ("Timeout expired") instead, which a grpc-go
//! or grpcio client then reports whenever that answer beats its own timer; this layer answers
//! [`AHEAD`] before the deadline (tokio timers tick by the millisecond), so it wins wherever
//! tonic's timer also runs. (Since the server drives its own connections, tonic's timer no
//! longer runs behind this layer; the answer is this layer's alone.) A `grpc-timeout` that is
//! not valid ([`parse_grpc_timeout`]) means no deadline, as it does for tonic.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tonic::body::Body;
use tonic::Status;
use tower::{Layer, Service};

use crate::policy::parse_grpc_timeout;

/// How much sooner than tonic's timer this layer answers.
const AHEAD: Duration = Duration::from_millis(2);

/// Tower layer answering DEADLINE_EXCEEDED at the client's deadline; see the module docs.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct DeadlineLayer;

impl<S> Layer<S> for DeadlineLayer {
    type Service = Deadline<S>;

    fn layer(&self, inner: S) -> Deadline<S> {
        Deadline { inner }
    }
}

/// The service made by [`DeadlineLayer`].
#[derive(Debug, Clone)]
pub(crate) struct Deadline<S> {
    inner: S,
}

impl<S> Service<http::Request<Body>> for Deadline<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let timeout = crate::call::header(request.headers(), &crate::call::GRPC_TIMEOUT)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_grpc_timeout);
        let call = self.inner.call(request);
        let Some(timeout) = timeout else { return Box::pin(call) };
        Box::pin(async move {
            match tokio::time::timeout(timeout.saturating_sub(AHEAD), call).await {
                Ok(response) => response,
                Err(_) => Ok(Status::deadline_exceeded("the client's deadline passed").into_http()),
            }
        })
    }
}
