//! Client-side load balancing over the pods of a headless Service, with outlier ejection.
//!
//! A [`Pool`] holds one lazily connected tonic `Channel` per pod address. Each call leases a
//! pod picked by the power of two choices (two random pods, the one with fewer calls in
//! flight, as Envoy's and Finagle's least-request balancers do), skipping pods that are
//! ejected or at `max_concurrent_requests`. A pod that fails `eject_after_failures` calls in a
//! row (transport errors, UNAVAILABLE, calls given up on at their deadline or outrun by a
//! hedge) is ejected for `base_ejection_ms` times the number of its ejections (at most ten
//! times that), and never more than `max_ejection_percent` of the pods (at least one) at once.
//! A pod that leaves DNS is dropped; when it comes back it starts with a clean record.
//!
//! Ejection needs failures, and a black-holed pod fails calls only at their deadlines. So a
//! pod that has calls waiting but has answered nothing for [`STALL_FACTOR`] times its usual
//! answer time (at least [`MIN_STALL`]) is stalled: new calls go to other pods while any
//! other pod is usable. A merely slow call delays nobody this way; it only steers new calls
//! to pods that are answering, which a least-request balancer would prefer anyway.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use tonic::transport::Channel;
use tonic::Status;

use crate::budget::RetryBudget;
use crate::ClientPolicy;

/// A pod with calls waiting is stalled after this many times its usual answer time…
const STALL_FACTOR: u64 = 4;
/// …but never sooner than this (scheduling noise on a busy machine).
const MIN_STALL: Duration = Duration::from_millis(5);

/// Repeat ejections lengthen the ejection up to this many times `base_ejection_ms`.
const MAX_EJECTION_MULTIPLIER: u32 = 10;

/// The pods a client calls, and what it knows about each.
#[derive(Debug)]
pub(crate) struct Pool {
    peers: RwLock<Vec<Arc<Peer>>>,
    policy: ClientPolicy,
    /// Why there is no pod to call (the last resolution failed or was empty), if so.
    problem: Mutex<Option<String>>,
    /// Retries and hedges of all calls through this pool draw on one budget.
    pub(crate) budget: RetryBudget,
    /// Serializes ejection decisions, so two failing pods cannot both pass the percent check.
    ejecting: Mutex<()>,
    epoch: Instant,
    picks: AtomicU64,
}

/// One pod.
#[derive(Debug)]
struct Peer {
    addr: SocketAddr,
    channel: Channel,
    in_flight: AtomicU32,
    consecutive_failures: AtomicU32,
    ejections: AtomicU32,
    /// Milliseconds since the pool's epoch until which the pod is ejected (0: it is not).
    ejected_until_ms: AtomicU64,
    /// Microseconds since the pool's epoch of the pod's last answer, or of the pick that
    /// found it idle: with calls in flight and no progress for long, the pod is stalled.
    progress_us: AtomicU64,
    /// Moving average of the pod's answer time, in microseconds.
    answer_us: AtomicU64,
}

/// One call attempt's hold on a pod: counts as in flight until it is reported or dropped.
#[derive(Debug)]
pub(crate) struct Lease {
    pool: Arc<Pool>,
    peer: Arc<Peer>,
    /// Dropped unreported at or after this instant, the attempt was given up on because the pod
    /// did not answer in time: that counts as the pod's failure. Before it, as nothing.
    overdue_at: Option<Instant>,
    /// When the attempt started, in microseconds since the pool's epoch.
    started_us: u64,
    reported: bool,
}

impl Pool {
    pub(crate) fn new(policy: ClientPolicy) -> Self {
        Self {
            peers: RwLock::new(Vec::new()),
            budget: RetryBudget::new(policy.retry_budget_percent, policy.min_retries_per_second),
            policy,
            problem: Mutex::new(None),
            ejecting: Mutex::new(()),
            epoch: Instant::now(),
            picks: AtomicU64::new(0),
        }
    }

