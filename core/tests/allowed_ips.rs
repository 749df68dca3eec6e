use clouddigit_core::{check_allowed_ips, AllowList, AllowedIpEntryError, AllowedIpsReport};
use proptest::prelude::*;

#[path = "../../tests/rust/allowed_ips.rs"]
mod vectors;

struct Native;

impl vectors::Host for Native {
    fn check(&self, input: &str) -> AllowedIpsReport {
        check_allowed_ips(input)
    }
    fn parse_and_contains(
        &self,
        input: &str,
        addresses: &[String],
    ) -> Result<Vec<Option<bool>>, Vec<AllowedIpEntryError>> {
        let list = AllowList::parse(input).map_err(|e| e.errors)?;
        Ok(addresses
            .iter()
            .map(|a| list.contains_str(a).ok())
            .collect())
    }
}

#[test]
fn shared_vectors() {
    let failures = vectors::run(&Native);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Strings built from the characters that matter to the parser, so the generator
/// reaches deep paths (valid CIDRs, host bits, prefixes) far more often than uniform text.
fn cidr_like() -> impl Strategy<Value = String> {
    let entry = prop_oneof![
        any::<[u8; 4]>().prop_map(|o| format!("{}.{}.{}.{}", o[0], o[1], o[2], o[3])),
        (any::<[u8; 4]>(), 0u32..40)
            .prop_map(|(o, p)| format!("{}.{}.{}.{}/{p}", o[0], o[1], o[2], o[3])),
        (any::<u128>(), 0u32..140)
            .prop_map(|(a, p)| format!("{}/{p}", std::net::Ipv6Addr::from(a))),
        "[0-9a-f:./%, \n\r+-]{0,24}",
    ];
    prop::collection::vec(entry, 0..8).prop_map(|v| v.join(","))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn never_panics_on_arbitrary_text(text in any::<String>(), ip in any::<String>()) {
        let report = check_allowed_ips(&text);
        if let Ok(list) = AllowList::parse(&text) {
            let _ = list.contains_str(&ip);
        }
        prop_assert!(report.errors.iter().all(|e| !e.message.is_empty()));
    }

    #[test]
    fn every_entry_is_accounted_for(text in cidr_like(), probe in any::<[u8; 4]>()) {
        let report = check_allowed_ips(&text);
        // Each non-empty entry is either a network or an error, with consecutive indexes.
        let mut seen: Vec<usize> = report.entries.iter().map(|e| e.index)
            .chain(report.errors.iter().map(|e| e.index)).collect();
        seen.sort_unstable();
        prop_assert!(seen.iter().enumerate().all(|(i, idx)| i == *idx));
        // A host-bits suggestion is itself a valid, warning-free entry.
        for e in &report.errors {
            if let Some(s) = &e.suggestion {
                prop_assert!(check_allowed_ips(s).errors.is_empty());
            }
        }
        match AllowList::parse(&text) {
            Ok(list) => {
                prop_assert!(report.errors.is_empty());
                // Normalized networks re-parse to the same list.
                let again = report.entries.iter().map(|e| e.network.as_str()).collect::<Vec<_>>().join("\n");
                let list2 = AllowList::parse(&again).unwrap();
                prop_assert_eq!(list.networks(), list2.networks());
                // contains agrees with a naive scan over the networks.
                let ip = std::net::IpAddr::from(probe);
                let naive = list.networks().is_empty() || list.networks().iter().any(|n| n.contains(&ip));
                prop_assert_eq!(list.contains(ip), naive);
            }
            Err(e) => prop_assert_eq!(e.errors, report.errors),
        }
    }
}
