//! Allowed-IP lists: the token form's free-text "Allowed IPs" field, parsed into a
//! normalized allow-list.
//!
//! The console shows every problem at once (the user fixes a pasted list in one go),
//! so parsing never stops at the first bad entry: [`check_allowed_ips`] returns a
//! report with one error per bad entry and warnings for entries that are legal but
//! probably not what the user meant. Nothing is silently rewritten: an address with
//! host bits set is an error that carries the corrected network as a suggestion,
//! not a quiet truncation.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Why an entry was rejected. Stable codes: hosts and the console match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum AllowedIpErrorCode {
    /// Not an IPv4/IPv6 address or CIDR at all.
    InvalidCidr,
    /// `/33` on IPv4 or `/129` on IPv6.
    PrefixTooLong,
    /// `10.0.0.1/8`: the address is not the network's first address.
    HostBitsSet,
}

/// Why a legal entry deserves a second look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum AllowedIpWarningCode {
    /// The same network as an earlier entry.
    Duplicate,
    /// Wholly inside another entry, so it adds nothing.
    Covered,
    /// A `/0`: every address of that family is allowed, which defeats the list.
    AllowsAll,
}

/// One valid entry, in input order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct AllowedIpEntry {
    /// Position among the list's non-empty entries (the `N` of `allowed_ips[N]`).
    pub index: usize,
    /// The entry as the user typed it, trimmed.
    pub text: String,
    /// The normalized network, always with a prefix (`192.0.2.7` becomes `192.0.2.7/32`).
    pub network: String,
}

/// A rejected entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct AllowedIpEntryError {
    pub index: usize,
    pub text: String,
    pub code: AllowedIpErrorCode,
    pub message: String,
    /// What the user probably meant, when there is one answer (the corrected network
    /// for `host_bits_set`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub suggestion: Option<String>,
}

/// A legal entry that is probably a mistake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct AllowedIpEntryWarning {
    pub index: usize,
    pub text: String,
    pub code: AllowedIpWarningCode,
    pub message: String,
    /// The other entry involved (the earlier duplicate, or the covering entry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub related_index: Option<usize>,
}

/// Everything the console needs to show about an "Allowed IPs" field.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct AllowedIpsReport {
    pub entries: Vec<AllowedIpEntry>,
    pub errors: Vec<AllowedIpEntryError>,
    pub warnings: Vec<AllowedIpEntryWarning>,
}

impl AllowedIpsReport {
    pub fn is_valid(&self) -> bool {
        self.errors.is_empty()
    }
}

/// The list had at least one bad entry; every one of them is here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct AllowedIpsError {
    pub errors: Vec<AllowedIpEntryError>,
}

impl fmt::Display for AllowedIpsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.errors.len();
        write!(
            f,
            "allowed_ips: {n} invalid {}",
            if n == 1 { "entry" } else { "entries" }
        )?;
        for (i, e) in self.errors.iter().enumerate() {
            let sep = if i == 0 { ": " } else { "; " };
            write!(f, "{sep}[{}] {}", e.index, e.message)?;
        }
        Ok(())
    }
}

/// An address given to [`AllowList::contains_str`] that is not an IP address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ip: {text:?} is not a valid IPv4 or IPv6 address")]
pub struct InvalidIpAddress {
    pub text: String,
}

/// `text` as an address, as `IpAddr::from_str` reads it; dotted-quad IPv4, what most
/// callers send, takes a short path that accepts exactly what the standard parser
/// accepts there (1 to 3 digits per part, no leading zero, at most 255).
#[inline]
pub(crate) fn parse_ip(text: &str) -> Option<std::net::IpAddr> {
    // One pass over the bytes, the address built in a register: every allowed-IP entry
    // and most authorized calls come through here.
    fn quad(b: &[u8]) -> Option<u32> {
        let (mut addr, mut parts, mut value, mut digits) = (0u32, 0, 0u32, 0);
        for &c in b {
            match c {
                b'0'..=b'9' => {
                    // A fourth digit, or any digit after a leading zero.
                    if digits == 3 || (digits == 1 && value == 0) {
                        return None;
                    }
                    value = value * 10 + u32::from(c - b'0');
                    digits += 1;
                }
                b'.' if digits > 0 && parts < 3 && value <= 255 => {
                    (addr, parts, value, digits) = ((addr << 8) | value, parts + 1, 0, 0);
                }
                _ => return None,
            }
        }
        (parts == 3 && digits > 0 && value <= 255).then_some((addr << 8) | value)
    }
    match quad(text.as_bytes()) {
        Some(a) => Some(std::net::IpAddr::from(std::net::Ipv4Addr::from(a))),
        None => text.parse().ok(),
    }
}

