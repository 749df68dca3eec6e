//! `clouddigit least-privilege`: from the calls a workload makes (an audit export, a
//! list of `METHOD /v1/path`), the smallest downscope that allows them all.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, PermSet};
use crate::model::Role;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct UnmappedCall {
    pub index: usize,
    pub call: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct LeastPrivilege {
    /// The downscope to give the token: exact names, and wildcards only where every
    /// permission they stand for is needed (so a wildcard never grants anything more).
    pub permissions: Vec<String>,
    /// Every permission needed, in catalog order.
    pub needed: Vec<String>,
    /// How many calls each needed permission covers.
    pub calls_per_permission: BTreeMap<String, usize>,
    /// Calls that are not API routes of the catalog.
    pub unmapped: Vec<UnmappedCall>,
    /// Needed permissions that `role` does not grant (a token of that role would be
    /// denied them whatever its downscope).
    pub beyond_role: Vec<String>,
    /// The smallest role that grants everything needed.
    pub minimum_role: Option<Role>,
}

/// `calls` are `"METHOD /v1/path"` strings (a query string is ignored).
pub fn least_privilege(catalog: &Catalog, calls: &[String], role: Option<Role>) -> LeastPrivilege {
    let mut needed = PermSet::EMPTY;
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut unmapped = Vec::new();
    for (index, call) in calls.iter().enumerate() {
        let resolved = call
            .trim()
            .split_once(char::is_whitespace)
            .and_then(|(m, p)| catalog.resolve_route(m, p.trim()));
        match resolved {
            Some(id) => {
                needed.insert(id);
                *counts.entry(catalog.name(id).to_owned()).or_default() += 1;
            }
            None => unmapped.push(UnmappedCall {
                index,
                call: call.clone(),
                message: format!(
                    "{call:?} is not a route of the catalog (version {}): expected \"METHOD /v1/...\"",
                    catalog.version()
                ),
            }),
        }
    }
    // Collapse whole services, then whole resources, into wildcards.
    let mut groups: BTreeMap<String, PermSet> = BTreeMap::new();
    for id in needed.iter() {
        let name = catalog.name(id);
        let mut parts = name.split('.');
        if let (Some(s), Some(r)) = (parts.next(), parts.next()) {
            groups.entry(format!("{s}.*")).or_default().insert(id);
            groups.entry(format!("{s}.{r}.*")).or_default().insert(id);
        }
    }
    let mut covered = PermSet::EMPTY;
    let mut permissions = Vec::new();
    for (pattern, got) in &groups {
        // Services sort before their resources (`compute.*` < `compute.images.*`).
        let Some(all) = catalog.expand(pattern) else {
            continue;
        };
        if all.len() > 1 && all.is_subset(got) && !all.is_subset(&covered) {
            permissions.push(pattern.clone());
            covered = covered.union(&all);
        }
    }
    for id in needed.iter() {
        if !covered.contains(id) {
            permissions.push(catalog.name(id).to_owned());
        }
    }
    permissions.sort();
    let minimum_role = Role::ALL
        .into_iter()
        .find(|r| needed.is_subset(catalog.role_grants(*r)));
    let beyond_role = match role {
        Some(r) => needed
            .difference(catalog.role_grants(r))
            .iter()
            .map(|id| catalog.name(id).to_owned())
            .collect(),
        None => Vec::new(),
    };
    LeastPrivilege {
        permissions,
        needed: needed
            .iter()
            .map(|id| catalog.name(id).to_owned())
            .collect(),
        calls_per_permission: counts,
        unmapped,
        beyond_role,
        minimum_role,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smallest_set_with_safe_wildcards() {
        let cat = Catalog::builtin();
        let calls: Vec<String> = [
            "GET /v1/compute/servers",
            "GET /v1/compute/servers/s-1",
            "get /v1/compute/servers?page=2",
            "GET /v1/compute/flavors",
            "GET /v1/compute/flavors/f-1",
            "POST /v1/compute/servers/s-1/start",
            "TELEPORT /v1/nowhere",
        ]
        .map(String::from)
        .to_vec();
        let lp = least_privilege(cat, &calls, Some(Role::ReadOnly));
        // flavors are only list/get, both needed: the wildcard adds nothing.
        assert_eq!(
            lp.permissions,
            vec![
                "compute.flavors.*",
                "compute.servers.get",
                "compute.servers.list",
                "compute.servers.start"
            ]
        );
        assert_eq!(lp.calls_per_permission["compute.servers.list"], 2);
        assert_eq!(lp.unmapped.len(), 1);
        assert_eq!(lp.unmapped[0].index, 6);
        assert_eq!(lp.beyond_role, vec!["compute.servers.start"]);
        assert_eq!(lp.minimum_role, Some(Role::Member));
        // Every wildcard expands only into needed permissions.
        for p in &lp.permissions {
            let set = cat.expand(p).unwrap();
            for id in set.iter() {
                assert!(lp.needed.contains(&cat.name(id).to_owned()), "{p}");
            }
        }
    }
}
