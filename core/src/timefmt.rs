//! Instants written for people (`2026-11-23 10:00 UTC`), as chrono's
//! `%Y-%m-%d %H:%M UTC` would write them. chrono's `format` parses its pattern on every
//! call (a measurable share of validating a form) and links its whole strftime
//! machinery into the wasm; these write the digits directly.

use std::fmt::Write as _;

use chrono::{Datelike, Timelike};

use crate::model::Timestamp;

/// Appends `t` as `%Y-%m-%d`.
pub(crate) fn push_date(out: &mut String, t: Timestamp) {
    match u32::try_from(t.year()) {
        Ok(year @ 0..=9999) => push_padded(out, year, 4),
        // chrono's `%Y` outside four digits: a sign, then at least four digits (ISO 8601).
        // Writing to a `String` cannot fail.
        _ => {
            let _ = write!(out, "{:+05}", t.year());
        }
    }
    out.push('-');
    push_padded(out, t.month(), 2);
    out.push('-');
    push_padded(out, t.day(), 2);
}

/// Appends `t` as `%Y-%m-%d %H:%M UTC`.
pub(crate) fn push_minute(out: &mut String, t: Timestamp) {
    push_date(out, t);
    out.push(' ');
    push_padded(out, t.hour(), 2);
    out.push(':');
    push_padded(out, t.minute(), 2);
    out.push_str(" UTC");
}

/// `t` as `%Y-%m-%d`.
pub fn date(t: Timestamp) -> String {
    let mut s = String::with_capacity(10);
    push_date(&mut s, t);
    s
}

/// `t` as `%Y-%m-%d %H:%M UTC`.
pub fn minute(t: Timestamp) -> String {
    let mut s = String::with_capacity(20);
    push_minute(&mut s, t);
    s
}

/// Appends the last `width` decimal digits of `n`, zero-padded.
fn push_padded(out: &mut String, n: u32, width: u32) {
    for i in (0..width).rev() {
        out.push(char::from(b'0' + (n / 10u32.pow(i) % 10) as u8));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone, Utc};

    #[test]
    fn writes_what_chrono_format_writes() {
        let dates = [
            (-12_345, 1, 1),
            (-44, 3, 15),
            (-1, 1, 1),
            (0, 2, 29),
            (7, 3, 4),
            (99, 12, 31),
            (999, 6, 15),
            (1000, 1, 1),
            (2026, 11, 23),
            (9999, 12, 31),
            (10_000, 1, 1),
            (12_345, 1, 2),
        ];
        let mut checked = 0;
        for (y, m, d) in dates {
            let date_ = NaiveDate::from_ymd_opt(y, m, d).expect("a real date");
            for (h, min) in [(0, 0), (9, 5), (23, 59)] {
                let t = Utc.from_utc_datetime(&date_.and_hms_opt(h, min, 59).unwrap());
                assert_eq!(minute(t), t.format("%Y-%m-%d %H:%M UTC").to_string());
                assert_eq!(date(t), t.format("%Y-%m-%d").to_string());
                checked += 1;
            }
        }
        assert_eq!(checked, dates.len() * 3);
    }
}
