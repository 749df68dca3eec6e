//! The audit log counted rather than listed: calls per hour (or day) split into allowed,
//! denied and failed, denials by reason code, the addresses a credential was used from,
//! and its last call. The sandbox's `GET /v1/audit/summary` answers with it, so the
//! console's timeline and a token's usage read one number the server computed over the
//! whole range (100,000 events would be 1,000 pages to a browser), and every host
//! classifies a call the same way.

use std::collections::BTreeMap;

use chrono::{DurationRound, TimeDelta};
use serde::{Deserialize, Serialize};

use crate::model::Timestamp;

/// How a call ended, as the timeline stacks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
pub enum CallOutcome {
    /// 1xx to 3xx: the credential was allowed and the call went through.
    Allowed,
    /// 401 or 403: the credential was refused (not valid, or not allowed this call).
    Denied,
    /// Any other 4xx or 5xx: allowed, but the call failed (a bad body, a conflict, a fault).
    Failed,
}

impl CallOutcome {
    pub fn of(status: u16) -> CallOutcome {
        match status {
            401 | 403 => CallOutcome::Denied,
            s if s < 400 => CallOutcome::Allowed,
            _ => CallOutcome::Failed,
        }
    }
}

/// The width of one bar of the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
pub enum TimeBucket {
    Hour,
    Day,
}

impl TimeBucket {
    /// Hours up to [`MAX_HOURLY_DAYS`] days, days beyond: a month of hours is 744 bars,
    /// a year of them would be more bars than a chart has pixels.
    pub fn for_range(from: Timestamp, to: Timestamp) -> TimeBucket {
        if to - from <= TimeDelta::days(MAX_HOURLY_DAYS) {
            TimeBucket::Hour
        } else {
            TimeBucket::Day
        }
    }

    fn width(self) -> TimeDelta {
        match self {
            TimeBucket::Hour => TimeDelta::hours(1),
            TimeBucket::Day => TimeDelta::days(1),
        }
    }

    /// The start of the bucket `t` falls in.
    pub fn start(self, t: Timestamp) -> Timestamp {
        t.duration_trunc(self.width()).unwrap_or(t)
    }
}

/// The longest range counted by the hour.
pub const MAX_HOURLY_DAYS: i64 = 31;
/// The longest range counted at all, in days (about five years of daily bars).
pub const MAX_RANGE_DAYS: i64 = 1830;

/// A range longer than [`MAX_RANGE_DAYS`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the range is longer than {MAX_RANGE_DAYS} days: give a later from or an earlier to")]
pub struct RangeTooLong;

fn stamp(t: Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
/// The most addresses a summary lists (the busiest; `other_sources` counts the rest).
pub const MAX_SOURCES: usize = 50;

/// One bar: the calls whose time falls in `[start, start + bucket)`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct SeriesPoint {
    /// RFC 3339, UTC.
    pub start: String,
    pub allowed: u64,
    pub denied: u64,
    pub failed: u64,
    /// The denials by their error code (`permission_denied`, `ip_not_allowed`, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub denied_by_reason: BTreeMap<String, u64>,
}

/// An address a credential was used from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct SourceUse {
    pub ip: String,
    pub calls: u64,
    /// RFC 3339, UTC.
    pub last_seen: String,
}

/// The latest call in the range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct LastCall {
    /// RFC 3339, UTC.
    pub time: String,
    pub source_ip: Option<String>,
    pub method: String,
    pub path: String,
    pub status: u16,
}

/// What `GET /v1/audit/summary` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct AuditSummary {
    /// The range counted, RFC 3339: `from` at or before the first bar's start, `to` the
    /// end (exclusive).
    pub from: String,
    pub to: String,
    pub bucket: TimeBucket,
    pub total: u64,
    pub allowed: u64,
    pub denied: u64,
    pub failed: u64,
    pub denied_by_reason: BTreeMap<String, u64>,
    /// Every bucket of the range in order, empty ones included.
    pub series: Vec<SeriesPoint>,
    /// The busiest addresses first (at most [`MAX_SOURCES`]).
    pub sources: Vec<SourceUse>,
    /// Calls from addresses past the listed ones.
    pub other_sources: u64,
    pub last_call: Option<LastCall>,
}

