//! When to try again, and how long to wait. Pure decisions: the host supplies the
//! jitter (a random number in [0, 1)) and the current time.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::http::{HttpResponse, TransportError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct RetryPolicy {
    pub max_retries: u32,
    pub initial_ms: u64,
    pub max_backoff_ms: u64,
    /// Server-requested waits beyond this fail fast instead of hanging.
    pub max_retry_wait_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_retries: 2,
            initial_ms: 500,
            max_backoff_ms: 8_000,
            max_retry_wait_ms: 60_000,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum RetryDecision {
    Retry {
        wait_ms: u64,
    },
    /// Give up with the error at hand.
    Stop,
    /// The server asked for a wait longer than the cap: fail now with the
    /// rate-limit error rather than hang.
    StopWaitTooLong {
        retry_after_ms: u64,
    },
}

/// What the server asked for: `retry-after-ms`, else `Retry-After` in seconds or as
/// an HTTP date. Numbers are plain decimals (`2`, `1.5`), rounded up to the millisecond;
/// anything else (an exponent, a sign) is not a wait the server meant, so the backoff
/// decides.
pub fn server_wait_ms(resp: &HttpResponse, now: DateTime<Utc>) -> Option<u64> {
    if let Some(ms) = resp
        .header("retry-after-ms")
        .and_then(|v| ceil_decimal(v.trim(), 0))
    {
        return Some(ms);
    }
    let v = resp.header("retry-after")?.trim();
    if let Some(ms) = ceil_decimal(v, 3) {
        return Some(ms);
    }
    let when = DateTime::parse_from_rfc2822(v).ok()?.with_timezone(&Utc);
    Some(u64::try_from((when - now).num_milliseconds()).unwrap_or(0))
}

/// `digits[.digits]` times 10^`shift`, rounded up; saturates. Written out rather than
/// parsed as `f64`: float parsing brings ~10 KB of tables into the wasm for one header.
fn ceil_decimal(v: &str, shift: u32) -> Option<u64> {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() && frac.is_empty() || !digits(int) || !digits(frac) {
        return None;
    }
    let mut n: u64 = 0;
    for b in int.bytes().chain(
        frac.bytes()
            .chain(std::iter::repeat(b'0'))
            .take(shift as usize),
    ) {
        n = n.saturating_mul(10).saturating_add(u64::from(b - b'0'));
    }
    let rest = frac.get(shift as usize..).unwrap_or("");
    Some(n.saturating_add(u64::from(rest.bytes().any(|b| b != b'0'))))
}

fn retryable_status(status: u16) -> bool {
    matches!(status, 408 | 409 | 429 | 500..=599)
}

impl RetryPolicy {
    /// Exponential backoff, `min(initial·2ⁿ, max)`, up to 25 % shorter by jitter.
    pub fn backoff_ms(&self, retries_so_far: u32, jitter: f64) -> u64 {
        let base = (self.initial_ms as f64) * 2f64.powi(retries_so_far.min(30) as i32);
        let capped = base.min(self.max_backoff_ms as f64);
        (capped * (1.0 - 0.25 * jitter.clamp(0.0, 1.0))).round() as u64
    }

    /// Decides after a response. `idempotent`: GET, DELETE, or a create carrying an
    /// `Idempotency-Key`. A server's `x-should-retry` overrides the status rule.
    pub fn after_response(
        &self,
        resp: &HttpResponse,
        retries_so_far: u32,
        idempotent: bool,
        now: DateTime<Utc>,
        jitter: f64,
    ) -> RetryDecision {
        if resp.status < 400 {
            return RetryDecision::Stop;
        }
        let should = match resp.header("x-should-retry").map(str::trim) {
            Some("true") => true,
            Some("false") => false,
            _ => idempotent && retryable_status(resp.status),
        };
        if !should || retries_so_far >= self.max_retries {
            return RetryDecision::Stop;
        }
        match server_wait_ms(resp, now) {
            Some(ms) if ms > self.max_retry_wait_ms => {
                RetryDecision::StopWaitTooLong { retry_after_ms: ms }
            }
            Some(ms) => RetryDecision::Retry { wait_ms: ms },
            None => RetryDecision::Retry {
                wait_ms: self.backoff_ms(retries_so_far, jitter),
            },
        }
    }

