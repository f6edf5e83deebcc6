//! The gRPC port's connections: HTTP/2 served by hyper under [`Limits`], and HTTP/1.1 beside
//! it when the port also serves gRPC-Web ([`Protocols`]).
//!
//! This is what `tonic::transport::Server` does (the same hyper connection builder, the same
//! graceful shutdown: stop accepting, `GOAWAY` every connection, wait until they close), with
//! the limits tonic leaves out. It is served here rather than through tonic because two of
//! them need the connection itself, which tonic's accept loop keeps to itself:
//!
//! - **The handshake deadline** is kept by the connection's IO ([`PrefaceDeadline`]): until the
//!   24 bytes of the HTTP/2 client preface (or of an HTTP/1.1 request's head) have been read, a read that would wait past the
//!   deadline fails instead, and hyper closes the connection. A silent peer, or one that sends
//!   the preface a byte at a time, is closed [`Limits::handshake_timeout`] after it was
//!   accepted; past the preface the IO is a plain socket (keepalive and the idle timeout take
//!   over). This is the simplest correct place: hyper's HTTP/2 server has no handshake timeout,
//!   and nothing outside the IO knows whether the preface has come.
//! - **The idle timeout** needs to end one connection gracefully (hyper's `graceful_shutdown`,
//!   which sends `GOAWAY` and lets running calls finish), which only the task driving that
//!   connection can do. Each connection notes when its last call started; its task asks it to
//!   go away once [`Limits::idle_timeout`] has passed since then.
//!
//! Each request gets the connection's `TcpConnectInfo` as an extension, as tonic's server
//! adds it (`Request::remote_addr`, the span's peer address), and over mutual TLS the peer's
//! [`PeerIdentity`]. A mutual-TLS connection's TLS handshake counts against the handshake
//! deadline too.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use hyper::server::conn::http2;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulConnection;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{watch, Semaphore};
use tokio::time::{Instant, Sleep};
use tokio_rustls::TlsAcceptor;
use tonic::body::Body;
use tonic::transport::server::{Connected, TcpConnectInfo};
use tower::ServiceExt;

use crate::limits::Limits;
use crate::tls::stream::TlsIo;
use crate::tls::PeerIdentity;
use crate::wake::LastPoller;

/// The HTTP/2 client preface: `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`.
const PREFACE_LEN: usize = 24;

/// Serves `protocols` on the connections `incoming` yields until `stop` completes; then stops
/// accepting (dropping `incoming` closes the listening socket), asks every connection to go
/// away, and returns once they have all closed.
pub(crate) async fn serve<S>(
    incoming: impl Stream<Item = io::Result<TcpStream>>,
    service: S,
    (protocols, limits): (Protocols, Limits),
    tls: Option<TlsAcceptor>,
    stop: impl Future<Output = ()>,
) where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let builder = Arc::new(protocols.builder(&limits));
    let tls = tls.map(|acceptor| (acceptor, Arc::new(Semaphore::new(limits.max_tls_handshakes))));
    let (closing, _) = watch::channel(());
    {
        let mut incoming = pin!(incoming);
        let mut stop = pin!(stop);
        loop {
            let stream = tokio::select! {
                _ = &mut stop => break,
                accepted = incoming.next() => match accepted {
                    Some(Ok(stream)) => stream,
                    Some(Err(error)) => {
                        tracing::debug!(%error, "accept failed");
                        continue;
                    }
                    None => break,
                },
            };
            let (service, builder, closing) = (service.clone(), builder.clone(), closing.subscribe());
            match &tls {
                None => tokio::spawn(connection(stream, service, builder, limits, closing)),
                Some((acceptor, turns)) => {
                    let tls = (acceptor.clone(), turns.clone());
                    tokio::spawn(tls_connection(tls, stream, service, builder, limits, closing))
                }
            };
        }
    }
    let _ = closing.send(());
    closing.closed().await;
}

/// What the port speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Protocols {
    /// HTTP/2 only: gRPC.
    Http2,
    /// HTTP/1.1 beside HTTP/2, told apart by the HTTP/2 preface: gRPC-Web from browsers.
    Http1And2,
}

/// A connection builder for [`Protocols`].
enum Builder {
    Http2(http2::Builder<TokioExecutor>),
    Http1And2(auto::Builder<TokioExecutor>),
}

