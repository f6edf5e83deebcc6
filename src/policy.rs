//! Per-method call policy on the client side: default deadlines, retries and hedges of
//! idempotent calls within a budget, a client span per call and trace context propagation.
//!
//! [`PolicyChannel`] sits between a generated client and the client's pool of pods
//! ([`crate::balance`]). When the caller sets no deadline it sets `grpc-timeout` (so the server
//! gives up too) to the method's `timeout_ms`, or the service's `client.default_timeout_ms` for
//! methods without one that do not stream responses, and fails the call with DEADLINE_EXCEEDED
//! when it passes. While the target resolves to no address, calls fail at once with
//! UNAVAILABLE saying why.
//!
//! Calls to `idempotent` methods that do not stream requests are buffered. A failed attempt
//! (transport error or UNAVAILABLE) is retried on another pod after an exponential backoff;
//! with a hedge delay, a further attempt also starts on another pod when the pending ones
//! have not answered after that long, and the first answer wins. At most [`MAX_ATTEMPTS`]
//! attempts, never past the deadline, and every attempt after the first draws on the retry
//! budget ([`crate::budget`]).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::stream::{FuturesUnordered, StreamExt};
use http::HeaderValue;
use http_body_util::BodyExt;
use opentelemetry::trace::SpanKind;
use tonic::body::Body;
use tonic::{Code, Status};
use tower::{Service, ServiceExt};
use tracing::Instrument;

use crate::balance::{Lease, Pool};
use crate::call::{rpc_name, Side};
use crate::metrics::{self, RpcMetrics};
use crate::sampling::{self, Verdict};
use crate::span::{CallSpan, Kind, Parent};
use crate::trace;
use crate::{ClientPolicy, Deploy, MethodPolicy};

pub use kuberpc_spec::policy::MAX_ATTEMPTS;
/// Backoff before a retry after a failed attempt; doubled for each further one.
const FIRST_BACKOFF: Duration = Duration::from_millis(kuberpc_spec::policy::FIRST_BACKOFF_MS);

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
type Outcome = Result<http::Response<Body>, BoxError>;

/// A channel applying each method's policy over a pool of pods; generated clients take it
/// like a `Channel`. Clones share the pool.
#[derive(Debug, Clone)]
pub struct PolicyChannel {
    pool: Arc<Pool>,
    deploy: &'static Deploy,
    /// The name and port calls go to, for the client spans; `None` for a list of addresses.
    server: Option<(Arc<str>, u16)>,
}

impl PolicyChannel {
    pub(crate) fn new(pool: Arc<Pool>, deploy: &'static Deploy, server: Option<(Arc<str>, u16)>) -> Self {
        Self { pool, deploy, server }
    }
}

impl Service<http::Request<Body>> for PolicyChannel {
    type Response = http::Response<Body>;
    type Error = BoxError;
    type Future = BoxFuture<Result<Self::Response, BoxError>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        // Each attempt waits for its own pod's connection.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let path = request.uri().path();
        let span = client_log_span(path);
        let (exported, dropped) = match sampling::decide(trace::client_parent, SpanKind::Client) {
            Verdict::Kept(parent) => (self.client_span(&request, &parent), None),
            Verdict::Dropped(dropped) => (CallSpan::default(), Some(dropped)),
            Verdict::Unsampled => (CallSpan::default(), None),
        };
        let (active, mut request) =
            metrics::observe(RpcMetrics::global_in_use(), Side::Client, request, Some(self.deploy));
        let call: BoxFuture<Outcome> = match self.pool.problem() {
            Some(problem) => Box::pin(async move { Ok(Status::unavailable(problem).into_http()) }),
            None => {
                trace::inject(&exported, dropped.as_ref(), request.headers_mut());
                self.call_with_policy(request, &span, exported.parent())
            }
        };
        if !exported.is_traced() && span.is_disabled() && active.is_none() {
            return call;
        }
        // Nothing of the call has run yet: futures start when polled.
        let start = Instant::now();
        let traced = call.instrument(span.clone());
        Box::pin(async move {
            match traced.await {
                Ok(response) => Ok(trace::record_response(response, span, exported, Side::Client, start, active)),
                Err(error) => {
                    // tonic reports a transport error as UNAVAILABLE.
                    if let Some(mut active) = active {
                        active.finished(14, start.elapsed().as_secs_f64());
                    }
                    let mut exported = exported;
                    exported.status(14, true);
                    Err(error)
                }
            }
        })
    }
}

