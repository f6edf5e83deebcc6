//! Wakers that outlive one poll: each decides whether to wake, then wakes the task that last
//! polled the future it stands for ([`LastPoller`]).

use std::sync::{Mutex, PoisonError};
use std::task::Waker;

/// The waker of the task that last polled, kept where a waker of one's own can reach it.
#[derive(Debug, Default)]
pub(crate) struct LastPoller(Mutex<Option<Waker>>);

impl LastPoller {
    /// Keeps `waker`, unless the one kept already wakes the same task.
    pub(crate) fn keep(&self, waker: &Waker) {
        let mut kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if !kept.as_ref().is_some_and(|kept| kept.will_wake(waker)) {
            *kept = Some(waker.clone());
        }
    }

    /// Wakes the task kept, if any.
    pub(crate) fn wake(&self) {
        if let Some(task) = &*self.0.lock().unwrap_or_else(PoisonError::into_inner) {
            task.wake_by_ref();
        }
    }
}
