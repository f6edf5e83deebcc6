//! What one peer may hold of a [`crate::Server`], in one place: [`Limits`], each field set by a
//! setter of the server whose documentation names its default.
//!
//! ## The gRPC port (HTTP/2)
//!
//! - **Streams per connection** ([`Limits::max_concurrent_streams`]): advertised as
//!   `SETTINGS_MAX_CONCURRENT_STREAMS`; a peer that opens more anyway has them refused
//!   (`RST_STREAM REFUSED_STREAM`), and after [`Limits::max_local_error_resets`] refusals and other
//!   resets it caused, the connection ends (`GOAWAY ENHANCE_YOUR_CALM`). tonic's own server
//!   passes "no limit" for both, replacing hyper's defaults: 20,000 held streams on one
//!   connection took a server from 12 MB to 240 MB.
//! - **Header list** ([`Limits::max_header_list_size`]): a request whose headers decode to more is
//!   refused.
//! - **Handshake** ([`Limits::handshake_timeout`]): a connection must send the HTTP/2 client
//!   preface (24 bytes) within this time of being accepted, or it is closed. Neither tonic nor
//!   hyper has such a deadline (hyper's server waits for the preface for ever, and a graceful
//!   shutdown waits for it too): the server's connection IO fails its reads once the deadline
//!   passes before the preface has been read.
//! - **TLS handshakes** ([`Limits::max_tls_handshakes`], mutual TLS only): a server signs its
//!   part of a handshake before it has seen the client's certificate, so handshakes are costly
//!   to anyone who can connect; at most this many run at once, the others wait for a turn
//!   within their handshake deadline (a peer that never finishes holds a turn for that long).
//! - **Idle** ([`Limits::idle_timeout`]): a connection on which no call has started for this long
//!   is asked to go away (`GOAWAY`, graceful: calls still running on it finish, the client opens
//!   a new connection for its next call). Like grpc-go's `MaxConnectionIdle`, except that the
//!   time counts from the last call's start rather than its end (hyper does not say when a
//!   stream ends): a connection carrying one long call is told to go away and the call goes on.
//! - **Keepalive** ([`Limits::keepalive_interval`], [`Limits::keepalive_timeout`]): when nothing
//!   has come from the peer for the interval, the server pings it, and closes the connection
//!   when the ping is not answered in time: a peer that vanished without closing its socket
//!   (its node died, a black-holed route) no longer holds the connection for good.
//!
//! What else bounds a connection (hyper's and tonic's defaults, unchanged): request data a
//! handler has not read is held back by HTTP/2 flow control (1 MiB per connection); each
//! request message is at most 4 MiB (the `max_decoding_message_size` of tonic's generated
//! servers; responses have no limit), and tonic buffers a message until it is whole, so one
//! connection can make the server hold up to `max_concurrent_streams` × 4 MiB of partial
//! messages (800 MiB at the defaults) — lower either limit where peers are not trusted; and at
//! most 400 KiB of response data per stream waits in the server for a peer that does not
//! read. The number of connections is bounded only by the process's file descriptors
//! (the accept loop rests when they run out).
//!
//! ## The gRPC port with `web` or REST bindings: HTTP/1.1 beside HTTP/2
//!
//! An HTTP/1.1 connection (a browser's gRPC-Web, a REST client) carries one call at a time, so the stream
//! limits do not apply and one connection holds at most one partial message (4 MiB). The
//! handshake deadline covers the first 24 bytes of its first head as it covers the HTTP/2
//! preface, and [`Limits::handshake_timeout`] is also hyper's header read timeout for every head
//! after: a kept-alive connection sending no next request in that time is closed (a browser opens
//! another). A head may take [`Limits::max_header_list_size`] bytes (at least 8 KiB: hyper's
//! read buffer). HTTP/1.1 has no pings: the server's sockets then send TCP keepalive probes after
//! [`Limits::keepalive_interval`] of silence, every [`Limits::keepalive_timeout`], three times, so
//! a browser that vanished mid-stream is let go within about two minutes at the defaults. The
//! idle timeout applies as for HTTP/2. A REST request's JSON body is read to its end before the
//! call starts, at most [`crate::rest::MAX_BODY_BYTES`] (4 MiB; more is refused with 413
//! RESOURCE_EXHAUSTED without being held), the same bound as a gRPC message; its path and query
//! are part of the head.
//!
//! ## The metrics port (HTTP/1.1)
//!
//! A request's head (request line and headers) must arrive within
//! [`Limits::metrics_header_read_timeout`] — which also closes a kept-alive connection that
//! sends no next request in that time — and fit in [`Limits::metrics_max_header_bytes`]. What a
//! scrape returns is bounded by [`crate::metrics::RpcMetrics`] itself (see its module docs).

use std::time::Duration;