impl PolicyChannel {
    /// The deadline, then one attempt or several (see the module docs).
    fn call_with_policy(
        &self,
        mut request: http::Request<Body>,
        span: &tracing::Span,
        traced: Option<Parent>,
    ) -> BoxFuture<Outcome> {
        let policy = self.deploy.method(request.uri().path());
        let deadline = apply_deadline(&mut request, policy, &self.deploy.client);
        let at = deadline.map(|d| Instant::now() + d);
        self.pool.budget.deposit();
        let pool = self.pool.clone();
        let call: BoxFuture<Outcome> = match policy.filter(|p| p.retries()) {
            Some(policy) => Box::pin(Attempts::new(pool, at, policy, span.clone(), traced).run(request)),
            None => Box::pin(call_once(pool, request, at)),
        };
        Box::pin(async move {
            let (Some(limit), Some(at)) = (deadline, at) else { return call.await };
            let response = match tokio::time::timeout_at(at.into(), call).await {
                Ok(Err(error)) if is_timeout(&*error) => return Ok(deadline_exceeded(limit)),
                Ok(response) => response?,
                Err(_) => return Ok(deadline_exceeded(limit)),
            };
            // The server enforces grpc-timeout too and reports it as CANCELLED: the
            // deadline is the client's, so say so.
            if status_in_headers(&response) == Some(Code::Cancelled) {
                return Ok(deadline_exceeded(limit));
            }
            Ok(response)
        })
    }

    /// The client span of a kept call, with the target it goes to.
    fn client_span(&self, request: &http::Request<Body>, parent: &Parent) -> CallSpan {
        let mut span = CallSpan::start(parent, Kind::Client, request.uri());
        if let (Some(record), Some((host, port))) = (span.record(), &self.server) {
            record.server_address = Some(host.clone());
            record.server_port = Some(*port);
        }
        span
    }
}

/// The `tracing` span a call is logged in (disabled unless a subscriber wants DEBUG).
fn client_log_span(path: &str) -> tracing::Span {
    let span =
        tracing::debug_span!("grpc.client", rpc.service = tracing::field::Empty, rpc.method = tracing::field::Empty);
    if !span.is_disabled() {
        let (service, method) = rpc_name(path);
        span.record("rpc.service", tracing::field::display(service))
            .record("rpc.method", tracing::field::display(method));
    }
    span
}

/// One attempt on one pod, reported to the pool. A call given up on at its deadline counts as
/// the pod's failure (the lease is overdue then).
async fn call_once(pool: Arc<Pool>, request: http::Request<Body>, deadline: Option<Instant>) -> Outcome {
    let lease = match pool.pick(&[], deadline) {
        Ok(lease) => lease,
        Err(status) => return Ok(status.into_http()),
    };
    let (lease, outcome) = attempt(lease, request, CallSpan::default()).await;
    report(lease, &outcome);
    outcome
}

/// `_span` (the attempt's, if traced) ends with the attempt, or when a hedge that lost is dropped.
async fn attempt(lease: Lease, request: http::Request<Body>, _span: CallSpan) -> (Lease, Outcome) {
    let mut channel = lease.channel();
    let outcome = match channel.ready().await {
        Ok(ready) => ready.call(request).await.map_err(Into::into),
        Err(error) => Err(error.into()),
    };
    (lease, outcome)
}

