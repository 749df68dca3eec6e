//! The sandbox's notion of "now": the real clock plus an offset that tests (and the
//! admin-only `POST /_sandbox/clock`) can move, so expiry and rotation grace windows can
//! be exercised without waiting.

use std::sync::{Arc, Mutex};

use chrono::{Duration, Utc};
use clouddigit_core::Timestamp;

#[derive(Debug, Clone, Default)]
pub struct Clock {
    inner: Arc<Mutex<ClockState>>,
}

#[derive(Debug, Default)]
struct ClockState {
    offset: Duration,
    frozen: Option<Timestamp>,
}

impl Clock {
    /// The real clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    pub fn now(&self) -> Timestamp {
        match self.inner.lock() {
            Ok(s) => s.frozen.unwrap_or_else(Utc::now) + s.offset,
            // A poisoned lock only means a panic elsewhere; the state is still readable.
            Err(p) => {
                let s = p.into_inner();
                s.frozen.unwrap_or_else(Utc::now) + s.offset
            }
        }
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) {
        let mut s = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        s.offset += by;
    }

    /// Pins the clock at `t` until [`Clock::reset`].
    pub fn set(&self, t: Timestamp) {
        let mut s = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        s.frozen = Some(t);
        s.offset = Duration::zero();
    }

    /// Back to the real time.
    pub fn reset(&self) {
        let mut s = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        s.frozen = None;
        s.offset = Duration::zero();
    }
}
