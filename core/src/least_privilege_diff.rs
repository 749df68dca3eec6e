//! `clouddigit least-privilege --against TOKEN`: what a token grants that its calls never
//! used (to remove) and what its calls needed that it does not grant (denied calls), in
//! the spirit of AWS IAM Access Analyzer's policy generation. A pure function of a
//! [`LeastPrivilege`] and the token as the API shows it, so the console can run it too.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, PermSet};
use crate::least_privilege::LeastPrivilege;
use crate::model::{ProjectScope, Role, Token, TokenPermissions};

/// A wildcard entry of the token that grants some used permissions and some unused ones:
/// replace it with `keep`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct NarrowEntry {
    pub entry: String,
    /// The permissions of `entry` the calls used.
    pub keep: Vec<String>,
    /// The permissions of `entry` no call used.
    pub unused: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct PermissionDiff {
    pub token_id: String,
    pub token_name: String,
    /// The token's prefix (never more of its secret).
    pub prefix: String,
    /// The token inherits its owner's role (`permissions: "inherit"`): what it grants is
    /// the role's, known here only when a role was given.
    pub inherits: bool,
    /// The owner's role the comparison used, if one was given.
    pub role: Option<Role>,
    /// Whether what the token grants is known (a downscoped token, or an inheriting
    /// one with a role); when not, `unused` is empty and `missing` cannot be told.
    pub grants_known: bool,
    /// Every permission the token grants that no call used, in catalog order.
    pub unused: Vec<String>,
    /// Entries of the token's list whose every permission is unused: delete them.
    pub remove: Vec<String>,
    /// Wildcard entries only partly used: replace each with its `keep`.
    pub narrow: Vec<NarrowEntry>,
    /// Permissions the calls needed that the token does not grant: those calls are denied.
    pub missing: Vec<String>,
    /// Needed permissions the owner's role does not grant (with a role): denied whatever
    /// the token's list says.
    pub beyond_role: Vec<String>,
    /// Entries of the token's list that name nothing in the catalog.
    pub unknown: Vec<String>,
    /// Projects in the token's scope that no call named (empty for an all-projects
    /// token, or when the calls named no project).
    pub unused_projects: Vec<String>,
    /// Projects the calls named that the token's scope does not include: denied.
    pub missing_projects: Vec<String>,
    /// The downscope the calls justify (the least-privilege answer).
    pub suggested: Vec<String>,
}

impl PermissionDiff {
    /// Whether the token is already exactly what its calls need (nothing to remove,
    /// nothing missing).
    pub fn is_exact(&self) -> bool {
        self.unused.is_empty()
            && self.missing.is_empty()
            && self.beyond_role.is_empty()
            && self.unknown.is_empty()
            && self.unused_projects.is_empty()
            && self.missing_projects.is_empty()
            && (self.grants_known || self.suggested.is_empty())
    }
}

