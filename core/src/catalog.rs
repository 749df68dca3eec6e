//! The permission catalog and role table, from one versioned data file
//! (`core/catalog/catalog.json`, embedded at build time).
//!
//! Keeping permissions as data rather than code means the console's picker, the CLI's
//! `catalog` listing, the route mapper and the evaluator cannot disagree about what a
//! permission is or which role grants it. The catalog compiles into dense ids and
//! bitsets so a prepared token decides in constant time however many permissions it holds.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::Role;

/// The catalog shipped with this build.
pub const BUILTIN_CATALOG_JSON: &str = include_str!("../catalog/catalog.json");

/// Most permissions a catalog may hold: the size of [`PermSet`].
pub const MAX_PERMISSIONS: usize = 256;

/// The longest text [`Catalog::suggest`] looks at, in bytes (the longest permission name
/// is about 45).
pub const MAX_SUGGESTION_INPUT: usize = 64;

/// Index of a permission in its catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PermissionId(pub(crate) u16);

impl PermissionId {
    #[inline(always)]
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// A set of permissions of one catalog, as a fixed bitset: membership, union and
/// intersection cost the same for one permission or all of them.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PermSet([u64; MAX_PERMISSIONS / 64]);

impl PermSet {
    pub const EMPTY: PermSet = PermSet([0; MAX_PERMISSIONS / 64]);

    #[inline(always)]
    pub fn contains(&self, id: PermissionId) -> bool {
        let i = id.index();
        self.0[i / 64] & (1u64 << (i % 64)) != 0
    }

    /// The set of one permission, built in registers (see `zip_words`).
    #[inline]
    pub fn single(id: PermissionId) -> PermSet {
        let i = id.index();
        let word = |w: usize| if i / 64 == w { 1u64 << (i % 64) } else { 0 };
        PermSet([word(0), word(1), word(2), word(3)])
    }

    #[inline]
    pub fn insert(&mut self, id: PermissionId) {
        let i = id.index();
        self.0[i / 64] |= 1u64 << (i % 64);
    }

    #[inline]
    pub fn intersect(&self, other: &PermSet) -> PermSet {
        self.zip_words(other, |a, b| a & b)
    }

    #[inline]
    pub fn union(&self, other: &PermSet) -> PermSet {
        self.zip_words(other, |a, b| a | b)
    }

    #[inline]
    pub fn difference(&self, other: &PermSet) -> PermSet {
        self.zip_words(other, |a, b| a & !b)
    }

    /// Each word of the result from the same word of both sets, written out rather than
    /// looped: at `opt-level = "s"` (and "z", the npm build) a loop over a copy stays a
    /// loop that stores word by word and then reloads the set whole, a store-forwarding
    /// stall on every set operation. Should the set change size, this stops compiling.
    #[inline(always)]
    fn zip_words(&self, other: &PermSet, f: impl Fn(u64, u64) -> u64) -> PermSet {
        let ([a0, a1, a2, a3], [b0, b1, b2, b3]) = (self.0, other.0);
        PermSet([f(a0, b0), f(a1, b1), f(a2, b2), f(a3, b3)])
    }

    pub fn is_subset(&self, other: &PermSet) -> bool {
        self.difference(other).is_empty()
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }

    pub fn len(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// The members in id order.
    pub fn iter(&self) -> impl Iterator<Item = PermissionId> + '_ {
        self.0.iter().enumerate().flat_map(|(w, &word)| {
            let mut bits = word;
            std::iter::from_fn(move || {
                (bits != 0).then(|| {
                    let i = bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    PermissionId((w * 64 + i) as u16)
                })
            })
        })
    }
}

impl fmt::Debug for PermSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter().map(|p| p.0)).finish()
    }
}

/// Project-level permissions act inside one project; organization-level ones act on
/// the organization itself and need a token scoped to all projects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub enum PermissionScope {
    Project,
    Organization,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct Route {
    pub method: String,
    /// Template under `/v1`; `{name}` matches one path segment.
    pub path: String,
}

/// One permission as the data file describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct PermissionDef {
    /// `service.resource.verb`.
    pub name: String,
    /// The least role that grants it.
    pub role: Role,
    pub scope: PermissionScope,
    pub read_only: bool,
    /// Needs MFA step-up, which no token can provide: always denied to tokens.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub step_up: bool,
    /// Makes, changes or ends credentials, or the roles behind them: a token in its
    /// rotation grace window may not use it (so rotating after a leak contains it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub credential: bool,
    pub routes: Vec<Route>,
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct RoleDef {
    pub name: Role,
    pub level: PermissionScope,
    pub inherits: Option<Role>,
    pub summary: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "tsify", derive(tsify::Tsify))]