    /// Makes the pods exactly `resolved`: new addresses get a channel from `connect`, gone
    /// ones are dropped (with their connections), the others keep their record.
    pub(crate) fn update(&self, resolved: &BTreeSet<SocketAddr>, connect: impl Fn(SocketAddr) -> Option<Channel>) {
        let mut peers = self.peers.write().unwrap_or_else(PoisonError::into_inner);
        peers.retain(|peer| resolved.contains(&peer.addr));
        let known: BTreeSet<SocketAddr> = peers.iter().map(|peer| peer.addr).collect();
        for &addr in resolved.difference(&known) {
            if let Some(channel) = connect(addr) {
                peers.push(Arc::new(Peer::new(addr, channel)));
            }
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.peers.read().unwrap_or_else(PoisonError::into_inner).is_empty()
    }

    /// Records why there is no pod to call (`None`: there are pods).
    pub(crate) fn set_problem(&self, problem: Option<String>) {
        *self.problem.lock().unwrap_or_else(PoisonError::into_inner) = problem;
    }

    pub(crate) fn problem(&self) -> Option<String> {
        self.problem.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Leases a pod for one attempt, preferring pods not in `avoid` (those a call already
    /// tried). `overdue_at`: see [`Lease`].
    pub(crate) fn pick(self: &Arc<Self>, avoid: &[SocketAddr], overdue_at: Option<Instant>) -> Result<Lease, Status> {
        let peers = self.peers.read().unwrap_or_else(PoisonError::into_inner);
        // One reading of the clock for the whole pick (each costs ~100 instructions).
        let now_us = self.now_us();
        let now_ms = (now_us / 1000).max(1);
        let limit = self.policy.max_concurrent_requests;
        let usable = |peer: &&Arc<Peer>| !peer.is_ejected(now_ms) && (limit == 0 || peer.load() < limit);
        let preferred = |peer: &&Arc<Peer>| !avoid.contains(&peer.addr) && !peer.is_stalled(now_us);
        let fresh = |peer: &&Arc<Peer>| usable(peer) && preferred(peer);
        let picked = match peers.iter().filter(fresh).count() {
            0 => self.least_loaded_of_two(peers.iter().filter(usable)),
            _ => self.least_loaded_of_two(peers.iter().filter(fresh)),
        };
        let Some(peer) = picked else {
            return Err(self.nothing_to_pick(peers.len()));
        };
        if peer.in_flight.fetch_add(1, Ordering::Relaxed) == 0 {
            peer.progress_us.store(now_us, Ordering::Relaxed);
        }
        Ok(Lease { pool: self.clone(), peer: peer.clone(), overdue_at, started_us: now_us, reported: false })
    }

    /// Two different random candidates, the one with fewer calls in flight (no allocation:
    /// the candidates are counted, then walked to the two positions).
    fn least_loaded_of_two<'a>(
        &self,
        candidates: impl Iterator<Item = &'a Arc<Peer>> + Clone,
    ) -> Option<&'a Arc<Peer>> {
        let n = candidates.clone().count() as u64;
        if n <= 1 {
            return candidates.clone().next();
        }
        let random = splitmix64(self.picks.fetch_add(1, Ordering::Relaxed));
        let first = random % n;
        let second = (first + 1 + (random >> 32) % (n - 1)) % n;
        let (first, second) = (candidates.clone().nth(first as usize)?, candidates.clone().nth(second as usize)?);
        Some(if second.load() < first.load() { second } else { first })
    }

    fn nothing_to_pick(&self, pods: usize) -> Status {
        if let Some(problem) = self.problem() {
            return Status::unavailable(problem);
        }
        if pods == 0 {
            return Status::unavailable("no address to call: the target has not resolved yet");
        }
        Status::unavailable(format!(
            "every one of the {pods} pods is ejected or has max_concurrent_requests ({}) calls in flight",
            self.policy.max_concurrent_requests
        ))
    }

    fn now_us(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX).max(1)
    }

