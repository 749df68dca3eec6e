//! The sandbox's notion of "now": the real clock plus an offset that tests (and the
//! admin-only `POST /_sandbox/clock`) can move, so expiry and rotation grace windows can
//! be exercised without waiting.
//!
//! The clock stays between 1970 and the year 9000: a move outside is refused (the API
//! answers 422), so no later call can overflow the calendar (chrono panics past year
//! 262,143, and the database's fixed-width times stop sorting past 9999).
//!
//! Moving the clock back is allowed and means what it says: decisions are made as of the
//! new time. A token revoked at 10:00 is live again at 09:00 (its revocation has not
//! happened yet), and a rotation's grace window counts from its recorded time. Use it to
//! replay history, not to undo a revocation: move the clock forward again and every
//! revocation holds as before.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone, Utc};
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

/// A clock move that would leave the supported range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the sandbox clock stays between {} and {}; this move would take it out", earliest().to_rfc3339(), latest().to_rfc3339())]
pub struct OutOfRange;

/// The earliest time the clock may show.
pub fn earliest() -> Timestamp {
    DateTime::<Utc>::UNIX_EPOCH
}

/// The latest time the clock may show (a long way inside every calendar in use here).
pub fn latest() -> Timestamp {
    Utc.with_ymd_and_hms(9000, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

fn in_range(t: Timestamp) -> Result<Timestamp, OutOfRange> {
    if (earliest()..latest()).contains(&t) {
        Ok(t)
    } else {
        Err(OutOfRange)
    }
}

impl ClockState {
    fn now(&self) -> Timestamp {
        let base = self.frozen.unwrap_or_else(Utc::now);
        // The offset was checked when it was set; should the real clock ever make the
        // sum overflow, the latest time is shown rather than a panic.
        base.checked_add_signed(self.offset).unwrap_or_else(latest)
    }
}

impl Clock {
    /// The real clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    pub fn now(&self) -> Timestamp {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).now()
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: Duration) -> Result<(), OutOfRange> {
        let mut s = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let target = s.now().checked_add_signed(by).ok_or(OutOfRange)?;
        in_range(target)?;
        s.offset = s.offset.checked_add(&by).ok_or(OutOfRange)?;
        Ok(())
    }

    /// Pins the clock at `t` until [`Clock::reset`].
    pub fn set(&self, t: Timestamp) -> Result<(), OutOfRange> {
        let t = in_range(t)?;
        let mut s = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        s.frozen = Some(t);
        s.offset = Duration::zero();
        Ok(())
    }

    /// Back to the real time.
    pub fn reset(&self) {
        let mut s = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        s.frozen = None;
        s.offset = Duration::zero();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_out_of_range_are_refused_and_now_never_panics() {
        let c = Clock::system();
        assert_eq!(
            c.advance(Duration::seconds(10_000_000_000_000)),
            Err(OutOfRange)
        );
        assert_eq!(c.advance(Duration::days(-365 * 100)), Err(OutOfRange));
        assert!(c.advance(Duration::days(365)).is_ok());
        assert!(c.now() > Utc::now() + Duration::days(364));
        assert_eq!(c.set(DateTime::<Utc>::MAX_UTC), Err(OutOfRange));
        assert!(c.set(latest() - Duration::seconds(1)).is_ok());
        assert_eq!(c.advance(Duration::seconds(2)), Err(OutOfRange));
        assert_eq!(c.now(), latest() - Duration::seconds(1));
        c.reset();
        assert!((c.now() - Utc::now()).num_seconds().abs() < 5);
    }
}
