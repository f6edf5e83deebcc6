//! What a request on the gRPC port is, when the port also speaks HTTP/1.1 (`web` or REST
//! bindings): native gRPC (HTTP/2, `application/grpc`) goes straight to the service, as it does
//! without either; everything else passes CORS (with `web`), then goes to gRPC-Web
//! (`application/grpc-web…`, [`crate::web`]) or to REST ([`crate::rest`]).

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::future::{BoxFuture, Either};
use futures_util::FutureExt;
use http::{header, HeaderValue, Version};
use tonic::body::Body;
use tonic_web::GrpcWebLayer;
use tower::{Layer, Service, ServiceExt};
use tower_http::cors::CorsLayer;

use crate::rest::Routes;

/// Sends native gRPC calls to `grpc`, everything else through CORS to gRPC-Web or REST. Cloned
/// for every call (a connection's service is), so the HTTP/1.1 half is put together only for
/// the calls that take it.
#[derive(Debug, Clone)]
pub(crate) struct Dispatch<S> {
    grpc: S,
    cors: Option<Arc<CorsLayer>>,
    web: bool,
    rest: Option<Arc<Routes>>,
}

impl<S> Dispatch<S> {
    /// `grpc` with gRPC-Web for pages on `origins` (`None`: no gRPC-Web, no CORS) and the
    /// REST bindings `rest`.
    pub(crate) fn new(grpc: S, origins: Option<&[String]>, rest: Option<Arc<Routes>>) -> Self {
        let rest_methods = rest.as_ref().map(|routes| routes.methods()).unwrap_or_default();
        let cors = origins.map(|origins| crate::web::cors(origins, rest_methods));
        // tower-http checks its rules when it wraps a service: here, once, rather than per call.
        let _ = cors.as_ref().map(|cors| cors.layer(()));
        Dispatch { grpc, web: cors.is_some(), cors: cors.map(Arc::new), rest }
    }
}

/// A native gRPC call: HTTP/2 with `application/grpc` or `application/grpc+<codec>` (gRPC-Web's
/// content types start `application/grpc-web`).
fn is_native_grpc(request: &http::Request<Body>) -> bool {
    let content_type = content_type(request);
    request.version() == Version::HTTP_2
        && content_type.is_some_and(|t| t == b"application/grpc" || t.starts_with(b"application/grpc+"))
}

/// A gRPC-Web call (or gRPC over HTTP/1.1, which tonic-web refuses as it should).
fn is_grpc(request: &http::Request<Body>) -> bool {
    content_type(request).is_some_and(|t| t.starts_with(b"application/grpc"))
}

fn content_type(request: &http::Request<Body>) -> Option<&[u8]> {
    request.headers().get(header::CONTENT_TYPE).map(HeaderValue::as_bytes)
}

impl<S> Service<http::Request<Body>> for Dispatch<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = Either<S::Future, BoxFuture<'static, Result<http::Response<Body>, Infallible>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.grpc.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        if is_native_grpc(&request) {
            return Either::Left(self.grpc.call(request));
        }
        let not_native = NotNativeGrpc { grpc: self.grpc.clone(), web: self.web, rest: self.rest.clone() };
        Either::Right(match &self.cors {
            Some(cors) => cors.layer(not_native).oneshot(request).boxed(),
            None => not_native.oneshot(request).boxed(),
        })
    }
}

/// A request that is not native gRPC (HTTP/1.1, or HTTP/2 without `application/grpc`), after
/// CORS: gRPC-Web calls to tonic-web, the rest to the REST routes.
#[derive(Clone)]
struct NotNativeGrpc<S> {
    grpc: S,
    web: bool,
    rest: Option<Arc<Routes>>,
}

impl<S> Service<http::Request<Body>> for NotNativeGrpc<S>
where
    S: Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<http::Response<Body>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        match &self.rest {
            Some(rest) if !(self.web && is_grpc(&request)) => {
                crate::rest::call(rest.clone(), self.grpc.clone(), request).map(Ok).boxed()
            }
            _ => GrpcWebLayer::new().layer(self.grpc.clone()).oneshot(request).boxed(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_grpc_is_told_apart_by_version_and_content_type() {
        let request = |version, content_type: &str| {
            http::Request::builder().version(version).header("content-type", content_type).body(Body::empty()).unwrap()
        };
        assert!(is_native_grpc(&request(Version::HTTP_2, "application/grpc")));
        assert!(is_native_grpc(&request(Version::HTTP_2, "application/grpc+proto")));
        assert!(!is_native_grpc(&request(Version::HTTP_2, "application/grpc-web+proto")));
        assert!(!is_native_grpc(&request(Version::HTTP_2, "application/grpc-web-text")));
        assert!(!is_native_grpc(&request(Version::HTTP_11, "application/grpc")));
        assert!(!is_native_grpc(&request(Version::HTTP_2, "application/json")));
    }
}
