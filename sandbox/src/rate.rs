//! Per-token rate limiting: a token bucket of `burst` calls refilled at `per_second`
//! (the API's documented 60 burst / 30 per second). Real time, not the test clock.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Past this many keys, buckets that have refilled are dropped.
const MAX_KEYS: usize = 4096;

#[derive(Debug)]
pub struct RateLimiter {
    burst: f64,
    per_second: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl RateLimiter {
    /// `burst == 0` or `per_second <= 0` turns limiting off.
    pub fn new(burst: u32, per_second: f64) -> RateLimiter {
        RateLimiter {
            burst: f64::from(burst),
            per_second,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub fn enabled(&self) -> bool {
        self.burst > 0.0 && self.per_second > 0.0
    }

    /// How long `key` must wait (whole seconds) when its bucket is empty; `None` when it
    /// may go on. Takes nothing.
    pub fn exhausted(&self, key: &str) -> Option<u64> {
        if !self.enabled() {
            return None;
        }
        let now = Instant::now();
        let map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let b = map.get(key)?;
        let tokens =
            (b.tokens + now.duration_since(b.last).as_secs_f64() * self.per_second).min(self.burst);
        (tokens < 1.0).then(|| (((1.0 - tokens) / self.per_second).ceil() as u64).max(1))
    }

    /// Takes one from `key`'s bucket (down to empty, never below).
    pub fn consume(&self, key: &str) {
        if !self.enabled() {
            return;
        }
        let now = Instant::now();
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        // Keys are client addresses, which a caller can vary: buckets that have refilled
        // are forgotten once there are many, so the map stays small.
        if map.len() >= MAX_KEYS {
            let (burst, rate) = (self.burst, self.per_second);
            map.retain(|_, b| b.tokens + now.duration_since(b.last).as_secs_f64() * rate < burst);
        }
        let b = map.entry(key.to_owned()).or_insert(Bucket {
            tokens: self.burst,
            last: now,
        });
        b.tokens =
            (b.tokens + now.duration_since(b.last).as_secs_f64() * self.per_second).min(self.burst);
        b.last = now;
        b.tokens = (b.tokens - 1.0).max(0.0);
    }

    /// Takes one call from `key`'s bucket, or says how many whole seconds to wait.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        if !self.enabled() {
            return Ok(());
        }
        let now = Instant::now();
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let b = map.entry(key.to_owned()).or_insert(Bucket {
            tokens: self.burst,
            last: now,
        });
        let elapsed = now.duration_since(b.last).as_secs_f64();
        b.tokens = (b.tokens + elapsed * self.per_second).min(self.burst);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - b.tokens) / self.per_second;
            Err((wait.ceil() as u64).max(1))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_limited() {
        let r = RateLimiter::new(5, 1.0);
        for _ in 0..5 {
            assert!(r.check("t").is_ok());
        }
        assert_eq!(r.check("t"), Err(1));
        assert!(r.check("other").is_ok());
        assert!(RateLimiter::new(0, 0.0).check("t").is_ok());
    }

    #[test]
    fn failures_are_counted_then_refused() {
        let r = RateLimiter::new(3, 1.0);
        assert_eq!(r.exhausted("1.2.3.4"), None);
        for _ in 0..3 {
            r.consume("1.2.3.4");
        }
        assert_eq!(r.exhausted("1.2.3.4"), Some(1));
        assert_eq!(r.exhausted("5.6.7.8"), None);
        assert_eq!(RateLimiter::new(0, 0.0).exhausted("x"), None);
    }
}
