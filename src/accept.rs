//! Accept loops that rest when the process is out of file descriptors.
//!
//! `accept` fails with EMFILE/ENFILE while the connection stays queued, so the listener is
//! ready again at once: a loop that retries straight away spins a core and serves nothing —
//! tonic's own accept loop does (it logs the error at TRACE and continues). [`Rest`] skips
//! the errors of one connection (aborted or reset before it was accepted), and after any other
//! error waits, from [`FIRST_REST`] doubling to [`LONGEST_REST`] as Go's `net/http` does; it
//! warns once per run of failures and says when accepting works again.

use std::io;
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use tokio::net::TcpStream;

/// The first wait after an accept error.
const FIRST_REST: Duration = Duration::from_millis(5);
/// The longest wait between two accepts that fail.
const LONGEST_REST: Duration = Duration::from_secs(1);

/// The state of one listener's accept loop: how many accepts in a row have failed.
#[derive(Debug, Default)]
pub(crate) struct Rest {
    failures: u32,
}

impl Rest {
    /// The accepted value, or `None` after resting as `result`'s error asks (accept again).
    pub(crate) async fn after<T>(&mut self, listener: &str, result: io::Result<T>) -> Option<T> {
        match result {
            Ok(accepted) => {
                if self.failures > 0 {
                    tracing::info!(listener, failures = self.failures, "accepting connections again");
                    self.failures = 0;
                }
                Some(accepted)
            }
            Err(error) if one_connections_error(&error) => None,
            Err(error) => {
                if self.failures == 0 {
                    tracing::warn!(listener, %error, "cannot accept connections; retrying with backoff");
                }
                let wait = rest_after(self.failures);
                self.failures = self.failures.saturating_add(1);
                tokio::time::sleep(wait).await;
                None
            }
        }
    }
}

/// The wait after `failures` earlier failed accepts in a row.
fn rest_after(failures: u32) -> Duration {
    FIRST_REST.saturating_mul(1 << failures.min(16)).min(LONGEST_REST)
}

/// Errors that end one queued connection only: the next accept may succeed at once.
fn one_connections_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
    )
}

/// `incoming` (the gRPC listener's connections), resting after accept errors as [`Rest`]
/// does; it ends when `incoming` does.
pub(crate) fn resting<S>(incoming: S) -> impl Stream<Item = io::Result<TcpStream>>
where
    S: Stream<Item = io::Result<TcpStream>> + Unpin,
{
    futures_util::stream::unfold((incoming, Rest::default()), |(mut incoming, mut rest)| async move {
        loop {
            let result = incoming.next().await?;
            if let Some(stream) = rest.after("grpc", result).await {
                return Some((Ok(stream), (incoming, rest)));
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rest_doubles_up_to_a_second() {
        let waits: Vec<_> = (0..10).map(rest_after).collect();
        assert_eq!(waits[0], FIRST_REST);
        assert_eq!(waits[1], FIRST_REST * 2);
        assert!(waits.windows(2).all(|w| w[0] <= w[1]), "{waits:?}");
        assert_eq!(rest_after(8), LONGEST_REST);
        assert_eq!(rest_after(u32::MAX), LONGEST_REST);
    }

    #[test]
    fn only_a_connections_own_errors_are_retried_at_once() {
        let emfile = io::Error::from_raw_os_error(24);
        let enfile = io::Error::from_raw_os_error(23);
        assert!(!one_connections_error(&emfile));
        assert!(!one_connections_error(&enfile));
        assert!(one_connections_error(&io::Error::from(io::ErrorKind::ConnectionAborted)));
    }

    #[tokio::test(start_paused = true)]
    async fn a_run_of_failures_rests_and_ends_with_the_next_accept() {
        let mut rest = Rest::default();
        let started = tokio::time::Instant::now();
        for _ in 0..3 {
            assert_eq!(rest.after::<()>("test", Err(io::Error::from_raw_os_error(24))).await, None);
        }
        assert_eq!(started.elapsed(), FIRST_REST * (1 + 2 + 4));
        assert_eq!(rest.after("test", Ok(7)).await, Some(7));
        assert_eq!(rest.failures, 0);
        assert_eq!(rest.after::<()>("test", Err(io::Error::from(io::ErrorKind::ConnectionReset))).await, None);
        assert_eq!(started.elapsed(), FIRST_REST * 7, "a connection's own error is not rested on");
    }
}