/// Tells the pool how the pod did; `true` when the attempt failed for a reason another pod
/// may not have (a transport error or UNAVAILABLE).
fn report(lease: Lease, outcome: &Outcome) -> bool {
    let failed = match outcome {
        Ok(response) => status_in_headers(response) == Some(Code::Unavailable),
        Err(_) => true,
    };
    if failed {
        lease.failed();
    } else {
        lease.answered();
    }
    failed
}

/// When the next attempt of an idempotent call starts, unless one answers first.
#[derive(Debug, Clone, Copy)]
enum Next {
    /// A retry after a failure, already paid from the budget.
    Retry(Instant),
    /// A hedge, paid when it starts.
    Hedge(Instant),
}

impl Next {
    fn at(self) -> Instant {
        match self {
            Next::Retry(at) | Next::Hedge(at) => at,
        }
    }
}

/// The attempts of one idempotent call.
struct Attempts {
    pool: Arc<Pool>,
    deadline: Option<Instant>,
    hedge: Option<Duration>,
    parts: Option<http::request::Parts>,
    body: Bytes,
    /// The pods tried, in order (the first `attempts`).
    tried: [SocketAddr; MAX_ATTEMPTS as usize],
    attempts: usize,
    pending: FuturesUnordered<BoxFuture<(Lease, Outcome)>>,
    backoff: Duration,
    /// The call's log span: each attempt's is under it.
    span: tracing::Span,
    /// The call's exported span, when traced: each attempt gets one under it.
    traced: Option<Parent>,
}

impl Attempts {
    fn new(
        pool: Arc<Pool>,
        deadline: Option<Instant>,
        policy: &MethodPolicy,
        span: tracing::Span,
        traced: Option<Parent>,
    ) -> Self {
        Self {
            span,
            traced,
            pool,
            deadline,
            hedge: policy.hedge_delay(),
            parts: None,
            body: Bytes::new(),
            tried: [SocketAddr::from(([0, 0, 0, 0], 0)); MAX_ATTEMPTS as usize],
            attempts: 0,
            pending: FuturesUnordered::new(),
            backoff: FIRST_BACKOFF,
        }
    }