/// Counts events one at a time (the sandbox feeds it rows as it reads them, in any
/// order). Calls are counted by the hour as they come; [`SummaryBuilder::finish`] lays
/// the hours out as the range's bars, by the day past [`MAX_HOURLY_DAYS`], so the range's
/// start may be the oldest call seen, found on the same pass.
#[derive(Debug)]
pub struct SummaryBuilder {
    from: Option<Timestamp>,
    to: Timestamp,
    hours: BTreeMap<Timestamp, SeriesPoint>,
    sources: BTreeMap<String, (u64, Timestamp)>,
    /// Calls from addresses past [`MAX_TRACKED_SOURCES`] distinct ones.
    untracked: u64,
    totals: SeriesPoint,
    last: Option<(Timestamp, LastCall)>,
}

/// The most distinct addresses a builder keeps counts for (a log of forged
/// `X-Forwarded-For` addresses must not grow it without bound); later ones count in
/// `other_sources`.
pub const MAX_TRACKED_SOURCES: usize = 10_000;

/// The calls of one event, as the builder needs them.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    pub time: Timestamp,
    pub status: u16,
    pub error_code: Option<&'a str>,
    pub source_ip: Option<&'a str>,
    pub method: &'a str,
    pub path: &'a str,
}

fn count(p: &mut SeriesPoint, status: u16, error_code: Option<&str>) {
    match CallOutcome::of(status) {
        CallOutcome::Allowed => p.allowed += 1,
        CallOutcome::Failed => p.failed += 1,
        CallOutcome::Denied => {
            p.denied += 1;
            *p.denied_by_reason
                .entry(error_code.unwrap_or("unknown").to_owned())
                .or_default() += 1;
        }
    }
}

fn merge(into: &mut SeriesPoint, p: &SeriesPoint) {
    into.allowed += p.allowed;
    into.denied += p.denied;
    into.failed += p.failed;
    for (code, n) in &p.denied_by_reason {
        *into.denied_by_reason.entry(code.clone()).or_default() += n;
    }
}

impl SummaryBuilder {
    /// Counts the calls in `[from, to)` (`from` absent: from the oldest call given); a
    /// call outside the range is not counted. An empty or reversed range counts nothing.
    pub fn new(from: Option<Timestamp>, to: Timestamp) -> Result<SummaryBuilder, RangeTooLong> {
        if from.is_some_and(|f| to - f > TimeDelta::days(MAX_RANGE_DAYS)) {
            return Err(RangeTooLong);
        }
        Ok(SummaryBuilder {
            from,
            to,
            hours: BTreeMap::new(),
            sources: BTreeMap::new(),
            untracked: 0,
            totals: SeriesPoint::default(),
            last: None,
        })
    }

    pub fn add(&mut self, call: Call<'_>) {
        if self.from.is_some_and(|f| call.time < f) || call.time >= self.to {
            return;
        }
        let hour = self
            .hours
            .entry(TimeBucket::Hour.start(call.time))
            .or_default();
        count(hour, call.status, call.error_code);
        count(&mut self.totals, call.status, call.error_code);
        if let Some(ip) = call.source_ip {
            if let Some(e) = self.sources.get_mut(ip) {
                e.0 += 1;
                e.1 = e.1.max(call.time);
            } else if self.sources.len() < MAX_TRACKED_SOURCES {
                self.sources.insert(ip.to_owned(), (1, call.time));
            } else {
                self.untracked += 1;
            }
        }
        if self.last.as_ref().is_none_or(|(t, _)| call.time >= *t) {
            self.last = Some((
                call.time,
                LastCall {
                    time: stamp(call.time),
                    source_ip: call.source_ip.map(str::to_owned),
                    method: call.method.to_owned(),
                    path: call.path.to_owned(),
                    status: call.status,
                },
            ));
        }
    }