/// Splits the field the way the console does: commas or line breaks separate entries,
/// surrounding whitespace is ignored, empty entries (a trailing comma, a blank line)
/// are not entries.
pub fn split_entries(text: &str) -> impl Iterator<Item = &str> {
    // The separators are ASCII, so splitting the bytes cuts only at char boundaries.
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let t = rest?;
        match t.bytes().position(|b| matches!(b, b',' | b'\n' | b'\r')) {
            Some(i) => {
                rest = Some(&t[i + 1..]);
                Some(&t[..i])
            }
            None => {
                rest = None;
                Some(t)
            }
        }
    })
    .map(trim)
    .filter(|s| !s.is_empty())
}

/// `str::trim`, without decoding characters from both ends when the first and last
/// bytes are printable ASCII, which no whitespace is (nearly every entry).
fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(a), Some(z)) if a.is_ascii_graphic() && z.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

fn parse_entry(text: &str) -> Result<IpNet, (AllowedIpErrorCode, String, Option<String>)> {
    let invalid = |why: &str| {
        (
            AllowedIpErrorCode::InvalidCidr,
            format!("{text:?} is not a valid IP address or CIDR ({why})"),
            None,
        )
    };
    let (addr_text, prefix_text) = match text.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (text, None),
    };
    // No address contains whitespace, so this is asked only of text that did not parse,
    // to say why.
    let Some(addr) = parse_ip(addr_text) else {
        return Err(if addr_text.contains(char::is_whitespace) {
            invalid("separate entries with commas or new lines")
        } else {
            invalid("expected e.g. 203.0.113.0/24 or 2001:db8::/32")
        });
    };
    let (family, max) = match addr {
        IpAddr::V4(_) => ("IPv4", 32u8),
        IpAddr::V6(_) => ("IPv6", 128u8),
    };
    let prefix = match prefix_text {
        None => max,
        Some(p) => {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid("the prefix length after '/' must be a number"));
            }
            // Digits only, so the only failure left is overflow: any such number is too long.
            match p.parse::<u32>() {
                Ok(n) if n <= u32::from(max) => n as u8,
                _ => {
                    return Err((
                        AllowedIpErrorCode::PrefixTooLong,
                        format!("{text:?}: prefix length /{p} is longer than /{max}, the maximum for {family}"),
                        None,
                    ))
                }
            }
        }
    };
    // Callers are matched by their canonical address, so an IPv4-mapped IPv6 entry
    // (`::ffff:192.0.2.7`, as some logs print IPv4 callers) would never match anyone:
    // refuse it and name the IPv4 network meant (found by fuzz/fuzz_targets/allowed_ips.rs).
    if let IpAddr::V6(v6) = addr {
        if let (Some(v4), true) = (v6.to_ipv4_mapped(), prefix >= 96) {
            let meant = ipnet::Ipv4Net::new(v4, prefix - 96)
                .map(|n| IpNet::V4(n.trunc()).to_string())
                .unwrap_or_else(|_| v4.to_string());
            return Err((
                AllowedIpErrorCode::InvalidCidr,
                format!("{text:?} is an IPv4-mapped IPv6 address, which never matches: IPv4 callers are matched as IPv4; did you mean {meant}?"),
                Some(meant),
            ));
        }
    }
    let net = IpNet::new(addr, prefix).map_err(|_| invalid("bad prefix length"))?;
    if net.network() != addr {
        let network = net.trunc();
        return Err((
            AllowedIpErrorCode::HostBitsSet,
            format!("{text:?} has host bits set beyond /{prefix}; did you mean {network}?"),
            Some(network.to_string()),
        ));
    }
    Ok(net)
}