/// Compares `token`'s current permissions and projects with what the calls behind
/// `lp` needed. `used_projects`: the projects the calls named (from the audit events;
/// empty when they named none, and then projects are not compared). `role`: the
/// owner's role, which an inheriting token's grants are and which bounds any token.
pub fn diff_against(
    catalog: &Catalog,
    lp: &LeastPrivilege,
    used_projects: &[String],
    token: &Token,
    role: Option<Role>,
) -> PermissionDiff {
    let mut needed = PermSet::EMPTY;
    for name in &lp.needed {
        if let Some(id) = catalog.get(name) {
            needed.insert(id);
        }
    }
    let names =
        |s: &PermSet| -> Vec<String> { s.iter().map(|id| catalog.name(id).to_owned()).collect() };
    let role_grants = role.map(|r| *catalog.role_grants(r));
    let mut remove = Vec::new();
    let mut narrow = Vec::new();
    let mut unknown = Vec::new();
    let (inherits, granted) = match &token.permissions {
        TokenPermissions::Inherit(_) => (true, role_grants),
        TokenPermissions::Downscoped(list) => {
            let mut granted = PermSet::EMPTY;
            for entry in list {
                let Some(set) = catalog.expand(entry) else {
                    unknown.push(entry.clone());
                    continue;
                };
                granted = granted.union(&set);
                let used = set.intersect(&needed);
                if used.is_empty() {
                    remove.push(entry.clone());
                } else if used != set {
                    narrow.push(NarrowEntry {
                        entry: entry.clone(),
                        keep: names(&used),
                        unused: names(&set.difference(&used)),
                    });
                }
            }
            // A permission is granted only as far as the owner's role reaches.
            (false, Some(granted))
        }
    };
    let (unused, missing) = match granted {
        Some(g) => (names(&g.difference(&needed)), names(&needed.difference(&g))),
        None => (Vec::new(), Vec::new()),
    };
    let beyond_role = match role_grants {
        Some(r) => names(&needed.difference(&r)),
        None => Vec::new(),
    };
    let (unused_projects, missing_projects) = match (&token.projects, used_projects.is_empty()) {
        (_, true) => (Vec::new(), Vec::new()),
        (ProjectScope::All(_), false) => (Vec::new(), Vec::new()),
        (ProjectScope::Projects(scope), false) => {
            let used: BTreeMap<&str, ()> = used_projects.iter().map(|p| (p.as_str(), ())).collect();
            let mut unused: Vec<String> = scope
                .iter()
                .filter(|p| !used.contains_key(p.as_str()))
                .cloned()
                .collect();
            unused.sort();
            unused.dedup();
            let missing = used
                .keys()
                .filter(|p| !scope.iter().any(|s| s == *p))
                .map(|p| (*p).to_owned())
                .collect();
            (unused, missing)
        }
    };
    PermissionDiff {
        token_id: token.id.clone(),
        token_name: token.name.clone(),
        prefix: token.prefix.clone(),
        inherits,
        role,
        grants_known: granted.is_some(),
        unused,
        remove,
        narrow,
        missing,
        beyond_role,
        unknown,
        unused_projects,
        missing_projects,
        suggested: lp.permissions.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::least_privilege::least_privilege;

    fn token(permissions: &str, projects: &str) -> Token {
        serde_json::from_str(&format!(
            r#"{{"id":"tok_1","name":"deploy","prefix":"cd_aaaaaa","owner":{{"type":"user","id":"u"}},"organization":"acme","projects":{projects},"permissions":{permissions},"created_at":"2026-11-01T00:00:00Z","status":"active","kind":"personal"}}"#
        ))
        .unwrap()
    }

    fn calls(list: &[&str]) -> LeastPrivilege {
        let calls: Vec<String> = list.iter().map(|s| (*s).to_owned()).collect();
        least_privilege(Catalog::builtin(), &calls, None)
    }

    #[test]
    fn downscoped_token_remove_narrow_and_missing() {
        let cat = Catalog::builtin();
        let lp = calls(&[
            "GET /v1/compute/servers",
            "GET /v1/compute/servers/s-1",
            "POST /v1/compute/servers/s-1/start",
        ]);
        let t = token(
            r#"["compute.servers.list","compute.servers.get","storage.buckets.*","compute.flavors.list"]"#,
            r#"["web","data"]"#,
        );
        let d = diff_against(
            cat,
            &lp,
            &["web".into(), "shop".into()],
            &t,
            Some(Role::ReadOnly),
        );
        assert!(d.grants_known && !d.inherits);
        assert_eq!(d.missing, ["compute.servers.start"]);
        assert_eq!(d.beyond_role, ["compute.servers.start"]);
        assert_eq!(d.remove, ["storage.buckets.*", "compute.flavors.list"]);
        assert!(d.narrow.is_empty());
        assert!(d.unused.contains(&"compute.flavors.list".to_owned()));
        assert!(d.unused.iter().any(|p| p.starts_with("storage.buckets.")));
        assert!(!d.unused.iter().any(|p| p.starts_with("compute.servers.")));
        assert_eq!(d.unused_projects, ["data"]);
        assert_eq!(d.missing_projects, ["shop"]);
        assert!(!d.is_exact());

        let t = token(r#"["compute.servers.*","nope.*"]"#, r#""all""#);
        let d = diff_against(cat, &lp, &[], &t, None);
        assert_eq!(d.unknown, ["nope.*"]);
        assert_eq!(d.narrow.len(), 1);
        assert_eq!(d.narrow[0].entry, "compute.servers.*");
        assert_eq!(
            d.narrow[0].keep,
            [
                "compute.servers.list",
                "compute.servers.get",
                "compute.servers.start"
            ]
        );
        assert!(d.missing.is_empty() && d.unused_projects.is_empty());

        let t = token(
            &serde_json::to_string(&lp.permissions).unwrap(),
            r#"["web"]"#,
        );
        let d = diff_against(cat, &lp, &["web".into()], &t, Some(Role::Member));
        assert!(d.is_exact(), "{d:?}");
    }

    #[test]
    fn inheriting_token_needs_a_role_to_compare() {
        let cat = Catalog::builtin();
        let lp = calls(&["GET /v1/compute/servers"]);
        let t = token(r#""inherit""#, r#"["web"]"#);
        let d = diff_against(cat, &lp, &[], &t, None);
        assert!(d.inherits && !d.grants_known);
        assert!(d.unused.is_empty() && d.missing.is_empty());
        assert_eq!(d.suggested, ["compute.servers.list"]);
        assert!(!d.is_exact());
        let d = diff_against(cat, &lp, &[], &t, Some(Role::ReadOnly));
        assert!(d.grants_known);
        assert!(d.unused.len() > 10 && !d.unused.contains(&"compute.servers.list".to_owned()));
        assert!(d.missing.is_empty() && d.remove.is_empty());
    }
}