impl Protocols {
    /// hyper's server for these protocols, HTTP/2 configured as tonic configures it, with
    /// `limits`; HTTP/1.1 with the handshake deadline for each request's head.
    fn builder(self, limits: &Limits) -> Builder {
        match self {
            Protocols::Http2 => {
                let mut builder = http2::Builder::new(TokioExecutor::new());
                builder.settings(limits);
                Builder::Http2(builder)
            }
            Protocols::Http1And2 => {
                let mut builder = auto::Builder::new(TokioExecutor::new());
                builder
                    .http1()
                    .timer(TokioTimer::new())
                    .header_read_timeout(limits.handshake_timeout)
                    .max_buf_size((limits.max_header_list_size as usize).max(8192));
                builder.http2().settings(limits);
                Builder::Http1And2(builder)
            }
        }
    }
}

/// The HTTP/2 settings and keepalive under `limits`, the same on either builder.
trait Http2Settings {
    fn settings(&mut self, limits: &Limits);
}

macro_rules! http2_settings {
    ($($builder:ty),+) => {$(
        impl Http2Settings for $builder {
            fn settings(&mut self, limits: &Limits) {
                self.timer(TokioTimer::new())
                    .max_concurrent_streams(limits.max_concurrent_streams)
                    .max_local_error_reset_streams(limits.max_local_error_resets)
                    .max_header_list_size(limits.max_header_list_size)
                    .keep_alive_interval(limits.keepalive_interval)
                    .keep_alive_timeout(limits.keepalive_timeout);
            }
        }
    )+};
}

http2_settings!(http2::Builder<TokioExecutor>, auto::Http2Builder<'_, TokioExecutor>);

/// Serves one plaintext connection; see [`serve_io`].
async fn connection<S>(
    stream: TcpStream,
    service: S,
    builder: Arc<Builder>,
    limits: Limits,
    closing: watch::Receiver<()>,
) where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let info = stream.connect_info();
    let io = PrefaceDeadline::new(stream, limits.handshake_timeout);
    serve_io(io, Extensions { info, peer: None }, service, builder, limits, closing).await;
}

/// Serves one mutual-TLS connection: the TLS handshake (once one of the server's
/// [`Limits::max_tls_handshakes`] turns is free) and the HTTP/2 preface must both be over
/// within [`Limits::handshake_timeout`]; a peer without a certificate the CA signed fails the
/// handshake. Its requests carry the peer's identity.
async fn tls_connection<S>(
    (tls, turns): (TlsAcceptor, Arc<Semaphore>),
    stream: TcpStream,
    service: S,
    builder: Arc<Builder>,
    limits: Limits,
    closing: watch::Receiver<()>,
) where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let info = stream.connect_info();
    let started = Instant::now();
    let handshake = async {
        let _turn = turns.acquire().await;
        tls.accept(stream).await
    };
    let Ok(handshake) = tokio::time::timeout(limits.handshake_timeout, handshake).await else {
        return tracing::debug!(peer = ?info.remote_addr(), "no TLS handshake within the handshake timeout");
    };
    let stream = match handshake.and_then(|stream| TlsIo::new(stream.into_inner())) {
        Ok(stream) => stream,
        Err(error) => return tracing::debug!(%error, peer = ?info.remote_addr(), "TLS handshake failed"),
    };
    let peer = Some(crate::tls::server::peer_identity(stream.tls()));
    let io = PrefaceDeadline::new(stream, limits.handshake_timeout.saturating_sub(started.elapsed()));
    serve_io(io, Extensions { info, peer }, service, builder, limits, closing).await;
}

/// Serves one connection's `io` until it closes: gracefully when the server stops or
/// the connection has been idle for [`Limits::idle_timeout`].
async fn serve_io<IO, S>(
    io: IO,
    extensions: Extensions,
    service: S,
    builder: Arc<Builder>,
    limits: Limits,
    closing: watch::Receiver<()>,
) where
    IO: AsyncRead + AsyncWrite + Send + Unpin + 'static,
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let calls = Arc::new(CallClock::new());
    let service = PerConnection { inner: service, extensions, calls: calls.clone() };
    let idle = calls.idle(limits.idle_timeout);
    match &*builder {
        Builder::Http2(builder) => drive(builder.serve_connection(TokioIo::new(io), service), idle, closing).await,
        Builder::Http1And2(builder) => {
            drive(builder.serve_connection(TokioIo::new(io), service), idle, closing).await;
        }
    }
}