#[cfg_attr(feature = "tsify", tsify(missing_as_null, hashmap_as_object))]
pub struct CatalogFile {
    #[serde(rename = "$comment", default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "tsify", tsify(optional))]
    pub comment: Option<String>,
    pub version: String,
    pub roles: Vec<RoleDef>,
    pub permissions: Vec<PermissionDef>,
}

/// The data file is wrong; names the entry and the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    #[error("catalog: not valid JSON for the catalog format: {0}")]
    Json(String),
    #[error("catalog: roles must be exactly read_only, member, admin, org_admin, org_owner, each inheriting the one before")]
    RoleChain,
    #[error("catalog: permissions[{index}] {name:?}: {reason}")]
    Permission {
        index: usize,
        name: String,
        reason: String,
    },
    #[error("catalog: more than {MAX_PERMISSIONS} permissions")]
    TooMany,
}

#[derive(Debug, Clone)]
enum Segment {
    Literal(Box<str>),
    Param,
}

#[derive(Debug, Clone)]
struct CompiledRoute {
    method: Box<str>,
    segments: Vec<Segment>,
    permission: PermissionId,
}

/// A loaded, checked catalog.
#[derive(Debug, Clone)]
pub struct Catalog {
    version: String,
    roles: Vec<RoleDef>,
    permissions: Vec<PermissionDef>,
    /// Not SipHash: keys are the catalog's own names (no attacker chooses them) and
    /// this lookup is on every decision's hot path. FxHash reads a name 8 or 16 bytes at
    /// a time; byte-at-a-time FNV-1a, used before, was a quarter of form validation's time.
    by_name: HashMap<String, PermissionId, rustc_hash::FxBuildHasher>,
    /// Indexed by `Role as usize`.
    role_grants: [PermSet; Role::ALL.len()],
    /// Every permission; kept rather than rebuilt, as previews ask for it per call.
    all: PermSet,
    organization_level: PermSet,
    step_up: PermSet,
    credential: PermSet,
    read_only: PermSet,
    routes: Vec<CompiledRoute>,
}

