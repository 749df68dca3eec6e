//! `clouddigit least-privilege`: from the calls a workload makes (an audit export, a
//! list of `METHOD /v1/path`), the smallest downscope that allows them all.
//!
//! [`LeastPrivilegeBuilder`] takes the calls one at a time, so an audit export of any
//! size is read in constant memory: each distinct `(method, path)` is resolved against
//! the catalog once (a bounded cache), per-permission counts are an array, and only the
//! first [`LeastPrivilegeBuilder::with_unmapped_limit`] unmapped calls are kept as
//! examples. [`least_privilege`] is the same builder over a slice.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::catalog::{Catalog, PermSet};
use crate::catalog::{PermissionId, MAX_PERMISSIONS};
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
    /// Calls that are not API routes of the catalog (the first ones, when a stream set a
    /// limit: `unmapped_total` counts them all).
    pub unmapped: Vec<UnmappedCall>,
    /// How many calls were not API routes of the catalog.
    #[serde(default)]
    pub unmapped_total: usize,
    /// Needed permissions that `role` does not grant (a token of that role would be
    /// denied them whatever its downscope).
    pub beyond_role: Vec<String>,
    /// The smallest role that grants everything needed.
    pub minimum_role: Option<Role>,
}

/// `calls` are `"METHOD /v1/path"` strings (a query string is ignored).
pub fn least_privilege(catalog: &Catalog, calls: &[String], role: Option<Role>) -> LeastPrivilege {
    let mut b = LeastPrivilegeBuilder::new(catalog);
    for call in calls {
        b.add_call(call);
    }
    b.finish(role)
}

/// Distinct `(method, path)` pairs the builder remembers; past this the cache starts
/// over, so memory stays bounded however many resource ids an export names.
pub const ROUTE_CACHE_ENTRIES: usize = 1 << 16;

/// A route segment the catalog reads as a parameter (`{id}`); any other is literal.
fn is_param(segment: &str) -> bool {
    segment.len() > 2 && segment.starts_with('{') && segment.ends_with('}')
}

/// What one line of calls was ([`LeastPrivilegeBuilder::add_line`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// Blank or a `#` comment: not a call.
    Skipped,
    /// A call, counted.
    Call,
    /// An audit event of another token than the one asked for: not counted.
    OtherToken,
}

/// The fields of an audit event (`GET /v1/audit/events?format=jsonl`) that the analyses
/// read, borrowed from the line where no escape forces a copy; every other field is
/// skipped unread.
#[derive(Debug, Default, Deserialize)]
pub struct AuditCall<'a> {
    #[serde(borrow, default)]
    pub method: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub path: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub token_prefix: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub project: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub source_ip: Option<Cow<'a, str>>,
    /// Not in the sandbox's export; read when a gateway's log carries it.
    #[serde(borrow, default)]
    pub user_agent: Option<Cow<'a, str>>,
}

impl<'a> AuditCall<'a> {
    /// One JSON line; the error is serde's (line 1, the column in this line).
    pub fn parse(line: &'a str) -> Result<AuditCall<'a>, serde_json::Error> {
        serde_json::from_str(line)
    }
}

/// Accumulates calls one at a time into a [`LeastPrivilege`]: the same answer as
/// [`least_privilege`] over the same calls, in memory bounded by the catalog.
#[derive(Debug, Clone)]
pub struct LeastPrivilegeBuilder<'c> {
    catalog: &'c Catalog,
    needed: PermSet,
    counts: Vec<usize>,
    unmapped: Vec<UnmappedCall>,
    unmapped_total: usize,
    unmapped_limit: usize,
    calls: usize,
    /// `METHOD path` (without the query, and with every segment that is no literal of
    /// any route written `*`) to what it resolved to.
    cache: HashMap<Box<str>, Option<PermissionId>, rustc_hash::FxBuildHasher>,
    /// Every literal segment of the catalog's routes (`v1`, `compute`, `servers`, ...).
    literals: HashSet<&'c str, rustc_hash::FxBuildHasher>,
    cache_limit: usize,
    key: String,
    /// Only events of this token prefix count (other tokens' are [`LineKind::OtherToken`]).
    token_prefix: Option<String>,
    other_token: usize,
    projects: BTreeMap<String, usize>,
}