    /// Decides after a connection error or timeout.
    pub fn after_transport_error(
        &self,
        _error: &TransportError,
        retries_so_far: u32,
        idempotent: bool,
        jitter: f64,
    ) -> RetryDecision {
        if idempotent && retries_so_far < self.max_retries {
            RetryDecision::Retry {
                wait_ms: self.backoff_ms(retries_so_far, jitter),
            }
        } else {
            RetryDecision::Stop
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn resp(status: u16, headers: &[(&str, &str)]) -> HttpResponse {
        HttpResponse {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: String::new(),
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap()
    }

    #[test]
    fn backoff_grows_caps_and_jitters_down() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff_ms(0, 0.0), 500);
        assert_eq!(p.backoff_ms(1, 0.0), 1000);
        assert_eq!(p.backoff_ms(4, 0.0), 8000);
        assert_eq!(p.backoff_ms(10, 0.0), 8000);
        assert_eq!(p.backoff_ms(0, 1.0), 375);
        assert_eq!(p.backoff_ms(0, 7.0), 375);
    }

    #[test]
    fn which_statuses_retry() {
        let p = RetryPolicy::default();
        for s in [408, 409, 429, 500, 502, 503] {
            assert!(matches!(
                p.after_response(&resp(s, &[]), 0, true, now(), 0.0),
                RetryDecision::Retry { .. }
            ));
            // Never for a call that is not idempotent.
            assert_eq!(
                p.after_response(&resp(s, &[]), 0, false, now(), 0.0),
                RetryDecision::Stop
            );
        }
        for s in [400, 401, 403, 404, 422] {
            assert_eq!(
                p.after_response(&resp(s, &[]), 0, true, now(), 0.0),
                RetryDecision::Stop
            );
        }
        assert_eq!(
            p.after_response(&resp(503, &[]), 2, true, now(), 0.0),
            RetryDecision::Stop
        );
    }

    #[test]
    fn server_overrides() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.after_response(
                &resp(503, &[("x-should-retry", "false")]),
                0,
                true,
                now(),
                0.0
            ),
            RetryDecision::Stop
        );
        assert_eq!(
            p.after_response(
                &resp(400, &[("x-should-retry", "true")]),
                0,
                false,
                now(),
                0.0
            ),
            RetryDecision::Retry { wait_ms: 500 }
        );
        assert_eq!(
            p.after_response(&resp(429, &[("Retry-After", "3")]), 0, true, now(), 0.0),
            RetryDecision::Retry { wait_ms: 3000 }
        );
        assert_eq!(
            p.after_response(
                &resp(429, &[("retry-after-ms", "120"), ("Retry-After", "3")]),
                0,
                true,
                now(),
                0.0
            ),
            RetryDecision::Retry { wait_ms: 120 }
        );
        assert_eq!(
            p.after_response(
                &resp(429, &[("Retry-After", "Mon, 23 Nov 2026 10:00:05 GMT")]),
                0,
                true,
                now(),
                0.0
            ),
            RetryDecision::Retry { wait_ms: 5000 }
        );
        assert_eq!(
            p.after_response(&resp(429, &[("Retry-After", "3600")]), 0, true, now(), 0.0),
            RetryDecision::StopWaitTooLong {
                retry_after_ms: 3_600_000
            }
        );
    }

    #[test]
    fn decimal_waits_round_up_to_the_millisecond() {
        assert_eq!(ceil_decimal("250", 0), Some(250));
        assert_eq!(ceil_decimal("1.5", 0), Some(2));
        assert_eq!(ceil_decimal("1.000", 0), Some(1));
        assert_eq!(ceil_decimal("3", 3), Some(3000));
        assert_eq!(ceil_decimal("1.5", 3), Some(1500));
        assert_eq!(ceil_decimal("0.0001", 3), Some(1));
        assert_eq!(ceil_decimal(".25", 3), Some(250));
        assert_eq!(ceil_decimal("2.", 3), Some(2000));
        assert_eq!(ceil_decimal("99999999999999999999999", 3), Some(u64::MAX));
        for bad in ["", ".", "-1", "+1", "1e3", "inf", "NaN", "1.2.3", " 1"] {
            assert_eq!(ceil_decimal(bad, 3), None, "{bad:?}");
        }
    }
}