/// What one peer may hold of a server; see the [module docs](self). Set through the setters
/// of [`crate::Server`]; the defaults are the associated constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Streams one connection may have open at once.
    pub max_concurrent_streams: u32,
    /// Streams the server may reset because of the peer's errors (refused streams included)
    /// before it ends the connection.
    pub max_local_error_resets: usize,
    /// The most bytes a request's headers may decode to.
    pub max_header_list_size: u32,
    /// How long a new connection may take to send the HTTP/2 preface.
    pub handshake_timeout: Duration,
    /// TLS handshakes of a mutual-TLS server running at once.
    pub max_tls_handshakes: usize,
    /// How long a connection may go without a new call before it is asked to go away; `None`:
    /// for ever.
    pub idle_timeout: Option<Duration>,
    /// How long the peer may stay silent before the server pings it; `None`: no pings.
    pub keepalive_interval: Option<Duration>,
    /// How long a ping may go unanswered before the connection is closed.
    pub keepalive_timeout: Duration,
    /// How long a metrics request's head may take to arrive.
    pub metrics_header_read_timeout: Duration,
    /// The most bytes a metrics request's head may take.
    pub metrics_max_header_bytes: usize,
}

impl Limits {
    /// Default of [`Limits::max_concurrent_streams`]: 200 (hyper's own default).
    pub const DEFAULT_MAX_CONCURRENT_STREAMS: u32 = 200;
    /// Default of [`Limits::max_local_error_resets`]: 1024 (hyper's own default).
    pub const DEFAULT_MAX_LOCAL_ERROR_RESETS: usize = 1024;
    /// Default of [`Limits::max_header_list_size`]: 16 KiB (hyper's own default).
    pub const DEFAULT_MAX_HEADER_LIST_SIZE: u32 = 16 * 1024;
    /// Default of [`Limits::handshake_timeout`]: 10 s.
    pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
    /// Default of [`Limits::max_tls_handshakes`]: 64 (a handshake costs ~3 M instructions on
    /// the server, so 64 at once are a few ms of two cores).
    pub const DEFAULT_MAX_TLS_HANDSHAKES: usize = 64;
    /// Default of [`Limits::idle_timeout`]: 10 minutes.
    pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(10 * 60);
    /// Default of [`Limits::keepalive_interval`]: 60 s.
    pub const DEFAULT_KEEPALIVE_INTERVAL: Duration = Duration::from_secs(60);
    /// Default of [`Limits::keepalive_timeout`]: 20 s (tonic's and grpc-go's).
    pub const DEFAULT_KEEPALIVE_TIMEOUT: Duration = Duration::from_secs(20);
    /// Default of [`Limits::metrics_header_read_timeout`]: 5 s.
    pub const DEFAULT_METRICS_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);
    /// Default of [`Limits::metrics_max_header_bytes`]: 16 KiB (hyper accepts no less than 8 KiB).
    pub const DEFAULT_METRICS_MAX_HEADER_BYTES: usize = 16 * 1024;
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_concurrent_streams: Self::DEFAULT_MAX_CONCURRENT_STREAMS,
            max_local_error_resets: Self::DEFAULT_MAX_LOCAL_ERROR_RESETS,
            max_header_list_size: Self::DEFAULT_MAX_HEADER_LIST_SIZE,
            handshake_timeout: Self::DEFAULT_HANDSHAKE_TIMEOUT,
            max_tls_handshakes: Self::DEFAULT_MAX_TLS_HANDSHAKES,
            idle_timeout: Some(Self::DEFAULT_IDLE_TIMEOUT),
            keepalive_interval: Some(Self::DEFAULT_KEEPALIVE_INTERVAL),
            keepalive_timeout: Self::DEFAULT_KEEPALIVE_TIMEOUT,
            metrics_header_read_timeout: Self::DEFAULT_METRICS_HEADER_READ_TIMEOUT,
            metrics_max_header_bytes: Self::DEFAULT_METRICS_MAX_HEADER_BYTES,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The setters of `Server` state these numbers in their docs ("Default: 200.").
    #[test]
    fn the_defaults_are_the_documented_ones() {
        let limits = Limits::default();
        assert_eq!(limits.max_concurrent_streams, 200);
        assert_eq!(limits.max_local_error_resets, 1024);
        assert_eq!(limits.max_header_list_size, 16 * 1024);
        assert_eq!(limits.handshake_timeout, Duration::from_secs(10));
        assert_eq!(limits.max_tls_handshakes, 64);
        assert_eq!(limits.idle_timeout, Some(Duration::from_secs(600)));
        assert_eq!(limits.keepalive_interval, Some(Duration::from_secs(60)));
        assert_eq!(limits.keepalive_timeout, Duration::from_secs(20));
        assert_eq!(limits.metrics_header_read_timeout, Duration::from_secs(5));
        assert_eq!(limits.metrics_max_header_bytes, 16 * 1024);
    }
}