impl<'c> LeastPrivilegeBuilder<'c> {
    pub fn new(catalog: &'c Catalog) -> Self {
        LeastPrivilegeBuilder {
            catalog,
            needed: PermSet::EMPTY,
            counts: vec![0; MAX_PERMISSIONS],
            unmapped: Vec::new(),
            unmapped_total: 0,
            unmapped_limit: usize::MAX,
            calls: 0,
            cache: HashMap::default(),
            literals: catalog
                .permissions()
                .iter()
                .flat_map(|p| p.routes.iter())
                .flat_map(|r| r.path.split('/'))
                // As the catalog reads a route: `{name}` is a parameter, the rest literal.
                .filter(|s| !s.is_empty() && !is_param(s))
                .collect(),
            cache_limit: ROUTE_CACHE_ENTRIES,
            key: String::new(),
            token_prefix: None,
            other_token: 0,
            projects: BTreeMap::new(),
        }
    }

    /// Keeps only the first `limit` unmapped calls as examples (all are counted).
    pub fn with_unmapped_limit(mut self, limit: usize) -> Self {
        self.unmapped_limit = limit;
        self
    }

    /// Remembers at most `entries` distinct `(method, path)` pairs (default
    /// [`ROUTE_CACHE_ENTRIES`]); the answer is the same, only the speed differs.
    pub fn with_route_cache(mut self, entries: usize) -> Self {
        self.cache_limit = entries;
        self
    }

    /// Counts only audit events whose `token_prefix` is `prefix` (events without one, and
    /// plain `METHOD /path` lines, still count).
    pub fn only_token(mut self, prefix: Option<&str>) -> Self {
        self.token_prefix = prefix.map(str::to_owned);
        self
    }

    /// A builder with the same settings and nothing counted, to take a later part of
    /// the calls (on another thread) and be [`absorb`](Self::absorb)ed afterwards.
    pub fn fork(&self) -> Self {
        let mut b = LeastPrivilegeBuilder::new(self.catalog)
            .with_unmapped_limit(self.unmapped_limit)
            .with_route_cache(self.cache_limit)
            .only_token(self.token_prefix.as_deref());
        b.literals = self.literals.clone();
        b
    }

    /// Adds what `later` counted, as if its calls had come after this builder's, and
    /// empties it (its route cache stays warm for the next part).
    pub fn absorb(&mut self, later: &mut Self) {
        let offset = self.calls;
        self.needed = self.needed.union(&later.needed);
        for (mine, theirs) in self.counts.iter_mut().zip(later.counts.iter_mut()) {
            *mine += std::mem::take(theirs);
        }
        for mut u in later.unmapped.drain(..) {
            if self.unmapped.len() >= self.unmapped_limit {
                break;
            }
            u.index += offset;
            self.unmapped.push(u);
        }
        self.unmapped_total += std::mem::take(&mut later.unmapped_total);
        self.calls += std::mem::take(&mut later.calls);
        self.other_token += std::mem::take(&mut later.other_token);
        for (p, n) in std::mem::take(&mut later.projects) {
            *self.projects.entry(p).or_default() += n;
        }
        later.needed = PermSet::EMPTY;
    }

    /// Calls counted so far.
    pub fn calls(&self) -> usize {
        self.calls
    }

    /// Audit events skipped because they were another token's.
    pub fn other_token_events(&self) -> usize {
        self.other_token
    }

    /// The projects the counted audit events named, with how many calls each (distinct
    /// projects are few: an organization's).
    pub fn projects(&self) -> &BTreeMap<String, usize> {
        &self.projects
    }

    /// The permissions needed so far.
    pub fn needed(&self) -> &PermSet {
        &self.needed
    }

    /// A `"METHOD /v1/path"` call (a query string is ignored).
    pub fn add_call(&mut self, call: &str) {
        let resolved = call
            .trim()
            .split_once(char::is_whitespace)
            .and_then(|(m, p)| self.resolve(m, p.trim()));
        self.count(resolved, || Cow::Borrowed(call));
    }

    /// An audit event's method and path.
    pub fn add(&mut self, method: &str, path: &str) {
        let resolved = self.resolve(method, path.trim());
        self.count(resolved, || Cow::Owned(format!("{method} {path}")));
    }

