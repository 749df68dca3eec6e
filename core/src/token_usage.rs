//! What a token's audited calls say about it, in one answer: the permissions it used
//! against those it holds ("uses 3 of 106"), the smallest set that covers its calls as
//! a diff against its grants (the one-click downscope), and the addresses it was used
//! from against its allow-list. The console computes it in the browser from the events
//! it fetched (`downscope` in js/usage.js); the CLI's `least-privilege --token` is the
//! same builder and diff.

use serde::{Deserialize, Serialize};

use crate::allowed_ips::AllowList;
use crate::catalog::Catalog;
use crate::least_privilege::{LeastPrivilege, LeastPrivilegeBuilder};
use crate::least_privilege_diff::{diff_against, PermissionDiff};
use crate::model::{Role, Token};

/// An address the token was used from, and whether its allow-list admits it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct SourceCheck {
    pub ip: String,
    /// `None` for text that is not an address.
    pub allowed: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct TokenUsage {
    /// The token's calls among the events (other tokens' events are skipped).
    pub calls: usize,
    /// Permissions its calls needed that it holds (all its calls needed, where what it
    /// holds is not known).
    pub used: usize,
    /// Permissions it holds, as far as they are known (an inheriting token's come from
    /// its owner's role: `None` when the role was not given).
    pub granted: Option<usize>,
    pub least_privilege: LeastPrivilege,
    pub diff: PermissionDiff,
    pub sources: Vec<SourceCheck>,
}

/// Reads `events` (the audit export's JSON lines; other tokens' lines are skipped), and
/// compares what `token` made with what it holds under `role`.
pub fn token_usage(
    catalog: &Catalog,
    events: &str,
    token: &Token,
    role: Option<Role>,
    sources: &[String],
) -> TokenUsage {
    let prefix = Some(token.prefix.as_str()).filter(|p| !p.is_empty());
    let mut b = LeastPrivilegeBuilder::new(catalog).only_token(prefix);
    for line in events.lines().filter(|l| !l.trim().is_empty()) {
        // A line that is not an event is counted by the builder as unmapped, not fatal.
        let _ = b.add_line(line);
    }
    let lp = b.finish(role);
    let projects: Vec<String> = b.projects().keys().cloned().collect();
    let diff = diff_against(catalog, &lp, &projects, token, role);
    // Used: what its calls needed and it holds (a call refused for lack of a permission
    // used none); held: those and the ones it never used.
    let used = match diff.grants_known {
        true => lp.needed.len() - diff.missing.len().min(lp.needed.len()),
        false => lp.needed.len(),
    };
    let granted = diff.grants_known.then(|| diff.unused.len() + used);
    let allow = AllowList::from_entries(token.allowed_ips.iter().map(String::as_str)).ok();
    let sources = sources
        .iter()
        .map(|ip| SourceCheck {
            ip: ip.clone(),
            allowed: ip.parse().ok().map(|addr| match &allow {
                Some(list) if !list.is_empty() => list.contains(addr),
                // No allow-list: every address may call.
                Some(_) => true,
                // A stored list that does not read admits nothing (the evaluator's rule).
                None => false,
            }),
        })
        .collect();
    TokenUsage {
        calls: b.calls(),
        used,
        granted,
        least_privilege: lp,
        diff,
        sources,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(permissions: &str, allowed_ips: &str) -> Token {
        serde_json::from_str(&format!(
            r#"{{"id":"tok_1","name":"deploy","prefix":"cd_aaaaaa","owner":{{"type":"user","id":"u"}},"organization":"acme","projects":["web"],"permissions":{permissions},"allowed_ips":{allowed_ips},"created_at":"2026-11-01T00:00:00Z","status":"active","kind":"personal"}}"#
        ))
        .expect("a test token")
    }

    const EVENTS: &str = r#"{"token_prefix":"cd_aaaaaa","method":"GET","path":"/v1/compute/servers","project":"web","status":200}
{"token_prefix":"cd_aaaaaa","method":"GET","path":"/v1/compute/servers","project":"web","status":200}
{"token_prefix":"cd_bbbbbb","method":"DELETE","path":"/v1/storage/buckets/b","project":"web","status":204}
"#;

    #[test]
    fn uses_some_of_what_it_holds_and_suggests_the_rest_away() {
        let t = token(r#"["compute.servers.*"]"#, r#"["10.0.0.0/8"]"#);
        let sources = [
            "10.1.2.3".to_owned(),
            "192.0.2.1".to_owned(),
            "nope".to_owned(),
        ];
        let u = token_usage(Catalog::builtin(), EVENTS, &t, None, &sources);
        assert_eq!(u.calls, 2);
        assert_eq!(u.used, 1);
        let granted = u.granted.expect("a downscoped token's grants are known");
        assert!(granted > 1, "compute.servers.* is more than one permission");
        assert_eq!(u.diff.suggested, ["compute.servers.list"]);
        assert!(u.diff.missing.is_empty());
        let allowed: Vec<Option<bool>> = u.sources.iter().map(|s| s.allowed).collect();
        assert_eq!(allowed, [Some(true), Some(false), None]);
    }

    #[test]
    fn no_allow_list_admits_every_address() {
        let t = token(r#"["compute.servers.list"]"#, "[]");
        let u = token_usage(Catalog::builtin(), "", &t, None, &["192.0.2.1".to_owned()]);
        assert_eq!((u.calls, u.used), (0, 0));
        assert_eq!(u.sources[0].allowed, Some(true));
    }
}