    /// The summary; without a `from`, over five years between the oldest call and `to` is
    /// refused as a given range would be.
    pub fn finish(self) -> Result<AuditSummary, RangeTooLong> {
        let from = match (self.from, self.hours.keys().next()) {
            (Some(f), _) => f,
            (None, Some(first)) => *first,
            (None, None) => self.to - TimeDelta::hours(1),
        };
        if self.to - from > TimeDelta::days(MAX_RANGE_DAYS) {
            return Err(RangeTooLong);
        }
        let bucket = TimeBucket::for_range(from, self.to);
        let first = bucket.start(from);
        let mut series = Vec::new();
        let mut t = first;
        while t < self.to {
            series.push(SeriesPoint {
                start: stamp(t),
                ..SeriesPoint::default()
            });
            match t.checked_add_signed(bucket.width()) {
                Some(next) => t = next,
                None => break,
            }
        }
        let width = bucket.width().num_seconds();
        for (hour, p) in &self.hours {
            let index = (bucket.start(*hour) - first)
                .num_seconds()
                .checked_div(width)
                .and_then(|i| usize::try_from(i).ok());
            if let Some(point) = index.and_then(|i| series.get_mut(i)) {
                merge(point, p);
            }
        }
        let mut sources: Vec<SourceUse> = self
            .sources
            .into_iter()
            .map(|(ip, (calls, last))| SourceUse {
                ip,
                calls,
                last_seen: stamp(last),
            })
            .collect();
        // The busiest first; among equals, the latest.
        sources.sort_by(|a, b| {
            b.calls
                .cmp(&a.calls)
                .then_with(|| b.last_seen.cmp(&a.last_seen))
        });
        let other_sources = sources
            .iter()
            .skip(MAX_SOURCES)
            .map(|s| s.calls)
            .sum::<u64>()
            + self.untracked;
        sources.truncate(MAX_SOURCES);
        let t = self.totals;
        Ok(AuditSummary {
            from: stamp(from),
            to: stamp(self.to),
            bucket,
            total: t.allowed + t.denied + t.failed,
            allowed: t.allowed,
            denied: t.denied,
            failed: t.failed,
            denied_by_reason: t.denied_by_reason,
            series,
            sources,
            other_sources,
            last_call: self.last.map(|(_, c)| c),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("a test time")
    }

    fn call(
        time: &str,
        status: u16,
        code: Option<&'static str>,
        ip: &'static str,
    ) -> Call<'static> {
        Call {
            time: at(time),
            status,
            error_code: code,
            source_ip: Some(ip),
            method: "GET",
            path: "/v1/tokens",
        }
    }

    #[test]
    fn outcomes_split_refusals_from_failures() {
        assert_eq!(CallOutcome::of(200), CallOutcome::Allowed);
        assert_eq!(CallOutcome::of(304), CallOutcome::Allowed);
        assert_eq!(CallOutcome::of(401), CallOutcome::Denied);
        assert_eq!(CallOutcome::of(403), CallOutcome::Denied);
        assert_eq!(CallOutcome::of(404), CallOutcome::Failed);
        assert_eq!(CallOutcome::of(503), CallOutcome::Failed);
    }

    #[test]
    fn counts_by_hour_with_empty_hours_and_reasons() {
        let mut b =
            SummaryBuilder::new(Some(at("2026-01-01T10:30:00Z")), at("2026-01-01T13:00:00Z"))
                .expect("a range");
        b.add(call("2026-01-01T10:45:00Z", 200, None, "10.0.0.1"));
        b.add(call(
            "2026-01-01T12:10:00Z",
            403,
            Some("permission_denied"),
            "10.0.0.2",
        ));
        b.add(call(
            "2026-01-01T12:20:00Z",
            403,
            Some("ip_not_allowed"),
            "10.0.0.2",
        ));
        b.add(call("2026-01-01T12:59:59Z", 500, None, "10.0.0.2"));
        // Outside the range: not counted.
        b.add(call("2026-01-01T10:29:59Z", 200, None, "10.0.0.9"));
        b.add(call("2026-01-01T13:00:00Z", 200, None, "10.0.0.9"));
        let s = b.finish().expect("a range");
        assert_eq!(s.bucket, TimeBucket::Hour);
        let starts: Vec<&str> = s.series.iter().map(|p| p.start.as_str()).collect();
        assert_eq!(
            starts,
            [
                "2026-01-01T10:00:00Z",
                "2026-01-01T11:00:00Z",
                "2026-01-01T12:00:00Z"
            ]
        );
        assert_eq!(
            (s.series[0].allowed, s.series[1].allowed, s.series[2].denied),
            (1, 0, 2)
        );
        assert_eq!(s.series[2].failed, 1);
        assert_eq!(s.series[2].denied_by_reason.get("ip_not_allowed"), Some(&1));
        assert_eq!((s.total, s.allowed, s.denied, s.failed), (4, 1, 2, 1));
        assert_eq!(s.sources[0].ip, "10.0.0.2");
        assert_eq!(s.sources[0].calls, 3);
        assert_eq!(s.sources[0].last_seen, "2026-01-01T12:59:59Z");
        let last = s.last_call.expect("a last call");
        assert_eq!(
            (last.time.as_str(), last.status),
            ("2026-01-01T12:59:59Z", 500)
        );
    }

    #[test]
    fn long_ranges_count_by_day_and_addresses_are_capped() {
        let mut b =
            SummaryBuilder::new(Some(at("2026-01-01T00:00:00Z")), at("2026-03-01T00:00:00Z"))
                .expect("a range");
        for i in 0..(MAX_SOURCES + 3) {
            let ip = Box::leak(format!("10.0.{}.{}", i / 250, i % 250).into_boxed_str());
            b.add(Call {
                source_ip: Some(ip),
                ..call("2026-02-01T05:00:00Z", 200, None, "x")
            });
        }
        let s = b.finish().expect("a range");
        assert_eq!(s.bucket, TimeBucket::Day);
        assert_eq!(s.series.len(), 59);
        assert_eq!(s.sources.len(), MAX_SOURCES);
        assert_eq!(s.other_sources, 3);
    }

    #[test]
    fn an_empty_or_reversed_range_counts_nothing() {
        let t = at("2026-01-01T00:00:00Z");
        let mut b = SummaryBuilder::new(Some(t), t - TimeDelta::hours(5)).expect("a range");
        b.add(call("2026-01-01T00:00:00Z", 200, None, "10.0.0.1"));
        let s = b.finish().expect("a range");
        assert!(s.series.is_empty());
        assert_eq!(s.total, 0);
        assert_eq!(
            SummaryBuilder::new(Some(t - TimeDelta::days(MAX_RANGE_DAYS + 1)), t).err(),
            Some(RangeTooLong)
        );
    }

    #[test]
    fn without_a_from_the_range_starts_at_the_oldest_call() {
        let mut b = SummaryBuilder::new(None, at("2026-01-03T00:00:00Z")).expect("a range");
        // In any order: the scan reads newest first.
        b.add(call("2026-01-02T23:30:00Z", 200, None, "10.0.0.1"));
        b.add(call(
            "2026-01-01T05:10:00Z",
            403,
            Some("expired"),
            "10.0.0.1",
        ));
        let s = b.finish().expect("a range");
        assert_eq!(
            s.series.first().map(|p| p.start.as_str()),
            Some("2026-01-01T05:00:00Z")
        );
        assert_eq!(s.series.len(), 43);
        assert_eq!((s.series[0].denied, s.series[42].allowed), (1, 1));
        // Nothing at all: the last hour.
        let s = SummaryBuilder::new(None, at("2026-01-03T00:00:00Z"))
            .expect("a range")
            .finish()
            .expect("a range");
        assert_eq!((s.series.len(), s.total), (1, 0));
        // The oldest call over five years back is refused, as a given from would be.
        let mut b = SummaryBuilder::new(None, at("2026-01-03T00:00:00Z")).expect("a range");
        b.add(call("2019-01-01T00:00:00Z", 200, None, "10.0.0.1"));
        assert_eq!(b.finish().err(), Some(RangeTooLong));
    }

    #[test]
    fn addresses_past_the_tracked_limit_are_counted_not_kept() {
        let mut b = SummaryBuilder::new(None, at("2026-01-03T00:00:00Z")).expect("a range");
        for i in 0..(MAX_TRACKED_SOURCES + 5) {
            let ip = format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256);
            b.add(Call {
                source_ip: Some(&ip),
                ..call("2026-01-02T00:00:00Z", 200, None, "x")
            });
        }
        let s = b.finish().expect("a range");
        assert_eq!(s.sources.len(), MAX_SOURCES);
        assert_eq!(
            s.other_sources,
            (MAX_TRACKED_SOURCES - MAX_SOURCES + 5) as u64
        );
    }
}
