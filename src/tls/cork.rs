//! One TLS record for what HTTP/2 writes in one scheduler turn.
//!
//! A client's new HTTP/2 stream writes its HEADERS and its first DATA in two flushes: h2 opens
//! a stream and gives it send capacity only in the connection's task, which flushes the HEADERS
//! before hyper's body task can queue the message. Over TLS each flush is a record of its own
//! (a seal here, an open at the server). [`Corked`] keeps what is written until a flush, and
//! lets the first flush of a batch wait one turn of the scheduler, so that the DATA queued
//! meanwhile leaves in the same record. The wait is tokio's `yield_now`: the wake is deferred
//! until the worker next polls its I/O driver, and the body task the connection just gave
//! capacity to runs first, from the worker's LIFO slot, which no other worker steals. (A task
//! that wakes itself instead goes to the back of the run queue and an idle worker is woken, which
//! may steal the connection and flush the HEADERS alone.) The body's DATA wakes the connection,
//! whose flush then sends both; the deferred wake that comes after it is disarmed ([`Turn`]):
//! it used to poll the connection once more for nothing, ~2,500 instructions a call.
//! Once [`CORK_LIMIT`] bytes are held (a record's worth) they are handed on without waiting for a
//! flush, and a flush then does not wait either; at most twice that is ever held.

use std::future::Future;
use std::io;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll, Wake, Waker};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::wake::LastPoller;

/// Bytes held before they are written without waiting for a flush (a TLS record's plaintext).
pub(crate) const CORK_LIMIT: usize = 16 * 1024;

/// A stream whose writes between two flushes reach the inner stream as one write, a scheduler
/// turn after the first flush asked for them.
#[derive(Debug)]
pub(crate) struct Corked<T> {
    inner: T,
    held: Vec<u8>,
    /// How much of `held` the inner stream has taken.
    taken: usize,
    /// Whether the flush waiting for `held` has already let the scheduler run others once.
    waited: bool,
    turn: Turn,
}

impl<T> Corked<T> {
    pub(crate) fn new(inner: T) -> Self {
        Self { inner, held: Vec::new(), taken: 0, waited: false, turn: Turn::new() }
    }

    #[cfg(test)]
    fn get_ref(&self) -> &T {
        &self.inner
    }
}

impl<T: AsyncWrite + Unpin> Corked<T> {
    /// Hands everything held to the inner stream.
    fn poll_release(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.taken < self.held.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.held[self.taken..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.taken += n;
        }
        self.held.clear();
        self.held.shrink_to(2 * CORK_LIMIT);
        self.taken = 0;
        Poll::Ready(Ok(()))
    }