    async fn run(mut self, request: http::Request<Body>) -> Outcome {
        let (parts, body) = request.into_parts();
        self.body = read_whole(body).await?;
        self.parts = Some(parts);
        if let Err(status) = self.start() {
            return Ok(status.into_http());
        }
        let mut next = self.next_hedge();
        let mut last = None;
        loop {
            let due = next.map(|next| next.at());
            let timer = async move {
                match due {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                Some((lease, outcome)) = self.pending.next() => {
                    if !report(lease, &outcome) {
                        return outcome;
                    }
                    last = Some(outcome);
                    next = self.after_failure(next);
                }
                () = timer => next = self.start_another(next),
            }
            if self.pending.is_empty() && next.is_none() {
                return last.unwrap_or_else(|| Ok(Status::unavailable("the retry budget is spent").into_http()));
            }
        }
    }

    fn more_allowed(&self, at: Instant) -> bool {
        self.attempts < MAX_ATTEMPTS as usize && self.deadline.is_none_or(|d| at < d)
    }

    fn next_hedge(&self) -> Option<Next> {
        let at = Instant::now() + self.hedge?;
        self.more_allowed(at).then_some(Next::Hedge(at))
    }

    /// After a failed attempt: a retry after the backoff, paid from the budget now (so a spent
    /// budget fails the call at once), unless one is already paid for.
    fn after_failure(&mut self, scheduled: Option<Next>) -> Option<Next> {
        if let Some(Next::Retry(at)) = scheduled {
            return Some(Next::Retry(at));
        }
        let at = Instant::now() + self.backoff;
        self.backoff *= 2;
        if self.more_allowed(at) && self.pool.budget.withdraw() {
            return Some(Next::Retry(at));
        }
        scheduled
    }

    /// The timer fired: start the retry (paid) or the hedge (paid now, if the budget allows);
    /// returns when the next hedge is due.
    fn start_another(&mut self, fired: Option<Next>) -> Option<Next> {
        let paid = matches!(fired, Some(Next::Retry(_)));
        let hedge_allowed = || self.more_allowed(Instant::now()) && self.pool.budget.withdraw();
        if !(paid || hedge_allowed()) {
            return None;
        }
        tracing::debug!(attempt = self.attempts + 1, "starting another attempt on another pod");
        self.start().ok()?;
        self.next_hedge()
    }

    fn start(&mut self) -> Result<(), Status> {
        let overdue_at = match self.hedge {
            Some(delay) => Some(Instant::now() + delay),
            None => self.deadline,
        };
        let previous = self.attempts;
        let lease = self.pool.pick(&self.tried[..previous], overdue_at)?;
        // more_allowed() kept the attempts within MAX_ATTEMPTS.
        let Some(slot) = self.tried.get_mut(previous) else { return Err(Status::internal("too many attempts")) };
        *slot = lease.addr();
        self.attempts += 1;
        let parts = self.parts.as_ref().ok_or_else(|| Status::internal("attempt before the request was read"))?;
        let mut request = rebuild(parts, self.body.clone());
        let exported = match &self.traced {
            Some(call) => attempt_span(call, &request, lease.addr(), previous),
            None => CallSpan::default(),
        };
        // The pod's server span is the attempt's child.
        trace::reinject(&exported, request.headers_mut());
        let span = tracing::debug_span!(parent: &self.span, "grpc.client.attempt", pod = %lease.addr(), previous);
        self.pending.push(Box::pin(attempt(lease, request, exported).instrument(span)));
        Ok(())
    }
}

/// The span of one attempt of a call that may be retried or hedged, under the call's span
/// (gRPC's design, gRFC A72: `Attempt.<service>.<method>`, with the attempts before it).
fn attempt_span(call: &Parent, request: &http::Request<Body>, pod: SocketAddr, previous: usize) -> CallSpan {
    let mut span = CallSpan::start(call, Kind::Client, request.uri());
    if let Some(record) = span.record() {
        record.attempt = Some(u32::try_from(previous).unwrap_or(u32::MAX));
        record.peer = Some(pod);
    }
    span
}

/// The caller's deadline (`grpc-timeout`, set by `Request::set_timeout`) wins; otherwise the
/// method's `timeout_ms`, else `default_ms` unless the method streams its response, becomes
/// the header. Returns the deadline in force.
fn apply_deadline(
    request: &mut http::Request<Body>,
    policy: Option<&MethodPolicy>,
    client: &ClientPolicy,
) -> Option<Duration> {
    if let Some(header) = crate::call::header(request.headers(), &crate::call::GRPC_TIMEOUT) {
        return parse_grpc_timeout(header.to_str().ok()?);
    }
    let timeout_ms = match policy {
        Some(policy) => policy.deadline_ms(client)?,
        None => client.default_timeout_ms,
    };
    request.headers_mut().insert(crate::call::GRPC_TIMEOUT.clone(), timeout_value(timeout_ms)?);
    Some(Duration::from_millis(timeout_ms))
}

/// `grpc-timeout` for `ms` milliseconds: in milliseconds while they fit its 8 digits, else in
/// seconds or hours, rounded up (written digit by digit: `format!` and a parsed header name
/// cost ~400 instructions a call).
fn timeout_value(ms: u64) -> Option<HeaderValue> {
    const MOST: u64 = 99_999_999;
    let (amount, unit) = match ms {
        0..=MOST => (ms, b'm'),
        _ if ms.div_ceil(1000) <= MOST => (ms.div_ceil(1000), b'S'),
        _ => (ms.div_ceil(3_600_000).min(MOST), b'H'),
    };
    let mut text = [0u8; MAX_TIMEOUT_DIGITS + 1];
    text[MAX_TIMEOUT_DIGITS] = unit;
    let (mut start, mut rest) = (MAX_TIMEOUT_DIGITS, amount);
    loop {
        start -= 1;
        text[start] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    HeaderValue::from_bytes(&text[start..]).ok()
}

/// The most digits a `grpc-timeout` value may have (gRPC over HTTP/2: `TimeoutValue`).
const MAX_TIMEOUT_DIGITS: usize = 8;

/// `grpc-timeout` values: 1 to 8 ASCII digits and a unit (H M S m u n); anything else is
/// `None`. Eight digits of hours fit a `u64` of seconds many times over, so nothing
/// overflows. An invalid value means no deadline — what tonic's server does with it (its
/// `GrpcTimeout` logs it at TRACE and runs the call without one), so this layer and tonic
/// never disagree on whether a call has a deadline. (grpc-go answers INTERNAL instead; tonic
/// also takes a leading `+`, which `u64::from_str` allows and the spec does not: `+5m` has no
/// deadline here.)
pub(crate) fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    let (&unit, digits) = value.as_bytes().split_last()?;
    if digits.is_empty() || digits.len() > MAX_TIMEOUT_DIGITS || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let amount = digits.iter().fold(0u64, |amount, digit| amount * 10 + u64::from(digit - b'0'));
    Some(match unit {
        b'H' => Duration::from_secs(amount * 3600),
        b'M' => Duration::from_secs(amount * 60),
        b'S' => Duration::from_secs(amount),
        b'm' => Duration::from_millis(amount),
        b'u' => Duration::from_micros(amount),
        b'n' => Duration::from_nanos(amount),
        _ => return None,
    })
}

/// An attempt's request: the call's head and its message. Not its extensions: nothing
/// between here and the pod's connection reads them.
fn rebuild(parts: &http::request::Parts, body: Bytes) -> http::Request<Body> {
    let mut request = http::Request::new(Body::new(Replay(Some(body))));
    *request.method_mut() = parts.method.clone();
    *request.uri_mut() = parts.uri.clone();
    *request.version_mut() = parts.version;
    *request.headers_mut() = parts.headers.clone();
    request
}

/// A request body, all of it: its one frame as it is (the common case: a unary call's one
/// message), or its frames joined.
async fn read_whole(mut body: Body) -> Result<Bytes, BoxError> {
    let mut whole = Bytes::new();
    while let Some(frame) = body.frame().await {
        let Ok(data) = frame.map_err(|e| Box::new(e) as BoxError)?.into_data() else { continue };
        whole = if whole.is_empty() { data } else { [whole, data].concat().into() };
    }
    Ok(whole)
}

/// A request body replayed for an attempt. Its size is not announced: gRPC needs no
/// `content-length`, which both ends would otherwise encode, decode and parse on every attempt.
struct Replay(Option<Bytes>);

impl http_body::Body for Replay {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        Poll::Ready(self.0.take().map(|data| Ok(http_body::Frame::data(data))))
    }