    /// One line of an export: blank and `#` lines are skipped, a `{` line is an audit
    /// event (it must have `method` and `path`), anything else is `METHOD /v1/path`. The
    /// error says what is wrong with the line, without its place.
    pub fn add_line(&mut self, line: &str) -> Result<LineKind, String> {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            return Ok(LineKind::Skipped);
        }
        if !l.starts_with('{') {
            self.add_call(l);
            return Ok(LineKind::Call);
        }
        let e = AuditCall::parse(l).map_err(|e| e.to_string())?;
        let (Some(m), Some(p)) = (&e.method, &e.path) else {
            return Err("an audit event needs \"method\" and \"path\"".to_owned());
        };
        if let (Some(want), Some(got)) = (&self.token_prefix, &e.token_prefix) {
            if want != got {
                self.other_token += 1;
                return Ok(LineKind::OtherToken);
            }
        }
        self.add(m, p);
        if let Some(project) = &e.project {
            match self.projects.get_mut(project.as_ref()) {
                Some(n) => *n += 1,
                None => {
                    self.projects.insert(project.clone().into_owned(), 1);
                }
            }
        }
        Ok(LineKind::Call)
    }

    fn resolve(&mut self, method: &str, path: &str) -> Option<PermissionId> {
        let path = path.split(['?', '#']).next().unwrap_or("");
        // A segment that no route names literally can only match a parameter: written
        // `*` it resolves the same, and the key stands for every resource id at once.
        self.key.clear();
        self.key.push_str(method);
        self.key.push(' ');
        for seg in path.split('/').filter(|s| !s.is_empty()) {
            self.key.push('/');
            if self.literals.contains(seg) {
                self.key.push_str(seg);
            } else {
                self.key.push('*');
            }
        }
        if let Some(hit) = self.cache.get(self.key.as_str()) {
            return *hit;
        }
        let resolved = self.catalog.resolve_route(method, path);
        if self.cache.len() >= self.cache_limit {
            self.cache.clear();
        }
        if self.cache_limit > 0 {
            self.cache.insert(self.key.as_str().into(), resolved);
        }
        resolved
    }

    fn count<'s>(&mut self, resolved: Option<PermissionId>, call: impl FnOnce() -> Cow<'s, str>) {
        let index = self.calls;
        self.calls += 1;
        match resolved {
            Some(id) => {
                self.needed.insert(id);
                self.counts[id.index()] += 1;
            }
            None => {
                self.unmapped_total += 1;
                if self.unmapped.len() < self.unmapped_limit {
                    let call = call().into_owned();
                    self.unmapped.push(UnmappedCall {
                        index,
                        message: format!(
                            "{call:?} is not a route of the catalog (version {}): expected \"METHOD /v1/...\"",
                            self.catalog.version()
                        ),
                        call,
                    });
                }
            }
        }
    }

    /// The smallest downscope for every call so far (`role`: the owner's role, for
    /// `beyond_role`).
    pub fn finish(&self, role: Option<Role>) -> LeastPrivilege {
        let catalog = self.catalog;
        let needed = self.needed;
        let (permissions, minimum_role, beyond_role) = collapse(catalog, &needed, role);
        LeastPrivilege {
            permissions,
            needed: needed
                .iter()
                .map(|id| catalog.name(id).to_owned())
                .collect(),
            calls_per_permission: needed
                .iter()
                .map(|id| (catalog.name(id).to_owned(), self.counts[id.index()]))
                .collect(),
            unmapped: self.unmapped.clone(),
            unmapped_total: self.unmapped_total,
            beyond_role,
            minimum_role,
        }
    }
}