fn is_name_part(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn compile_path(path: &str) -> Option<Vec<Segment>> {
    let rest = path
        .strip_prefix("/v1/")
        .or_else(|| if path == "/v1" { Some("") } else { None })?;
    let mut out = vec![Segment::Literal("v1".into())];
    for seg in rest.split('/').filter(|s| !s.is_empty()) {
        if seg.starts_with('{') && seg.ends_with('}') && seg.len() > 2 {
            out.push(Segment::Param);
        } else if seg.contains(['{', '}']) {
            return None;
        } else {
            out.push(Segment::Literal(seg.into()));
        }
    }
    Some(out)
}

impl Catalog {
    /// The catalog compiled into this build. Should the embedded file ever fail to load
    /// (a test guards against it), the result is an empty catalog, which denies every
    /// action as unknown: failing closed, never panicking.
    pub fn builtin() -> &'static Catalog {
        static BUILTIN: OnceLock<Catalog> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            Catalog::from_json(BUILTIN_CATALOG_JSON).unwrap_or_else(|_| Catalog::empty())
        })
    }

    fn empty() -> Catalog {
        Catalog {
            version: "empty".into(),
            roles: Vec::new(),
            permissions: Vec::new(),
            by_name: HashMap::default(),
            role_grants: [PermSet::EMPTY; Role::ALL.len()],
            all: PermSet::EMPTY,
            organization_level: PermSet::EMPTY,
            step_up: PermSet::EMPTY,
            credential: PermSet::EMPTY,
            read_only: PermSet::EMPTY,
            routes: Vec::new(),
        }
    }

    pub fn from_json(json: &str) -> Result<Catalog, CatalogError> {
        let file: CatalogFile =
            serde_json::from_str(json).map_err(|e| CatalogError::Json(e.to_string()))?;
        Catalog::from_file(file)
    }

    pub fn from_file(file: CatalogFile) -> Result<Catalog, CatalogError> {
        let chain_ok = file.roles.len() == Role::ALL.len()
            && file.roles.iter().enumerate().all(|(i, r)| {
                r.name == Role::ALL[i] && r.inherits == i.checked_sub(1).map(|p| Role::ALL[p])
            });
        if !chain_ok {
            return Err(CatalogError::RoleChain);
        }
        if file.permissions.len() > MAX_PERMISSIONS {
            return Err(CatalogError::TooMany);
        }
        let mut cat = Catalog::empty();
        cat.version = file.version;
        cat.roles = file.roles;
        for (index, p) in file.permissions.iter().enumerate() {
            let bad = |reason: &str| CatalogError::Permission {
                index,
                name: p.name.clone(),
                reason: reason.to_owned(),
            };
            let parts: Vec<&str> = p.name.split('.').collect();
            if parts.len() != 3 || !parts.iter().all(|s| is_name_part(s)) {
                return Err(bad("name must be service.resource.verb in lowercase"));
            }
            let id = PermissionId(index as u16);
            if cat.by_name.insert(p.name.clone(), id).is_some() {
                return Err(bad("duplicate name"));
            }
            cat.all.insert(id);
            let org_role = matches!(p.role, Role::OrgAdmin | Role::OrgOwner);
            if (p.scope == PermissionScope::Organization) != org_role {
                return Err(bad(
                    "organization-level permissions, and only they, need an organization role",
                ));
            }
            if p.read_only && p.scope == PermissionScope::Project && p.role != Role::ReadOnly {
                return Err(bad("every project read belongs to the read_only role"));
            }
            if p.routes.is_empty() {
                return Err(bad("no routes"));
            }
            for r in &p.routes {
                let segments = compile_path(&r.path)
                    .ok_or_else(|| bad("route paths start with /v1/ and use {param} segments"))?;
                if !matches!(
                    r.method.as_str(),
                    "GET" | "POST" | "PUT" | "PATCH" | "DELETE"
                ) {
                    return Err(bad("route method must be GET, POST, PUT, PATCH or DELETE"));
                }
                cat.routes.push(CompiledRoute {
                    method: r.method.as_str().into(),
                    segments,
                    permission: id,
                });
            }
            for role in Role::ALL {
                if role >= p.role {
                    cat.role_grants[role as usize].insert(id);
                }
            }
            if p.scope == PermissionScope::Organization {
                cat.organization_level.insert(id);
            }
            if p.step_up {
                cat.step_up.insert(id);
            }
            if p.credential {
                if p.read_only {
                    return Err(bad("a read is never a credential operation"));
                }
                cat.credential.insert(id);
            }
            if p.read_only {
                cat.read_only.insert(id);
            }
        }
        // Literal segments before parameters, so `/servers/{id}/start` is never read as
        // a parameter where a literal route exists.
        cat.routes.sort_by_key(|r| {
            r.segments
                .iter()
                .map(|s| matches!(s, Segment::Param))
                .collect::<Vec<_>>()
        });
        cat.permissions = file.permissions;
        Ok(cat)
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    pub fn roles(&self) -> &[RoleDef] {
        &self.roles
    }

    pub fn permissions(&self) -> &[PermissionDef] {
        &self.permissions
    }

    pub fn len(&self) -> usize {
        self.permissions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.permissions.is_empty()
    }

    #[inline(always)]
    pub fn get(&self, name: &str) -> Option<PermissionId> {
        self.by_name.get(name).copied()
    }

    pub fn def(&self, id: PermissionId) -> Option<&PermissionDef> {
        self.permissions.get(id.index())
    }

    pub fn name(&self, id: PermissionId) -> &str {
        self.def(id).map(|d| d.name.as_str()).unwrap_or("?")
    }

    /// Everything `role` grants (project roles only reach project-level permissions).
    #[inline(always)]
    pub fn role_grants(&self, role: Role) -> &PermSet {
        &self.role_grants[role as usize]
    }

    #[inline(always)]
    pub fn organization_level(&self) -> &PermSet {
        &self.organization_level
    }

    #[inline(always)]
    pub fn step_up(&self) -> &PermSet {
        &self.step_up
    }

    /// The credential operations (see [`PermissionDef::credential`]).
    #[inline(always)]
    pub fn credential_ops(&self) -> &PermSet {
        &self.credential
    }

    #[inline(always)]
    pub fn reads(&self) -> &PermSet {
        &self.read_only
    }

    pub fn all(&self) -> PermSet {
        self.all
    }

    /// The permissions an exact name or a wildcard (`service.*`, `service.resource.*`)
    /// stands for; `None` when the pattern is malformed or matches nothing.
    pub fn expand(&self, pattern: &str) -> Option<PermSet> {
        if let Some(id) = self.get(pattern) {
            return Some(PermSet::single(id));
        }
        let prefix = pattern.strip_suffix('*')?;
        let parts: Vec<&str> = prefix.split('.').collect();
        let well_formed = matches!(parts.len(), 2 | 3)
            && parts.last() == Some(&"")
            && parts[..parts.len() - 1].iter().all(|p| is_name_part(p));
        if !well_formed {
            return None;
        }
        let mut s = PermSet::EMPTY;
        for (i, p) in self.permissions.iter().enumerate() {
            if p.name.starts_with(prefix) {
                s.insert(PermissionId(i as u16));
            }
        }
        (!s.is_empty()).then_some(s)
    }

    /// Maps `GET /v1/compute/servers/{id}` style calls to their permission. The query
    /// string and a trailing slash are ignored; the method is case-insensitive.
    pub fn resolve_route(&self, method: &str, path: &str) -> Option<PermissionId> {
        let path = path.split(['?', '#']).next().unwrap_or("");
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        self.routes
            .iter()
            .find(|r| {
                r.method.eq_ignore_ascii_case(method)
                    && r.segments.len() == segments.len()
                    && r.segments.iter().zip(&segments).all(|(s, got)| match s {
                        Segment::Literal(l) => **l == **got,
                        Segment::Param => true,
                    })
            })
            .map(|r| r.permission)
    }

    /// The closest permission names to a misspelt one (for did-you-mean messages).
    /// Names longer than [`MAX_SUGGESTION_INPUT`] bytes get none: the distance is
    /// quadratic in the length, and no permission name is near that long.
    pub fn suggest(&self, name: &str) -> Option<&str> {
        if name.len() > MAX_SUGGESTION_INPUT {
            return None;
        }
        self.permissions
            .iter()
            .map(|p| (edit_distance(name, &p.name), p.name.as_str()))
            .filter(|(d, _)| *d <= 3.max(name.len() / 5))
            .min_by_key(|(d, _)| *d)
            .map(|(_, n)| n)
    }
}

