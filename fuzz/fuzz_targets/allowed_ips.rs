//! Allowed-IP lists: the report and the parser agree; a parsed list, written out
//! normalized, parses to the same networks; every network lies inside its own list.
#![no_main]
use clouddigit_core::allowed_ips::{check_allowed_ips, AllowList};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let report = check_allowed_ips(&text);
    let parsed = AllowList::parse(&text);
    assert_eq!(report.errors.is_empty(), parsed.is_ok());
    if let Ok(list) = parsed {
        assert_eq!(list.networks().len(), report.entries.len());
        let normalized: Vec<String> = list.networks().iter().map(ToString::to_string).collect();
        let again = AllowList::parse(&normalized.join("\n")).expect("a normalized list parses");
        assert_eq!(again.networks(), list.networks());
        for (net, entry) in list.networks().iter().zip(&report.entries) {
            assert_eq!(net.to_string(), entry.network);
            assert!(list.covers(net));
            assert!(list.contains(net.network()));
        }
        let from_entries =
            AllowList::from_entries(normalized.iter().map(String::as_str)).expect("entries parse");
        assert_eq!(from_entries.networks(), list.networks());
    }
    // Any text as an address: an answer or a typed error.
    let _ = AllowList::default().contains_str(&text);
});