/// Parses the "Allowed IPs" field and reports every problem. Never fails: the report
/// is the answer, whether or not the list is usable.
pub fn check_allowed_ips(text: &str) -> AllowedIpsReport {
    let analysis = analyze(text);
    AllowedIpsReport {
        entries: analysis
            .valid
            .iter()
            .map(|&(index, text, net)| AllowedIpEntry {
                index,
                text: text.to_owned(),
                network: net.to_string(),
            })
            .collect(),
        errors: analysis.errors,
        warnings: analysis.warnings,
    }
}

/// The report without the normalized text of every valid entry, for callers that only
/// need its problems and its size (form validation).
pub(crate) struct Analysis<'a> {
    /// Valid entries: index, text as typed (trimmed), network.
    pub valid: Vec<(usize, &'a str, IpNet)>,
    pub errors: Vec<AllowedIpEntryError>,
    pub warnings: Vec<AllowedIpEntryWarning>,
}

/// A network as a sortable key: family, prefix length, first address.
type NetKey = (bool, u8, u128);

// Inlined: returned through memory, the key's separate stores stalled the caller's
// whole-key load (measured on form validation's 20 entries).
#[inline(always)]
fn net_key(net: &IpNet) -> NetKey {
    match net {
        IpNet::V4(n) => (false, n.prefix_len(), u128::from(u32::from(n.network()))),
        IpNet::V6(n) => (true, n.prefix_len(), u128::from(n.network())),
    }
}

/// `key`'s network shortened to `prefix` bits.
fn supernet_key((v6, _, addr): NetKey, prefix: u8) -> NetKey {
    let bits: u32 = if v6 { 128 } else { 32 };
    let host = bits - u32::from(prefix);
    let mask = if host >= 128 { 0 } else { u128::MAX << host };
    let mask = if v6 {
        mask
    } else {
        mask & u128::from(u32::MAX)
    };
    (v6, prefix, addr & mask)
}

pub(crate) fn analyze(text: &str) -> Analysis<'_> {
    // At most one entry more than there are separators: sized once, the list is not
    // copied as it grows, and stays off the allocator's slow path for large blocks.
    let most = 1 + text
        .bytes()
        .filter(|b| matches!(b, b',' | b'\n' | b'\r'))
        .count();
    let mut valid: Vec<(usize, &str, IpNet)> = Vec::with_capacity(most);
    let mut errors = Vec::new();
    for (index, entry) in split_entries(text).enumerate() {
        match parse_entry(entry) {
            Ok(net) => valid.push((index, entry, net)),
            Err((code, message, suggestion)) => errors.push(AllowedIpEntryError {
                index,
                text: entry.to_owned(),
                code,
                message,
                suggestion,
            }),
        }
    }
    // Sorted by network, input order breaking ties, every repeat of a network follows the
    // entry it repeats. Deduplicated, the first entry (in input order) of every distinct
    // network and the prefix lengths in use per family then find the first entry
    // covering another in a few binary searches instead of a pass over all.
    let mut first: Vec<(NetKey, usize)> = valid
        .iter()
        .enumerate()
        .map(|(pos, (_, _, net))| (net_key(net), pos))
        .collect();
    first.sort_unstable();
    // For each valid entry, the position of the first one with the same network.
    let mut first_same = vec![0; valid.len()];
    for run in first.chunk_by(|a, b| a.0 == b.0) {
        for &(_, pos) in run {
            first_same[pos] = run[0].1;
        }
    }
    first.dedup_by_key(|(k, _)| *k);
    let mut prefixes: Vec<(bool, u8)> = first.iter().map(|((v6, p, _), _)| (*v6, *p)).collect();
    prefixes.dedup();
    let lookup = |key: &NetKey| {
        first
            .binary_search_by(|(k, _)| k.cmp(key))
            .ok()
            .map(|i| first[i].1)
    };
    let mut warnings = Vec::new();
    for (pos, &(index, entry, net)) in valid.iter().enumerate() {
        if net.prefix_len() == 0 {
            let family = if matches!(net, IpNet::V4(_)) {
                "IPv4"
            } else {
                "IPv6"
            };
            warnings.push(AllowedIpEntryWarning {
                index,
                text: entry.to_owned(),
                code: AllowedIpWarningCode::AllowsAll,
                message: format!("{net} allows every {family} address; the list no longer restricts {family} callers"),
                related_index: None,
            });
        }
        let earlier = first_same[pos];
        if earlier < pos {
            let other_index = valid[earlier].0;
            warnings.push(AllowedIpEntryWarning {
                index,
                text: entry.to_owned(),
                code: AllowedIpWarningCode::Duplicate,
                message: format!("{entry:?} is the same network as entry {other_index} ({net})"),
                related_index: Some(other_index),
            });
            continue;
        }
        // Another network contains this one exactly when it is shorter and equals this
        // one cut to its length.
        let key = net_key(&net);
        let covering = prefixes
            .iter()
            .filter(|(v6, p)| *v6 == key.0 && *p < key.1)
            .filter_map(|(_, p)| lookup(&supernet_key(key, *p)))
            .min();
        if let Some(other_pos) = covering {
            let (other_index, _, other) = valid[other_pos];
            warnings.push(AllowedIpEntryWarning {
                index,
                text: entry.to_owned(),
                code: AllowedIpWarningCode::Covered,
                message: format!(
                    "{entry:?} is already covered by entry {other_index} ({other}) and adds nothing"
                ),
                related_index: Some(other_index),
            });
        }
    }
    Analysis {
        valid,
        errors,
        warnings,
    }
}