/// Levenshtein distance, for suggestions only (short strings, not a hot path).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_loads() {
        let parsed = Catalog::from_json(BUILTIN_CATALOG_JSON);
        assert!(parsed.is_ok(), "{parsed:?}");
        assert!(Catalog::builtin().len() > 100);
        assert_eq!(Catalog::builtin().all().len(), Catalog::builtin().len());
    }

    #[test]
    fn routes_map_to_permissions() {
        let c = Catalog::builtin();
        let name = |m, p| c.resolve_route(m, p).map(|id| c.name(id).to_owned());
        assert_eq!(
            name("GET", "/v1/compute/servers/s-1").as_deref(),
            Some("compute.servers.get")
        );
        assert_eq!(
            name("get", "/v1/compute/servers/?page=2").as_deref(),
            Some("compute.servers.list")
        );
        assert_eq!(
            name("POST", "/v1/compute/servers/s-1/start").as_deref(),
            Some("compute.servers.start")
        );
        assert_eq!(
            name("DELETE", "/v1/storage/buckets/b/object-lock").as_deref(),
            Some("storage.buckets.disable_object_lock")
        );
        assert_eq!(name("GET", "/v1/compute/nothing"), None);
        assert_eq!(name("TRACE", "/v1/compute/servers"), None);
    }

    #[test]
    fn wildcards_expand_within_their_prefix() {
        let c = Catalog::builtin();
        let servers = c.expand("compute.servers.*").unwrap();
        assert!(servers
            .iter()
            .all(|id| c.name(id).starts_with("compute.servers.")));
        let compute = c.expand("compute.*").unwrap();
        assert!(servers.is_subset(&compute) && compute.len() > servers.len());
        assert!(c.expand("compute.serv*").is_none());
        assert!(c.expand("*").is_none());
        assert!(c.expand("nope.*").is_none());
    }

    #[test]
    fn suggestions_find_typos() {
        let c = Catalog::builtin();
        assert_eq!(
            c.suggest("compute.server.list"),
            Some("compute.servers.list")
        );
        assert_eq!(c.suggest("zzz"), None);
    }
}