    /// Counts a failure of `peer`; the `eject_after_failures`-th in a row ejects it unless
    /// `max_ejection_percent` of the pods are out already.
    fn failed(&self, peer: &Peer) {
        let threshold = self.policy.eject_after_failures;
        let failures = peer.consecutive_failures.fetch_add(1, Ordering::Relaxed) + 1;
        if threshold == 0 || failures < threshold {
            return;
        }
        let _serialized = self.ejecting.lock().unwrap_or_else(PoisonError::into_inner);
        let peers = self.peers.read().unwrap_or_else(PoisonError::into_inner);
        let now_ms = self.now_ms();
        if peer.is_ejected(now_ms) {
            return;
        }
        let ejected = peers.iter().filter(|p| p.is_ejected(now_ms)).count();
        let allowed = (peers.len() * self.policy.max_ejection_percent as usize / 100).max(1);
        if ejected >= allowed {
            return;
        }
        let times = (peer.ejections.fetch_add(1, Ordering::Relaxed) + 1).min(MAX_EJECTION_MULTIPLIER);
        let duration = u64::from(self.policy.base_ejection_ms) * u64::from(times);
        peer.ejected_until_ms.store(now_ms + duration, Ordering::Relaxed);
        peer.consecutive_failures.store(0, Ordering::Relaxed);
        tracing::warn!(pod = %peer.addr, failures, ejected_for = ?Duration::from_millis(duration), "ejecting a failing pod");
    }
}

impl Peer {
    fn new(addr: SocketAddr, channel: Channel) -> Self {
        Self {
            addr,
            channel,
            in_flight: AtomicU32::new(0),
            consecutive_failures: AtomicU32::new(0),
            ejections: AtomicU32::new(0),
            ejected_until_ms: AtomicU64::new(0),
            progress_us: AtomicU64::new(0),
            answer_us: AtomicU64::new(0),
        }
    }

    fn is_stalled(&self, now_us: u64) -> bool {
        if self.load() == 0 {
            return false;
        }
        let min_stall = MIN_STALL.as_micros() as u64;
        let patience = (STALL_FACTOR * self.answer_us.load(Ordering::Relaxed)).max(min_stall);
        now_us.saturating_sub(self.progress_us.load(Ordering::Relaxed)) > patience
    }

    /// Records an answer that took `took`: progress, and the moving average (7/8 old, 1/8 new).
    fn answered(&self, now_us: u64, took: Duration) {
        self.progress_us.store(now_us, Ordering::Relaxed);
        let sample = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        let average = self.answer_us.load(Ordering::Relaxed);
        let next = if average == 0 { sample } else { (average * 7 + sample) / 8 };
        self.answer_us.store(next, Ordering::Relaxed);
    }

    fn load(&self) -> u32 {
        self.in_flight.load(Ordering::Relaxed)
    }

    fn is_ejected(&self, now_ms: u64) -> bool {
        now_ms < self.ejected_until_ms.load(Ordering::Relaxed)
    }
}

impl Lease {
    /// The pod's address.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.peer.addr
    }

    /// The pod's connection.
    pub(crate) fn channel(&self) -> Channel {
        self.peer.channel.clone()
    }

    /// The pod answered (whatever the call's status, the pod is alive).
    pub(crate) fn answered(mut self) {
        self.reported = true;
        let now_us = self.pool.now_us();
        self.peer.answered(now_us, Duration::from_micros(now_us.saturating_sub(self.started_us)));
        if self.peer.consecutive_failures.load(Ordering::Relaxed) != 0 {
            self.peer.consecutive_failures.store(0, Ordering::Relaxed);
        }
    }

    /// The pod failed the attempt (transport error or UNAVAILABLE).
    pub(crate) fn failed(mut self) {
        self.reported = true;
        self.pool.failed(&self.peer);
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.peer.in_flight.fetch_sub(1, Ordering::Relaxed);
        if !self.reported && self.overdue_at.is_some_and(|at| Instant::now() >= at) {
            self.pool.failed(&self.peer);
        }
    }
}

/// A well-mixed 64-bit value from a counter (SplitMix64), for the two random choices.
fn splitmix64(counter: u64) -> u64 {
    let mut z = counter.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
