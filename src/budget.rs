//! The retry budget: retries (and hedges) may add at most `retry_budget_percent` of the calls
//! made, plus `min_retries_per_second` so that a quiet client can still retry, the way
//! Finagle's `RetryBudget` and Linkerd's budgets work. When every pod is down the extra load
//! a client adds stays within that budget instead of multiplying the calls by the attempts.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// One token is one retry; tokens are counted in thousandths.
const MILLI: u64 = 1000;
/// Unused retries saved up from calls: at most this many tokens (a burst after a quiet time).
const MAX_SAVED: u64 = kuberpc_spec::policy::MAX_SAVED_RETRIES as u64 * MILLI;

/// Retries earned by calls, plus a per-second floor.
#[derive(Debug)]
pub(crate) struct RetryBudget {
    /// Thousandths of a token each call deposits (`percent` × 10).
    deposit: u64,
    min_per_second: u64,
    /// Saved thousandths of tokens.
    balance: AtomicU64,
    /// The current second since `epoch` in the high 32 bits, the floor retries used in it below.
    floor: AtomicU64,
    epoch: Instant,
}

impl RetryBudget {
    pub(crate) fn new(percent: u32, min_per_second: u32) -> Self {
        Self {
            deposit: u64::from(percent) * MILLI / 100,
            min_per_second: u64::from(min_per_second),
            balance: AtomicU64::new(0),
            floor: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }

    /// A call was made: it earns `percent`/100 of a retry.
    pub(crate) fn deposit(&self) {
        if self.deposit == 0 {
            return;
        }
        let _ = self.balance.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |balance| {
            (balance < MAX_SAVED).then(|| (balance + self.deposit).min(MAX_SAVED))
        });
    }

    /// Takes one retry from the budget; `false` when it is spent.
    pub(crate) fn withdraw(&self) -> bool {
        let from_balance =
            self.balance.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |balance| balance.checked_sub(MILLI));
        from_balance.is_ok() || self.withdraw_from_floor()
    }

    fn withdraw_from_floor(&self) -> bool {
        let second = self.epoch.elapsed().as_secs() & u64::from(u32::MAX);
        self.floor
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |packed| {
                let used = if packed >> 32 == second { packed & u64::from(u32::MAX) } else { 0 };
                (used < self.min_per_second).then_some((second << 32) | (used + 1))
            })
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_earn_retries_at_the_percentage() {
        let budget = RetryBudget::new(20, 0);
        assert!(!budget.withdraw(), "nothing earned yet");
        for _ in 0..10 {
            budget.deposit();
        }
        assert!(budget.withdraw() && budget.withdraw(), "ten calls earn two retries");
        assert!(!budget.withdraw(), "and not three");
    }

    #[test]
    fn savings_are_capped_and_the_floor_refills_each_second() {
        let budget = RetryBudget::new(100, 3);
        for _ in 0..1000 {
            budget.deposit();
        }
        let granted = (0..1000).take_while(|_| budget.withdraw()).count();
        assert_eq!(granted, 10 + 3, "ten saved tokens and three from this second's floor");
    }
}
