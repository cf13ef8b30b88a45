//! How much one decode may cost: a deadline, and flags that end it early from outside.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use super::QrError;

/// Time allowed for one decode and the flags that cancel it. Every loop of the decode asks
/// [`Budget::check`]; a decode that runs out stops within a row of pixels or one candidate
/// code, so a hostile image costs the budget and no more.
#[derive(Clone, Debug)]
pub struct Budget {
    time: Option<Duration>,
    deadline: Option<Instant>,
    /// Set by whoever no longer wants the answer: the client went away, the server stops.
    cancel: Vec<Arc<AtomicBool>>,
}

impl Budget {
    /// At most `time` from now.
    pub fn new(time: Duration) -> Budget {
        Budget {
            time: Some(time),
            deadline: Instant::now().checked_add(time),
            cancel: Vec::new(),
        }
    }

    /// No deadline: for trusted images (issued badges, screenshots in tests). The limits on
    /// capstones and candidate codes still bound the work.
    pub fn unlimited() -> Budget {
        Budget {
            time: None,
            deadline: None,
            cancel: Vec::new(),
        }
    }

    /// This budget, also ended as soon as `flag` is set.
    pub fn cancelled_by(mut self, flag: Arc<AtomicBool>) -> Budget {
        self.cancel.push(flag);
        self
    }

    /// `Err` once the deadline has passed or a cancel flag is set.
    pub fn check(&self) -> Result<(), QrError> {
        if self.cancel.iter().any(|f| f.load(Ordering::Relaxed)) {
            return Err(QrError::Cancelled);
        }
        match (self.deadline, self.time) {
            (Some(deadline), Some(time)) if Instant::now() >= deadline => {
                Err(QrError::OverBudget {
                    ms: time.as_millis() as u64,
                })
            }
            _ => Ok(()),
        }
    }

    pub(super) fn is_spent(&self) -> bool {
        self.check().is_err()
    }
}

/// Sets its flag when dropped: held by a request handler, it cancels the decode the handler
/// waits for when the client goes away and the handler's future is dropped.
pub struct CancelOnDrop(pub Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_is_spent_when_its_time_is_up_or_a_flag_is_set() {
        assert!(Budget::unlimited().check().is_ok());
        assert!(Budget::new(Duration::from_secs(60)).check().is_ok());
        assert!(matches!(
            Budget::new(Duration::ZERO).check(),
            Err(QrError::OverBudget { ms: 0 })
        ));
        let flag = Arc::new(AtomicBool::new(false));
        let budget = Budget::unlimited().cancelled_by(flag.clone());
        assert!(budget.check().is_ok());
        drop(CancelOnDrop(flag));
        assert!(matches!(budget.check(), Err(QrError::Cancelled)));
    }
}