    fn is_end_stream(&self) -> bool {
        self.0.is_none()
    }
}

/// The status of a trailers-only response (errors before any message).
fn status_in_headers(response: &http::Response<Body>) -> Option<Code> {
    let status = i32::from(crate::call::grpc_status(response.headers())?);
    Some(Code::from_i32(status))
}

/// Whether tonic gave up at the `grpc-timeout` the policy set (before the policy's own timer).
fn is_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(error) = current {
        if error.is::<tonic::TimeoutExpired>() {
            return true;
        }
        current = error.source();
    }
    false
}

fn deadline_exceeded(limit: Duration) -> http::Response<Body> {
    Status::deadline_exceeded(format!("deadline of {} ms exceeded", limit.as_millis())).into_http()
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNARY: MethodPolicy = MethodPolicy::unary("/a.B/C");

    #[test]
    fn a_deadline_is_written_in_the_finest_unit_its_eight_digits_allow() {
        for (ms, text, read) in [
            (500, "500m", Duration::from_millis(500)),
            (0, "0m", Duration::ZERO),
            (99_999_999, "99999999m", Duration::from_millis(99_999_999)),
            (100_000_000, "100000S", Duration::from_secs(100_000)),
            (5_000_000_001, "5000001S", Duration::from_secs(5_000_001)),
            (100_000_000_001, "27778H", Duration::from_secs(27_778 * 3600)),
            (u64::MAX, "99999999H", Duration::from_secs(99_999_999 * 3600)),
        ] {
            let value = timeout_value(ms).unwrap();
            assert_eq!(value, text, "{ms} ms");
            assert_eq!(parse_grpc_timeout(value.to_str().unwrap()), Some(read), "{text}");
        }
    }

    #[test]
    fn grpc_timeout_units() {
        assert_eq!(parse_grpc_timeout("500m"), Some(Duration::from_millis(500)));
        assert_eq!(parse_grpc_timeout("2S"), Some(Duration::from_secs(2)));
        assert_eq!(parse_grpc_timeout("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_grpc_timeout("m"), None);
        assert_eq!(parse_grpc_timeout("5x"), None);
    }

    #[test]
    fn grpc_timeout_values_tonic_refuses_are_no_deadline_and_never_panic() {
        // Eight digits is the most, and the largest value of the largest unit fits.
        assert_eq!(parse_grpc_timeout("99999999H"), Some(Duration::from_secs(99_999_999 * 3600)));
        assert_eq!(parse_grpc_timeout("00000001n"), Some(Duration::from_nanos(1)));
        for value in [
            // u64::MAX hours, and values that overflow u64 on their own.
            "18446744073709551615H",
            "18446744073709551616S",
            "99999999999999999999999999M",
            // Nine digits.
            "123456789S",
            "100000000m",
            // Empty, a unit alone, a number alone.
            "",
            "H",
            "n",
            "5",
            // Signs, spaces, non-digits.
            "+5m",
            "-5m",
            " 5m",
            "5 m",
            "1.5S",
            "0x5S",
            // Non-ASCII digits and units (a multi-byte last character included).
            "５m",
            "5µ",
            "٣S",
            "5é",
        ] {
            assert_eq!(parse_grpc_timeout(value), None, "{value:?}");
        }
    }

    #[test]
    fn the_callers_deadline_wins_over_the_methods() {
        let policy = MethodPolicy { timeout_ms: Some(500), ..UNARY };
        let mut request = http::Request::new(Body::empty());
        assert_eq!(
            apply_deadline(&mut request, Some(&policy), &ClientPolicy::DEFAULT),
            Some(Duration::from_millis(500))
        );
        assert_eq!(request.headers()["grpc-timeout"], "500m");

        let mut request = http::Request::new(Body::empty());
        request.headers_mut().insert("grpc-timeout", HeaderValue::from_static("2S"));
        assert_eq!(apply_deadline(&mut request, Some(&policy), &ClientPolicy::DEFAULT), Some(Duration::from_secs(2)));
        assert_eq!(request.headers()["grpc-timeout"], "2S");
    }

    #[test]
    fn without_timeout_ms_the_default_deadline_applies_except_to_response_streams() {
        let unary = UNARY;
        let mut request = http::Request::new(Body::empty());
        assert_eq!(apply_deadline(&mut request, Some(&unary), &ClientPolicy::DEFAULT), Some(Duration::from_secs(30)));
        assert_eq!(request.headers()["grpc-timeout"], "30000m");
        let watch = MethodPolicy { server_streaming: true, ..unary };
        let mut request = http::Request::new(Body::empty());
        assert_eq!(apply_deadline(&mut request, Some(&watch), &ClientPolicy::DEFAULT), None);
        assert!(!request.headers().contains_key("grpc-timeout"));
    }
}