/// A parsed, valid allow-list. Empty means "no restriction".
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AllowList {
    /// Normalized entries in the user's order, for display and round-tripping.
    entries: Vec<IpNet>,
    /// The same networks merged and sorted, as (network, mask) per family: a lookup is
    /// one AND and one comparison per network.
    v4: Box<[(u32, u32)]>,
    v6: Box<[(u128, u128)]>,
}

impl AllowList {
    /// Parses the field; fails with every bad entry if there is any.
    pub fn parse(text: &str) -> Result<AllowList, AllowedIpsError> {
        let analysis = analyze(text);
        if !analysis.errors.is_empty() {
            return Err(AllowedIpsError {
                errors: analysis.errors,
            });
        }
        let entries = analysis.valid.iter().map(|&(_, _, net)| net).collect();
        Ok(AllowList::from_networks(entries))
    }

    /// Parses a stored token's entries one by one, without the report's messages and
    /// warnings: the fast path for preparing many tokens. Fails on the first bad entry
    /// (its index counts non-empty entries, as in the report).
    pub fn from_entries<'a>(
        entries: impl IntoIterator<Item = &'a str>,
    ) -> Result<AllowList, AllowedIpsError> {
        let mut nets = Vec::new();
        for (index, text) in entries
            .into_iter()
            .map(trim)
            .filter(|s| !s.is_empty())
            .enumerate()
        {
            match parse_entry(text) {
                Ok(net) => nets.push(net),
                Err((code, message, suggestion)) => {
                    return Err(AllowedIpsError {
                        errors: vec![AllowedIpEntryError {
                            index,
                            text: text.to_owned(),
                            code,
                            message,
                            suggestion,
                        }],
                    })
                }
            }
        }
        Ok(AllowList::from_networks(nets))
    }

    pub fn from_networks(entries: Vec<IpNet>) -> AllowList {
        let (mut v4, mut v6) = (Vec::new(), Vec::new());
        for net in IpNet::aggregate(&entries) {
            match net {
                IpNet::V4(n) => v4.push((u32::from(n.network()), u32::from(n.netmask()))),
                IpNet::V6(n) => v6.push((u128::from(n.network()), u128::from(n.netmask()))),
            }
        }
        AllowList {
            entries,
            v4: v4.into(),
            v6: v6.into(),
        }
    }

    /// Normalized networks in input order (duplicates kept: nothing the user typed is dropped).
    pub fn networks(&self) -> &[IpNet] {
        &self.entries
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether a caller at `ip` may use the token. IPv4-mapped IPv6 addresses
    /// (`::ffff:198.51.100.7`, what dual-stack sockets report) are checked as the IPv4
    /// address they carry, so an IPv4 list works behind either kind of listener.
    #[inline]
    pub fn contains(&self, ip: IpAddr) -> bool {
        if self.entries.is_empty() {
            return true;
        }
        match ip.to_canonical() {
            IpAddr::V4(a) => {
                let a = u32::from(a);
                self.v4.iter().any(|&(net, mask)| a & mask == net)
            }
            IpAddr::V6(a) => {
                let a = u128::from(a);
                self.v6.iter().any(|&(net, mask)| a & mask == net)
            }
        }
    }

    /// Whether every address of `net` is allowed: what a list made from this one may
    /// hold. An empty list allows everything, so it covers every network.
    pub fn covers(&self, net: &IpNet) -> bool {
        if self.entries.is_empty() {
            return true;
        }
        // The merged networks are maximal, so a network inside their union lies inside
        // one of them.
        match net {
            IpNet::V4(n) => {
                let (addr, mask) = (u32::from(n.network()), u32::from(n.netmask()));
                self.v4
                    .iter()
                    .any(|&(net, m)| addr & m == net && mask & m == m)
            }
            IpNet::V6(n) => {
                let (addr, mask) = (u128::from(n.network()), u128::from(n.netmask()));
                self.v6
                    .iter()
                    .any(|&(net, m)| addr & m == net && mask & m == m)
            }
        }
    }

    /// Whether an entry is a `/0`: the list then restricts nothing for that family, so
    /// it does not meet a policy that requires an allow-list.
    pub fn allows_a_whole_family(&self) -> bool {
        self.entries.iter().any(|n| n.prefix_len() == 0)
    }

    pub fn contains_str(&self, ip: &str) -> Result<bool, InvalidIpAddress> {
        let addr = IpAddr::from_str(ip.trim()).map_err(|_| InvalidIpAddress {
            text: ip.to_owned(),
        })?;
        Ok(self.contains(addr))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_address_is_a_single_host() {
        let list = AllowList::parse("192.0.2.7, 2001:db8::1").unwrap();
        assert_eq!(
            list.networks()
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>(),
            ["192.0.2.7/32", "2001:db8::1/128"]
        );
        assert!(list.contains_str("192.0.2.7").unwrap());
        assert!(!list.contains_str("192.0.2.8").unwrap());
    }

    #[test]
    fn every_bad_entry_is_reported() {
        let err = AllowList::parse("10.0.0.1/8\nnope, 10.0.0.0/33").unwrap_err();
        let codes: Vec<_> = err.errors.iter().map(|e| (e.index, e.code)).collect();
        assert_eq!(
            codes,
            [
                (0, AllowedIpErrorCode::HostBitsSet),
                (1, AllowedIpErrorCode::InvalidCidr),
                (2, AllowedIpErrorCode::PrefixTooLong)
            ]
        );
        assert_eq!(err.errors[0].suggestion.as_deref(), Some("10.0.0.0/8"));
        assert!(err
            .to_string()
            .starts_with("allowed_ips: 3 invalid entries: [0]"));
    }

    /// The warnings as first written: every entry against every other.
    fn naive_warnings(text: &str) -> Vec<AllowedIpEntryWarning> {
        let nets: Vec<(usize, &str, IpNet)> = split_entries(text)
            .enumerate()
            .filter_map(|(i, e)| parse_entry(e).ok().map(|n| (i, e, n)))
            .collect();
        let mut out = Vec::new();
        for (pos, &(index, text, net)) in nets.iter().enumerate() {
            if net.prefix_len() == 0 {
                let family = if matches!(net, IpNet::V4(_)) {
                    "IPv4"
                } else {
                    "IPv6"
                };
                out.push(AllowedIpEntryWarning {
                    index,
                    text: text.to_owned(),
                    code: AllowedIpWarningCode::AllowsAll,
                    message: format!("{net} allows every {family} address; the list no longer restricts {family} callers"),
                    related_index: None,
                });
            }
            if let Some(&(other_index, _, _)) = nets[..pos].iter().find(|(_, _, o)| *o == net) {
                out.push(AllowedIpEntryWarning {
                    index,
                    text: text.to_owned(),
                    code: AllowedIpWarningCode::Duplicate,
                    message: format!("{text:?} is the same network as entry {other_index} ({net})"),
                    related_index: Some(other_index),
                });
                continue;
            }
            if let Some(&(other_index, _, other)) =
                nets.iter().find(|(_, _, o)| *o != net && o.contains(&net))
            {
                out.push(AllowedIpEntryWarning {
                    index,
                    text: text.to_owned(),
                    code: AllowedIpWarningCode::Covered,
                    message: format!("{text:?} is already covered by entry {other_index} ({other}) and adds nothing"),
                    related_index: Some(other_index),
                });
            }
        }
        out
    }

    #[test]
    fn warnings_match_the_pairwise_definition() {
        let pool = [
            "10.0.0.0/8",
            "10.1.0.0/16",
            "10.1.2.0/24",
            "10.1.2.3",
            "10.2.0.0/16",
            "0.0.0.0/0",
            "192.0.2.0/24",
            "192.0.2.128/25",
            "192.0.2.7/32",
            "::/0",
            "2001:db8::/32",
            "2001:db8:1::/48",
            "2001:db8::1",
            "::ffff:10.1.2.3",
            "::ffff:0:0/96",
            "10.1.0.0/15",
            "bad",
            "10.0.0.1/8",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..3000 {
            let n = (seed % 9) as usize;
            let mut list = Vec::new();
            for _ in 0..n {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                list.push(pool[(seed % pool.len() as u64) as usize]);
            }
            seed = seed.wrapping_add(1);
            let text = list.join(", ");
            assert_eq!(analyze(&text).warnings, naive_warnings(&text), "{text}");
        }
    }

    /// The dotted-quad path reads exactly what the standard parser reads: on every short
    /// string of digits and dots, and on every quad (and triple) of interesting parts.
    #[test]
    fn short_path_agrees_with_std() {
        let alphabet = b"01259.";
        for len in 0..=7u32 {
            for n in 0..alphabet.len().pow(len) {
                let mut rest = n;
                let t: String = (0..len)
                    .map(|_| {
                        let c = alphabet[rest % alphabet.len()];
                        rest /= alphabet.len();
                        char::from(c)
                    })
                    .collect();
                assert_eq!(parse_ip(&t), t.parse().ok(), "{t:?}");
            }
        }
        let parts = [
            "", "0", "00", "01", "7", "10", "99", "100", "199", "255", "256", "300", "999", "0255",
            "1000", "a", " 1",
        ];
        for a in parts {
            for b in parts {
                for c in parts {
                    let t = format!("{a}.{b}.{c}");
                    assert_eq!(parse_ip(&t), t.parse().ok(), "{t:?}");
                    for d in parts {
                        let t = format!("{a}.{b}.{c}.{d}");
                        assert_eq!(parse_ip(&t), t.parse().ok(), "{t:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn trim_is_str_trim() {
        for s in [
            "",
            " ",
            "a",
            " a ",
            "ab",
            "\u{a0}a",
            "a\u{2003}",
            "\u{85}",
            "é",
            " é",
            "a\tb",
            "\r\n",
        ] {
            assert_eq!(trim(s), s.trim(), "{s:?}");
        }
    }

    #[test]
    fn mapped_ipv6_source_matches_ipv4_entry() {
        let list = AllowList::parse("198.51.100.0/24").unwrap();
        assert!(list.contains_str("::ffff:198.51.100.9").unwrap());
    }

    #[test]
    fn invalid_address_for_contains_is_an_error() {
        let list = AllowList::default();
        assert!(list.contains_str("10.0.0.300").is_err());
        assert!(list.contains_str("10.0.0.3").unwrap());
    }
}