/// Drives one `connection` until it closes: gracefully when the server stops or `idle`
/// completes.
async fn drive<C>(connection: C, idle: impl Future<Output = ()>, mut closing: watch::Receiver<()>)
where
    C: GracefulConnection,
    C::Error: std::fmt::Display,
{
    let mut served = pin!(connection);
    // Why the connection should go away: the server stops, or it has been idle. The task
    // wakes for every frame; these are polled only when they asked to be.
    let go_away = async move {
        tokio::select! {
            _ = closing.changed() => {}
            () = idle => tracing::debug!("connection idle: asking it to go away"),
        }
    };
    let mut go_away = pin!(WhenWoken::new(go_away));
    let mut going_away = false;
    loop {
        tokio::select! {
            biased;
            result = &mut served => {
                if let Err(error) = result {
                    tracing::debug!(%error, "connection ended with an error");
                }
                return;
            }
            () = &mut go_away, if !going_away => {
                served.as_mut().graceful_shutdown();
                going_away = true;
            }
        }
    }
}

/// A future polled only when it asked to be woken (and the first time): polling a timer and
/// a watch on every wake of a busy connection's task cost ~1,000 instructions per call.
struct WhenWoken<F> {
    inner: Pin<Box<F>>,
    flag: Arc<WakeFlag>,
    /// The task's waker as last handed to `flag` (a task's waker rarely changes).
    task: Option<std::task::Waker>,
}

/// Set when the inner future's waker fires; wakes the task that polls it.
#[derive(Default)]
struct WakeFlag {
    woken: std::sync::atomic::AtomicBool,
    task: LastPoller,
}

impl std::task::Wake for WakeFlag {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

impl<F: Future> WhenWoken<F> {
    fn new(inner: F) -> Self {
        let flag = Arc::new(WakeFlag::default());
        flag.woken.store(true, Ordering::Relaxed);
        Self { inner: Box::pin(inner), flag, task: None }
    }
}

impl<F: Future> Future for WhenWoken<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        if !self.task.as_ref().is_some_and(|task| task.will_wake(cx.waker())) {
            self.flag.task.keep(cx.waker());
            self.task = Some(cx.waker().clone());
        }
        if !self.flag.woken.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        let waker = std::task::Waker::from(self.flag.clone());
        self.inner.as_mut().poll(&mut Context::from_waker(&waker))
    }
}

/// What every request of one connection carries: its addresses and, over mutual TLS, the
/// peer's identity.
#[derive(Clone)]
struct Extensions {
    info: TcpConnectInfo,
    peer: Option<PeerIdentity>,
}

/// When the last call on one connection started.
#[derive(Debug)]
struct CallClock {
    opened: Instant,
    /// Milliseconds from `opened` to the start of the last call.
    last_call_ms: AtomicU64,
}

impl CallClock {
    fn new() -> Self {
        Self { opened: Instant::now(), last_call_ms: AtomicU64::new(0) }
    }

    fn started(&self) {
        let ms = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_call_ms.store(ms, Ordering::Relaxed);
    }

    /// Completes once no call has started for `timeout` (never when `None`).
    async fn idle(&self, timeout: Option<Duration>) {
        let Some(timeout) = timeout else { return std::future::pending().await };
        loop {
            let last = self.opened + Duration::from_millis(self.last_call_ms.load(Ordering::Relaxed));
            let deadline = last + timeout;
            if Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline).await;
        }
    }
}

/// The service of one connection: notes each call's start and gives the request the
/// connection's addresses.
#[derive(Clone)]
struct PerConnection<S> {
    inner: S,
    extensions: Extensions,
    calls: Arc<CallClock>,
}

impl<S> hyper::service::Service<http::Request<hyper::body::Incoming>> for PerConnection<S>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible> + Clone,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = tower::util::Oneshot<S, http::Request<Body>>;

    fn call(&self, request: http::Request<hyper::body::Incoming>) -> Self::Future {
        self.calls.started();
        let mut request = request.map(Body::new);
        request.extensions_mut().insert(self.extensions.info.clone());
        if let Some(peer) = &self.extensions.peer {
            request.extensions_mut().insert(peer.clone());
        }
        self.inner.clone().oneshot(request)
    }
}

/// A connection's IO that fails reads once `deadline` passes before the HTTP/2 preface (or the
/// first 24 bytes of an HTTP/1.1 head) has been read; see the module docs.
struct PrefaceDeadline<IO> {
    io: IO,
    /// Armed until the preface has been read (or the peer closed).
    deadline: Option<Pin<Box<Sleep>>>,
    /// Preface bytes still to come.
    left: usize,
}

