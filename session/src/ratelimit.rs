//! The client-side token bucket (opt-in): 60 calls of burst, refilled at 30 per second,
//! the server's limit, so a busy client waits instead of collecting 429s.

/// Time is milliseconds on the host's monotonic clock.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    capacity: f64,
    per_ms: f64,
    tokens: f64,
    last_ms: u64,
}

impl TokenBucket {
    pub fn new(burst: u32, per_second: u32, now_ms: u64) -> TokenBucket {
        TokenBucket {
            capacity: f64::from(burst),
            per_ms: f64::from(per_second) / 1000.0,
            tokens: f64::from(burst),
            last_ms: now_ms,
        }
    }

    /// The server's limit.
    pub fn standard(now_ms: u64) -> TokenBucket {
        TokenBucket::new(60, 30, now_ms)
    }

    /// Takes one call's worth; returns how long to wait first (0 when none). A call
    /// that must wait has its token reserved, so waiters queue fairly.
    pub fn take(&mut self, now_ms: u64) -> u64 {
        let elapsed = now_ms.saturating_sub(self.last_ms) as f64;
        self.last_ms = self.last_ms.max(now_ms);
        self.tokens = (self.tokens + elapsed * self.per_ms).min(self.capacity);
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            0
        } else {
            // One token's worth of slack: the server counts arrivals, not our sends, and
            // latency varies, so a call timed to the exact refill can still be refused.
            ((1.0 - self.tokens) / self.per_ms).ceil() as u64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_sustained_rate() {
        let mut b = TokenBucket::standard(0);
        for _ in 0..60 {
            assert_eq!(b.take(0), 0);
        }
        // The 61st waits for one token, and one more of slack: 2/30 s.
        assert_eq!(b.take(0), 67);
        // A second later 30 more have come in, less the one reserved.
        let waits: Vec<u64> = (0..29).map(|_| b.take(1000)).collect();
        assert!(waits.iter().all(|w| *w == 0), "{waits:?}");
        assert!(b.take(1000) > 0);
    }
}