/// The permission list for what was needed: whole services, then whole resources,
/// collapsed into wildcards where every permission under them was used; the smallest
/// role that grants it all; what `role` would not grant.
fn collapse(
    catalog: &Catalog,
    needed: &PermSet,
    role: Option<Role>,
) -> (Vec<String>, Option<Role>, Vec<String>) {
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
    (permissions, minimum_role, beyond_role)
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

    /// The batch function as it was before the builder: the oracle the builder must
    /// agree with.
    fn reference(catalog: &Catalog, calls: &[String], role: Option<Role>) -> LeastPrivilege {
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
        // The wildcard step is the builder's own (it did not change with streaming).
        let (permissions, minimum_role, beyond_role) = collapse(catalog, &needed, role);
        let unmapped_total = unmapped.len();
        LeastPrivilege {
            permissions,
            needed: needed
                .iter()
                .map(|id| catalog.name(id).to_owned())
                .collect(),
            calls_per_permission: counts,
            unmapped,
            unmapped_total,
            beyond_role,
            minimum_role,
        }
    }

    use proptest::prelude::*;

    /// A call: a catalog route with its parameters filled in, a query, odd case or
    /// spacing, or something that is no route at all.
    fn call() -> impl Strategy<Value = (String, String)> {
        let routes: Vec<(String, String)> = Catalog::builtin()
            .permissions()
            .iter()
            .flat_map(|p| p.routes.iter().map(|r| (r.method.clone(), r.path.clone())))
            .collect();
        let route = (
            proptest::sample::select(routes),
            0u8..4,
            0u8..3,
            any::<bool>(),
        )
            .prop_map(|((m, p), id, query, lower)| {
                let path = p.replace("{id}", &format!("r-{id}"));
                let path = match query {
                    0 => path,
                    1 => format!("{path}?page=2"),
                    _ => format!("{path}/"),
                };
                let m = if lower { m.to_ascii_lowercase() } else { m };
                (m, path)
            });
        prop_oneof![
            8 => route,
            1 => ("[A-Z]{0,7}", "/v1/[a-z/]{0,20}"),
            1 => ("GET|POST|TELEPORT", "[ -~]{0,12}"),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn builder_equals_the_batch_function(
            calls in proptest::collection::vec(call(), 0..60),
            role in proptest::option::of(proptest::sample::select(Role::ALL.to_vec())),
            cache in 0usize..4,
        ) {
            let cat = Catalog::builtin();
            let lines: Vec<String> = calls.iter().map(|(m, p)| format!("{m} {p}")).collect();
            let want = reference(cat, &lines, role);
            prop_assert_eq!(&least_privilege(cat, &lines, role), &want);
            // A tiny cache starts over often: the answer must not change.
            let mut b = LeastPrivilegeBuilder::new(cat).with_route_cache(cache);
            for l in &lines {
                b.add_call(l);
            }
            prop_assert_eq!(&b.finish(role), &want);
            // In parts, each on a fork, absorbed in order (what the command does on
            // several threads); a fork is reused after it is absorbed.
            let mut main = LeastPrivilegeBuilder::new(cat).with_unmapped_limit(3);
            let mut fork = main.fork();
            for (i, part) in lines.chunks(cache + 1).enumerate() {
                let target = if i % 2 == 0 { &mut main } else { &mut fork };
                for l in part {
                    target.add_call(l);
                }
                if i % 2 == 1 {
                    main.absorb(&mut fork);
                }
            }
            main.absorb(&mut fork);
            let got = main.finish(role);
            prop_assert_eq!(&got.permissions, &want.permissions);
            prop_assert_eq!(&got.calls_per_permission, &want.calls_per_permission);
            prop_assert_eq!(got.unmapped_total, want.unmapped_total);
            prop_assert_eq!(&got.unmapped[..], &want.unmapped[..want.unmapped.len().min(3)]);
            prop_assert_eq!(main.calls(), lines.len());
            // The same calls as audit events, one JSON line each.
            let mut b = LeastPrivilegeBuilder::new(cat).with_unmapped_limit(2);
            for (m, p) in &calls {
                let line = serde_json::json!({"id": "ev_1", "method": m, "path": p, "status": 200}).to_string();
                let kind = b.add_line(&line);
                prop_assert_eq!(kind, Ok(LineKind::Call));
            }
            let got = b.finish(role);
            let events: Vec<String> = calls
                .iter()
                .filter(|(m, _)| !m.is_empty() && !m.contains(char::is_whitespace))
                .map(|(m, p)| format!("{m} {p}"))
                .collect();
            if events.len() == calls.len() {
                let want = reference(cat, &events, role);
                prop_assert_eq!(&got.permissions, &want.permissions);
                prop_assert_eq!(&got.calls_per_permission, &want.calls_per_permission);
                prop_assert_eq!(got.unmapped_total, want.unmapped_total);
                prop_assert_eq!(&got.unmapped[..], &want.unmapped[..want.unmapped.len().min(2)]);
            }
        }
    }

    #[test]
    fn lines_events_and_other_tokens() {
        let cat = Catalog::builtin();
        let mut b = LeastPrivilegeBuilder::new(cat).only_token(Some("cd_aaaaaa"));
        let lines = [
            "",
            "# a comment",
            "GET /v1/compute/servers",
            r#"{"method":"GET","path":"/v1/compute/servers/s-1","token_prefix":"cd_aaaaaa","project":"web"}"#,
            r#"{"method":"DELETE","path":"/v1/compute/servers/s-1","token_prefix":"cd_bbbbbb","project":"web"}"#,
            r#"{"method":"GET","path":"/v1/compute\/servers","project":"data"}"#,
        ];
        let kinds: Vec<LineKind> = lines.iter().map(|l| b.add_line(l).unwrap()).collect();
        assert_eq!(
            kinds,
            [
                LineKind::Skipped,
                LineKind::Skipped,
                LineKind::Call,
                LineKind::Call,
                LineKind::OtherToken,
                LineKind::Call
            ]
        );
        assert_eq!((b.calls(), b.other_token_events()), (3, 1));
        assert_eq!(
            b.projects()
                .iter()
                .map(|(p, n)| (p.as_str(), *n))
                .collect::<Vec<_>>(),
            [("data", 1), ("web", 1)]
        );
        let lp = b.finish(None);
        assert_eq!(
            lp.permissions,
            ["compute.servers.get", "compute.servers.list"]
        );
        assert_eq!(lp.calls_per_permission["compute.servers.list"], 2);
        assert!(b
            .add_line(r#"{"method":"GET"}"#)
            .unwrap_err()
            .contains("\"path\""));
        assert!(b.add_line("{nope").is_err());
    }
}
