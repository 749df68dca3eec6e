//! Times: any text as a custom expiry reads or is refused; a date written for people
//! reads back as the end of that day; RFC 3339 written by the API reads back the same.
#![no_main]
use chrono::{DateTime, Duration, TimeZone, Utc};
use clouddigit_core::timefmt;
use clouddigit_core::validate::parse_custom;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = parse_custom(&text);
    if data.len() >= 8 {
        let secs = i64::from_le_bytes(data[..8].try_into().unwrap_or([0; 8]));
        // Within the years the API writes with four digits.
        let secs = secs.rem_euclid(253_402_300_799);
        if let Some(t) = Utc.timestamp_opt(secs, 0).single() {
            let date = timefmt::date(t);
            let end = parse_custom(&date).expect("a written date reads");
            assert!(
                end > t && end - t <= Duration::days(1),
                "{date} -> {end} for {t}"
            );
            let _ = timefmt::minute(t);
            let rfc = t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
            let back: DateTime<Utc> = rfc.parse().expect("RFC 3339 reads back");
            assert_eq!(back, t);
        }
    }
});
