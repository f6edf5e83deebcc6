//! The examples' load clients (the greeter's, the front's, the bank's) share one loop: `call`
//! from [`TASKS`] tasks until a deadline, every failed call on stderr (when it started, how
//! long it took, its status), and how late, at worst, a 10 ms timer of this process fired —
//! a process the machine did not run for a while (a starved load generator) shows it there,
//! and its calls' deadlines passed while it was not running. [`Tally`]'s `Display` is the one
//! summary line the e2e reads: `calls=N failed=F {"Code": n, …} late_max=Lms`.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How many tasks call at once.
pub const TASKS: usize = 4;
/// The period of the timer whose lateness is measured.
const TICK: Duration = Duration::from_millis(10);
/// Timer lateness worth a line on stderr.
const LATE_REPORTED: Duration = Duration::from_millis(100);

/// What a load made of its calls.
#[derive(Debug, Default)]
pub struct Tally {
    /// Calls made.
    pub calls: u64,
    /// Failed calls by status code (`Unavailable`, …).
    pub failed: BTreeMap<String, u64>,
    /// How late, at worst, the process's 10 ms timer fired, in milliseconds.
    pub late_max_ms: u64,
}

impl Tally {
    /// How many calls failed.
    pub fn failures(&self) -> u64 {
        self.failed.values().sum()
    }

    fn add(&mut self, other: Tally) {
        self.calls += other.calls;
        for (code, count) in other.failed {
            *self.failed.entry(code).or_default() += count;
        }
    }
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "calls={} failed={} {:?} late_max={}ms", self.calls, self.failures(), self.failed, self.late_max_ms)
    }
}

/// Runs `call` in a closed loop from [`TASKS`] tasks for `seconds`, prints the [`Tally`] and
/// exits non-zero if any call failed.
pub async fn run<F, Fut>(seconds: f64, call: F)
where
    F: FnMut() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<(), tonic::Status>> + Send + 'static,
{
    let tally = closed_loop(seconds, call).await;
    println!("{tally}");
    if tally.failures() > 0 {
        std::process::exit(1);
    }
}

/// Runs `call` in a closed loop from [`TASKS`] tasks for `seconds`.
pub async fn closed_loop<F, Fut>(seconds: f64, call: F) -> Tally
where
    F: FnMut() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<(), tonic::Status>> + Send + 'static,
{
    let start = Instant::now();
    let until = start + Duration::from_secs_f64(seconds);
    let late_max = Arc::new(AtomicU64::new(0));
    let ticker = tokio::spawn(lateness(start, until, late_max.clone()));
    let tasks: Vec<_> = (0..TASKS).map(|_| tokio::spawn(calls(call.clone(), start, until))).collect();
    let mut tally = Tally::default();
    for task in tasks {
        match task.await {
            Ok(made) => tally.add(made),
            // Its calls are lost to the count: the tally must not look clean (the panic is on stderr).
            Err(_) => *tally.failed.entry("Panicked".into()).or_default() += 1,
        }
    }
    let _ = ticker.await;
    tally.late_max_ms = late_max.load(Ordering::Relaxed);
    tally
}

/// Calls until `until`, each failure on stderr.
async fn calls<F, Fut>(mut call: F, start: Instant, until: Instant) -> Tally
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), tonic::Status>>,
{
    let mut tally = Tally::default();
    while Instant::now() < until {
        tally.calls += 1;
        let called = Instant::now();
        if let Err(status) = call().await {
            eprintln!(
                "failed call: started at {:.3}s, took {} ms: {:?} {:?}",
                (called - start).as_secs_f64(),
                called.elapsed().as_millis(),
                status.code(),
                status.message()
            );
            *tally.failed.entry(format!("{:?}", status.code())).or_default() += 1;
        }
    }
    tally
}

/// Until `until`, sleeps [`TICK`] at a time and records in `late_max` (ms) how late, at worst,
/// the timer fired; a lateness of [`LATE_REPORTED`] or more is printed on stderr.
async fn lateness(start: Instant, until: Instant, late_max: Arc<AtomicU64>) {
    while Instant::now() < until {
        let due = Instant::now() + TICK;
        tokio::time::sleep_until(due.into()).await;
        let late = Instant::now().saturating_duration_since(due);
        late_max.fetch_max(u64::try_from(late.as_millis()).unwrap_or(u64::MAX), Ordering::Relaxed);
        if late >= LATE_REPORTED {
            eprintln!("late timer: due at {:.3}s, fired {} ms late", (due - start).as_secs_f64(), late.as_millis());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counts_calls_and_failures_by_code_across_tasks() {
        let made = Arc::new(AtomicU64::new(0));
        let counter = made.clone();
        let tally = closed_loop(0.2, move || {
            let n = counter.fetch_add(1, Ordering::Relaxed);
            async move {
                tokio::time::sleep(Duration::from_millis(1)).await;
                match n % 3 {
                    0 => Err(tonic::Status::unavailable("gone")),
                    _ => Ok(()),
                }
            }
        })
        .await;
        let made = made.load(Ordering::Relaxed);
        assert_eq!(tally.calls, made);
        assert!(tally.calls >= TASKS as u64, "{tally}");
        assert_eq!(tally.failures(), made.div_ceil(3), "{tally}");
        assert_eq!(tally.failed.len(), 1, "{tally}");
        let line = tally.to_string();
        let expected = format!("calls={} failed={} {{\"Unavailable\": ", tally.calls, tally.failures());
        assert!(line.starts_with(&expected) && line.contains("} late_max=") && line.ends_with("ms"), "{line}");
    }
}