    /// Holds `bufs`, first releasing what is held when that is already a record's worth.
    fn poll_hold(&mut self, cx: &mut Context<'_>, bufs: &[io::IoSlice<'_>]) -> Poll<io::Result<usize>> {
        if self.held.len() >= CORK_LIMIT {
            ready!(self.poll_release(cx))?;
        }
        let n = self.hold(bufs);
        // A record's worth goes on at once; what the stream does not take yet leaves at the
        // next write or flush (the bytes are held, so they are accepted either way).
        if self.held.len() >= CORK_LIMIT {
            if let Poll::Ready(Err(error)) = self.poll_release(cx) {
                return Poll::Ready(Err(error));
            }
        }
        Poll::Ready(Ok(n))
    }

    /// Copies what fits under twice [`CORK_LIMIT`] of `bufs`, in order; how much.
    fn hold(&mut self, bufs: &[io::IoSlice<'_>]) -> usize {
        let mut n = 0;
        for buf in bufs {
            let room = (CORK_LIMIT * 2).saturating_sub(self.held.len());
            let part = &buf[..buf.len().min(room)];
            self.held.extend_from_slice(part);
            n += part.len();
            if part.len() < buf.len() {
                break;
            }
        }
        n
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Corked<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Corked<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_hold(cx, &[io::IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_hold(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.held.is_empty() {
            if !self.waited && self.held.len() < CORK_LIMIT {
                self.waited = true;
                self.turn.defer(cx);
                return Poll::Pending;
            }
            ready!(self.poll_release(cx))?;
        }
        self.waited = false;
        self.turn.disarm();
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_release(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A wake of a task at the end of the scheduler's turn (tokio's `yield_now`) that does
/// nothing once disarmed: the task was polled meanwhile.
#[derive(Debug)]
struct Turn {
    wake: Arc<TurnWake>,
    /// `wake` as a waker, made once.
    waker: Waker,
}

#[derive(Debug, Default)]
struct TurnWake {
    armed: AtomicBool,
    task: LastPoller,
}

impl Wake for TurnWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.armed.swap(false, Ordering::AcqRel) {
            self.task.wake();
        }
    }
}

impl Turn {
    fn new() -> Self {
        let wake = Arc::new(TurnWake::default());
        Self { waker: Waker::from(wake.clone()), wake }
    }

    /// Wakes the task polling with `cx` at the end of this turn, unless disarmed first.
    fn defer(&self, cx: &Context<'_>) {
        self.wake.task.keep(cx.waker());
        self.wake.armed.store(true, Ordering::Release);
        let _ = pin!(tokio::task::yield_now()).poll(&mut Context::from_waker(&self.waker));
    }

    fn disarm(&self) {
        self.wake.armed.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use tokio::io::AsyncWriteExt;

    /// Records each write the inner stream is given; takes at most `cap` bytes a write, and
    /// answers `Pending` to the first `pending` writes (waking at once).
    #[derive(Default)]
    struct Writes {
        written: Vec<Vec<u8>>,
        cap: Option<usize>,
        pending: usize,
    }

    impl AsyncWrite for Writes {
        fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
            if self.pending > 0 {
                self.pending -= 1;
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            let n = buf.len().min(self.cap.unwrap_or(usize::MAX));
            self.written.push(buf[..n].to_vec());
            Poll::Ready(Ok(n))
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    impl Writes {
        fn all(&self) -> Vec<u8> {
            self.written.concat()
        }
    }

    #[tokio::test]
    async fn writes_between_flushes_reach_the_stream_as_one() {
        let mut corked = Corked::new(Writes::default());
        corked.write_all(b"HEADERS").await.unwrap();
        corked.write_all(b"DATA").await.unwrap();
        assert!(corked.get_ref().written.is_empty(), "nothing is written before a flush");
        corked.flush().await.unwrap();
        corked.write_all(b"more").await.unwrap();
        corked.flush().await.unwrap();
        assert_eq!(corked.get_ref().written, [b"HEADERSDATA".to_vec(), b"more".to_vec()]);
    }

    /// As in a client on a runtime with an idle worker to steal tasks, a hundred times: the
    /// connection's task wakes the body task (here: spawns it, which tokio also puts in the
    /// worker's LIFO slot) and flushes the HEADERS; the body task queues the DATA and wakes the
    /// connection (as h2 does). Both must leave in one write, and the connection must not be
    /// polled again by the end of the turn it waited for.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_flush_waits_one_turn_for_what_other_tasks_write() {
        for round in 0..100 {
            let corked = Arc::new(Mutex::new(Corked::new(Writes::default())));
            let connection_task = Arc::new(Mutex::new(None::<Waker>));
            let later = Arc::new(tokio::sync::Notify::new());
            let connection = tokio::spawn({
                let (corked, connection_task, later) = (corked.clone(), connection_task.clone(), later.clone());
                async move {
                    corked.lock().unwrap().hold(&[io::IoSlice::new(b"HEADERS")]);
                    tokio::spawn({
                        let (corked, connection_task) = (corked.clone(), connection_task.clone());
                        async move {
                            corked.lock().unwrap().hold(&[io::IoSlice::new(b"DATA")]);
                            connection_task.lock().unwrap().take().expect("the flush waits").wake();
                        }
                    });
                    let mut flush_polls = 0;
                    std::future::poll_fn(|cx| {
                        flush_polls += 1;
                        *connection_task.lock().unwrap() = Some(cx.waker().clone());
                        Pin::new(&mut *corked.lock().unwrap()).poll_flush(cx)
                    })
                    .await
                    .unwrap();
                    // Waits for the test; every poll before it says so is a wake for nothing.
                    let mut notified = pin!(later.notified());
                    let mut waits = 0;
                    std::future::poll_fn(|cx| {
                        waits += 1;
                        notified.as_mut().poll(cx)
                    })
                    .await;
                    (flush_polls, waits)
                }
            });
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            later.notify_one();
            let (flush_polls, waits) = connection.await.unwrap();
            assert_eq!(corked.lock().unwrap().get_ref().written, [b"HEADERSDATA".to_vec()], "round {round}");
            assert_eq!(flush_polls, 2, "round {round}: the flush waited once, then the body woke it");
            assert_eq!(waits, 2, "round {round}: the connection was polled once more for nothing");
        }
    }

    #[tokio::test]
    async fn a_records_worth_is_handed_on_without_a_flush() {
        let mut corked = Corked::new(Writes::default());
        corked.write_all(&vec![7; CORK_LIMIT - 1]).await.unwrap();
        assert!(corked.get_ref().written.is_empty());
        corked.write_all(b"xy").await.unwrap();
        assert_eq!(corked.get_ref().all().len(), CORK_LIMIT + 1, "a record's worth left at once");
        corked.shutdown().await.unwrap();
        assert_eq!(corked.get_ref().all().len(), CORK_LIMIT + 1);
    }

    #[tokio::test]
    async fn at_most_twice_a_record_is_held_and_partial_or_late_writes_lose_nothing() {
        let inner = Writes { cap: Some(1000), pending: 3, ..Writes::default() };
        let mut corked = Corked::new(inner);
        let big: Vec<u8> = (0..5 * CORK_LIMIT).map(|i| i as u8).collect();
        let first = std::future::poll_fn(|cx| Pin::new(&mut corked).poll_write(cx, &big)).await.unwrap();
        assert!(first <= 2 * CORK_LIMIT, "held {first}");
        corked.write_all(&big[first..]).await.unwrap();
        let slices = [io::IoSlice::new(b"ab"), io::IoSlice::new(b""), io::IoSlice::new(b"cd")];
        let n = std::future::poll_fn(|cx| Pin::new(&mut corked).poll_write_vectored(cx, &slices)).await.unwrap();
        assert_eq!(n, 4);
        corked.flush().await.unwrap();
        let mut expected = big.clone();
        expected.extend_from_slice(b"abcd");
        assert_eq!(corked.get_ref().all(), expected, "every byte, in order, once");
        assert!(corked.get_ref().written.iter().all(|w| w.len() <= 1000));
    }
}