impl<IO> PrefaceDeadline<IO> {
    fn new(io: IO, timeout: Duration) -> Self {
        Self { io, deadline: Some(Box::pin(tokio::time::sleep(timeout))), left: PREFACE_LEN }
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for PrefaceDeadline<IO> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let (before, room) = (buf.filled().len(), buf.remaining());
        let polled = Pin::new(&mut this.io).poll_read(cx, buf);
        let Some(deadline) = &mut this.deadline else { return polled };
        match &polled {
            Poll::Ready(Ok(())) => {
                let read = buf.filled().len() - before;
                this.left = this.left.saturating_sub(read);
                // Done: the preface is in, or the peer closed (nothing read into room for it).
                if this.left == 0 || (read == 0 && room > 0) {
                    this.deadline = None;
                }
            }
            Poll::Ready(Err(_)) => {}
            Poll::Pending => {
                if deadline.as_mut().poll(cx).is_ready() {
                    this.deadline = None;
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "no HTTP/2 preface (or HTTP/1.1 head) within the handshake timeout",
                    )));
                }
            }
        }
        polled
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for PrefaceDeadline<IO> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[test]
    fn a_gated_future_is_polled_only_after_it_asked_to_be_woken() {
        let polls = Arc::new(AtomicU64::new(0));
        let stored = Arc::new(std::sync::Mutex::new(None::<std::task::Waker>));
        let (counted, keep) = (polls.clone(), stored.clone());
        let inner = futures_util::future::poll_fn(move |cx| {
            counted.fetch_add(1, Ordering::Relaxed);
            *keep.lock().unwrap() = Some(cx.waker().clone());
            Poll::<()>::Pending
        });
        let mut gated = pin!(WhenWoken::new(inner));
        let task = futures_util::task::noop_waker();
        let mut cx = Context::from_waker(&task);
        for _ in 0..5 {
            assert!(gated.as_mut().poll(&mut cx).is_pending());
        }
        assert_eq!(polls.load(Ordering::Relaxed), 1, "polled the first time, then not until it asks");
        stored.lock().unwrap().take().unwrap().wake();
        assert!(gated.as_mut().poll(&mut cx).is_pending());
        assert!(gated.as_mut().poll(&mut cx).is_pending());
        assert_eq!(polls.load(Ordering::Relaxed), 2, "polled once after its wake");
    }

    #[tokio::test(start_paused = true)]
    async fn a_silent_peer_fails_the_read_at_the_deadline() {
        let (client, server) = tokio::io::duplex(64);
        let mut io = PrefaceDeadline::new(server, Duration::from_millis(500));
        let started = Instant::now();
        let error = io.read(&mut [0; 8]).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert_eq!(started.elapsed(), Duration::from_millis(500));
        drop(client);
    }

    #[tokio::test(start_paused = true)]
    async fn a_preface_sent_a_byte_at_a_time_still_has_to_make_the_deadline() {
        let (mut client, server) = tokio::io::duplex(64);
        let mut io = PrefaceDeadline::new(server, Duration::from_millis(500));
        let mut buffer = [0; 64];
        for _ in 0..4 {
            client.write_all(b"P").await.unwrap();
            assert_eq!(io.read(&mut buffer).await.unwrap(), 1);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let error = io.read(&mut buffer).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
    }

    #[tokio::test(start_paused = true)]
    async fn after_the_preface_the_deadline_is_gone() {
        let (mut client, server) = tokio::io::duplex(64);
        let mut io = PrefaceDeadline::new(server, Duration::from_millis(500));
        client.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").await.unwrap();
        let mut buffer = [0; 64];
        assert_eq!(io.read(&mut buffer).await.unwrap(), PREFACE_LEN);
        tokio::time::sleep(Duration::from_secs(60)).await;
        client.write_all(b"later").await.unwrap();
        assert_eq!(io.read(&mut buffer).await.unwrap(), 5);
    }

    #[tokio::test(start_paused = true)]
    async fn idle_counts_from_the_last_call_started() {
        let clock = CallClock::new();
        let timeout = Some(Duration::from_secs(10));
        tokio::time::sleep(Duration::from_secs(7)).await;
        clock.started();
        let started = Instant::now();
        clock.idle(timeout).await;
        assert_eq!(started.elapsed(), Duration::from_secs(10));
        let never = tokio::time::timeout(Duration::from_secs(3600), clock.idle(None)).await;
        assert!(never.is_err());
    }
}
