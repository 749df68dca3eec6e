"""Writes tests/vectors/validate_token.json and validate_service_account.json.
Expectations are written by hand here (field, code) — the generator only saves typing."""
import json, pathlib

NOW = "2026-11-23T10:00:00Z"
ORG_PROJECTS = ["web", "data", "prod"]

def user(id, email, status="active", org_role=None, roles=None, org="acme"):
    return {"type": "user", "id": id, "email": email, "organization": org, "status": status,
            "org_role": org_role, "project_roles": roles or {}}
def sa(id, name, project, role, tags=None, status="active"):
    return {"type": "service_account", "id": id, "name": name, "description": "", "organization": "acme",
            "project": project, "role": role, "tag_selector": tags or {}, "status": status}

alice = user("u_alice", "alice@acme.test", roles={"web": "member", "data": "read_only"})
alice_suspended = dict(alice, status="suspended")
olga = user("u_olga", "olga@acme.test", org_role="admin")
wendy = user("u_wendy", "wendy@acme.test", roles={"web": "admin"})
ci = sa("sa_ci", "ci-deployer", "web", "member", {"env": "prod"})

def existing_token(name, owner_id, **kw):
    t = {"id": "tok_" + name, "name": name, "prefix": "cd_000000",
         "owner": {"type": "user", "id": owner_id}, "organization": "acme", "projects": ["web"],
         "permissions": "inherit", "created_at": "2026-11-01T00:00:00Z", "expires_at": "2027-01-01T00:00:00Z",
         "allowed_ips": [], "revoked_at": None, "rotated_at": None, "grace_ends_at": None}
    t.update(kw)
    return t

token_cases = []
def tcase(name, draft, owner=alice, errors=(), warnings=(), preview=None, **extra):
    inp = {"draft": draft, "owner": owner, "now": NOW}
    inp.update(extra)
    exp = {"valid": not errors, "errors": [list(e) for e in errors], "warnings": [list(w) for w in warnings]}
    if preview is not None: exp["preview"] = preview
    token_cases.append({"name": name, "input": inp, "expect": exp})

base = {"name": "alice-laptop", "projects": ["web"], "permissions": "inherit", "expiry": "30d", "allowed_ips": ""}
def d(**kw):
    x = dict(base); x.update(kw); return x

tcase("a plain 30-day personal token is valid", d(),
      preview={"expires_at": "2026-12-23T10:00:00Z", "lifetime_days": 30, "scopes": [{"project": "web"}]})
tcase("downscoped preview lists exactly the effective permissions", d(projects=["web", "data"], permissions=["compute.servers.list", "compute.servers.get"]),
      preview={"scopes": [{"project": "web", "permissions": ["compute.servers.list", "compute.servers.get"]},
                          {"project": "data", "permissions": ["compute.servers.list", "compute.servers.get"]}]})
tcase("name required", d(name=""), errors=[("name", "name_required")])
tcase("name of blanks is required too", d(name="   "), errors=[("name", "name_required")])
tcase("name over 64 characters", d(name="n" * 65), errors=[("name", "name_too_long")])
tcase("name of exactly 64 characters", d(name="n" * 64))
tcase("control character in the name", d(name="bad\tname"), errors=[("name", "name_invalid_characters")])
tcase("name used by another active token of the owner", d(), errors=[("name", "name_taken")],
      existing_tokens=[existing_token("alice-laptop", "u_alice")])
tcase("a revoked token's name may be reused", d(),
      existing_tokens=[existing_token("alice-laptop", "u_alice", revoked_at="2026-11-20T00:00:00Z")])
tcase("another owner's token name does not count", d(),
      existing_tokens=[existing_token("alice-laptop", "u_bob")])
tcase("another organization", d(organization="globex"), errors=[("organization", "organization_mismatch")])
tcase("a suspended owner cannot get new tokens", d(), owner=alice_suspended, errors=[("owner", "owner_inactive")])
tcase("no project chosen", {k: v for k, v in base.items() if k != "projects"}, errors=[("projects", "projects_required")])
tcase("empty project list", d(projects=[]), errors=[("projects", "projects_required")])
tcase("project the organization does not have", d(projects=["web", "mars"]), errors=[("projects[1]", "project_unknown")],
      organization_projects=ORG_PROJECTS)
tcase("project the creator has no role in", d(projects=["prod"]), errors=[("projects[0]", "project_no_role")])
tcase("all projects by a member", d(projects="all"), errors=[("projects", "all_projects_not_allowed")])
tcase("all projects by an org admin: allowed, with a warning, previewed per project", d(name="olga-admin", projects="all"), owner=olga,
      warnings=[("projects", "all_projects_scope")], organization_projects=ORG_PROJECTS,
      preview={"scopes": [{"project": "web"}, {"project": "data"}, {"project": "prod"}, {"project": None}]})
tcase("downscope with no permissions", d(permissions=[]), errors=[("permissions", "permissions_empty")])
tcase("unknown permission with a suggestion", d(permissions=["compute.servers.list", "compute.server.get"]),
      errors=[("permissions[1]", "permission_unknown", "compute.servers.get")])
tcase("malformed wildcard", d(permissions=["compute*"]), errors=[("permissions[0]", "permission_unknown")])
tcase("permission the role grants in none of the projects", d(permissions=["compute.servers.list", "iam.service_accounts.create"]),
      errors=[("permissions[1]", "permission_not_in_role")])
tcase("organization permission on a project-scoped token", d(name="olga-web", permissions=["org.settings.update"]), owner=olga,
      errors=[("permissions[0]", "permission_organization_level")])
tcase("organization permission on an all-projects token", d(name="olga-org", projects="all", permissions=["org.settings.get"]), owner=olga,
      warnings=[("projects", "all_projects_scope")],
      preview={"scopes": [{"project": None, "permissions": ["org.settings.get"]}]})
tcase("permission granted in only some projects", d(projects=["web", "data"], permissions=["compute.servers.create"]),
      warnings=[("permissions[0]", "permission_partial")],
      preview={"scopes": [{"project": "web", "permissions": ["compute.servers.create"]}, {"project": "data", "permissions": []}]})
tcase("wildcard partly in role is fine", d(permissions=["iam.*"]))
tcase("step-up permission can never be used by a token", d(permissions=["storage.buckets.disable_object_lock"]),
      warnings=[("permissions[0]", "permission_needs_step_up")])
tcase("custom expiry date: valid through the end of that day", d(expiry={"custom": "2027-01-31"}),
      preview={"expires_at": "2027-02-01T00:00:00Z", "lifetime_days": 70})
tcase("custom expiry as an RFC 3339 time", d(expiry={"custom": "2026-12-01T12:00:00+02:00"}),
      preview={"expires_at": "2026-12-01T10:00:00Z", "lifetime_days": 8})
tcase("custom expiry that is not a date", d(expiry={"custom": "next tuesday"}), errors=[("expiry", "expiry_invalid")])
tcase("custom expiry in the past", d(expiry={"custom": "2026-11-01"}), errors=[("expiry", "expiry_in_past")])
tcase("custom expiry right now is in the past", d(expiry={"custom": NOW}), errors=[("expiry", "expiry_in_past")])
tcase("a year beyond a 90-day maximum", d(expiry="365d"), policy={"max_lifetime_days": 90},
      errors=[("expiry", "expiry_beyond_max_lifetime")], warnings=[("expiry", "lifetime_over_90_days")])
tcase("90 days under a 90-day maximum", d(expiry="90d"), policy={"max_lifetime_days": 90})
tcase("a year is long: rotate quarterly", d(expiry="365d"), warnings=[("expiry", "lifetime_over_90_days")],
      preview={"lifetime_days": 365})
tcase("never expiring: allowed with a warning", d(expiry="never"), warnings=[("expiry", "expiry_never")],
      preview={"expires_at": None, "lifetime_days": None})
tcase("never expiring where the policy forbids it", d(expiry="never"), policy={"allow_never_expiring": False},
      errors=[("expiry", "expiry_never_forbidden")], warnings=[("expiry", "expiry_never")])
tcase("never expiring under a maximum lifetime", d(expiry="never"), policy={"max_lifetime_days": 365},
      errors=[("expiry", "expiry_beyond_max_lifetime")], warnings=[("expiry", "expiry_never")])
tcase("every bad allowed-IP entry, by index among non-empty entries",
      d(allowed_ips="203.0.113.0/24,\n  not-an-ip, 10.0.0.0/33\n\n10.0.0.1/8"),
      errors=[("allowed_ips[1]", "invalid_cidr"), ("allowed_ips[2]", "prefix_too_long"), ("allowed_ips[3]", "host_bits_set", "10.0.0.0/8")])
tcase("allowed-IP warnings", d(allowed_ips=["10.0.0.0/8", "10.0.0.0/8", "10.1.0.0/16", "::/0"]),
      warnings=[("allowed_ips[1]", "duplicate"), ("allowed_ips[2]", "covered"), ("allowed_ips[3]", "allows_all")])
tcase("service-account token without an allow-list", d(name="deploy-web"), owner=ci,
      warnings=[("allowed_ips", "allowed_ips_missing")])
tcase("service-account token with an allow-list", d(name="deploy-web", allowed_ips=["203.0.113.0/24"]), owner=ci)
tcase("policy requires an allow-list on service-account tokens", d(name="deploy-web"), owner=ci,
      policy={"require_allowed_ips_for_service_accounts": True}, errors=[("allowed_ips", "allowed_ips_required")])
tcase("personal token named like automation", d(name="gha-deploy"), warnings=[("name", "name_suggests_automation")])
tcase("a word containing ci is not automation", d(name="special-access"))
tcase("one token across production and staging", d(name="olga-ops", projects=["shop-prod", "shop-staging"]), owner=olga,
      warnings=[("projects", "mixed_environments")])
tcase("several problems at once are all reported",
      d(name="", projects=["prod"], permissions=["compute.servers.lst"], expiry={"custom": "2020-01-01"}, allowed_ips="1.2.3.4/40"),
      errors=[("name", "name_required"), ("projects[0]", "project_no_role"), ("permissions[0]", "permission_unknown", "compute.servers.list"),
              ("expiry", "expiry_in_past"), ("allowed_ips[0]", "prefix_too_long")])

# The calling token bounds what it makes (core/src/delegation.rs).
def caller_token(name, owner_id, projects, perms="inherit", expires_at="2026-12-01T00:00:00Z", allowed_ips=(), **kw):
    t = existing_token(name, owner_id, projects=projects, permissions=perms, expires_at=expires_at,
                       allowed_ips=list(allowed_ips), prefix="cd_caller")
    t.update(kw)
    return t
def caller(token, owner=alice):
    return {"token": token, "owner": owner}
narrow = caller(caller_token("narrow", "u_alice", ["web"], ["iam.tokens.*", "compute.servers.list"],
                             allowed_ips=["203.0.113.0/24"]))
tcase("a token made within the calling token", d(permissions=["compute.servers.list"], expiry={"custom": "2026-11-30"},
      allowed_ips="203.0.113.8/29"), caller=narrow)
tcase("a downscoped caller cannot make an inheriting token, nor one that outlives it or has no allow-list",
      d(), caller=narrow,
      errors=[("permissions", "exceeds_caller_permissions"), ("expiry", "exceeds_caller_expiry", "2026-12-01T00:00:00Z"),
              ("allowed_ips", "exceeds_caller_allowed_ips")])
tcase("permissions, projects and networks beyond the caller are named where they are",
      d(projects=["web", "data"], permissions=["compute.servers.list", "compute.*"], expiry={"custom": "2026-11-30"},
        allowed_ips="203.0.113.0/25, 198.51.100.0/24"), caller=narrow,
      errors=[("projects[1]", "exceeds_caller_projects"), ("permissions[1]", "exceeds_caller_permissions"),
              ("allowed_ips[1]", "exceeds_caller_allowed_ips")])
tcase("a never-expiring token only from a never-expiring caller", d(expiry="never"),
      caller=caller(caller_token("short", "u_alice", ["web"], expires_at="2026-11-24T10:00:00Z")),
      errors=[("expiry", "exceeds_caller_expiry", "2026-11-24T10:00:00Z")], warnings=[("expiry", "expiry_never")])
tcase("a project-limited caller cannot make an all-projects token", d(name="olga-all", projects="all", expiry={"custom": "2026-11-30"}), owner=olga,
      caller=caller(caller_token("olga-web", "u_olga", ["web"]), olga), organization_projects=ORG_PROJECTS,
      errors=[("projects", "exceeds_caller_projects")], warnings=[("projects", "all_projects_scope")])
tcase("a token in its rotation grace window makes nothing", d(expiry={"custom": "2026-11-30"}),
      caller=caller(caller_token("old", "u_alice", ["web"], rotated_at="2026-11-22T00:00:00Z")),
      errors=[("caller", "caller_in_rotation_grace")])
tcase("a service-account token may not give more than the caller holds", d(name="deploy-web", allowed_ips=["203.0.113.0/24"]),
      owner=dict(ci, role="admin"), caller=caller(caller_token("alice-web", "u_alice", ["web"], expires_at="2027-01-01T00:00:00Z")),
      errors=[("permissions", "exceeds_caller_permissions")])
tcase("a service-account token within what the caller holds", d(name="deploy-web", allowed_ips=["203.0.113.0/24"]),
      owner=ci, caller=caller(caller_token("alice-web", "u_alice", ["web"], expires_at="2027-01-01T00:00:00Z")))
tcase("more permission entries than a token may list", d(permissions=["compute.servers.list"] * 201),
      errors=[("permissions", "too_many_permissions")])
tcase("more allowed-IP entries than a list may hold", d(allowed_ips=[f"10.0.{i // 256}.{i % 256}" for i in range(101)]),
      errors=[("allowed_ips", "too_many_allowed_ips")])
tcase("a name with a right-to-left override", d(name="invoice\u202egpj.exe"), errors=[("name", "name_invalid_characters")])
tcase("a name with a zero-width space", d(name="alice\u200blaptop"), errors=[("name", "name_invalid_characters")])
tcase("a /0 entry does not meet a policy that requires an allow-list", d(name="deploy-web", allowed_ips=["0.0.0.0/0"]), owner=ci,
      policy={"require_allowed_ips_for_service_accounts": True},
      errors=[("allowed_ips", "allowed_ips_required")], warnings=[("allowed_ips[0]", "allows_all")])

sa_cases = []
def scase(name, draft, creator=olga, errors=(), warnings=(), preview=None, **extra):
    inp = {"draft": draft, "creator": creator}
    inp.update(extra)
    exp = {"valid": not errors, "errors": [list(e) for e in errors], "warnings": [list(w) for w in warnings]}
    if preview is not None: exp["preview"] = preview
    sa_cases.append({"name": name, "input": inp, "expect": exp})

sbase = {"name": "ci-deployer", "description": "Deploys web from CI", "project": "web", "role": "member", "tag_selector": "env=prod"}
def s(**kw):
    x = dict(sbase); x.update(kw); return x

scase("org admin creates a project service account", s(), preview={"tag_selector": {"env": "prod"}})
scase("project admin creates one in their project", s(), creator=wendy)
scase("tag selector as a map", s(tag_selector={"env": "prod", "team": "web"}), preview={"tag_selector": {"env": "prod", "team": "web"}})
scase("organization-level account by an org admin", s(project=None, role="read_only", tag_selector=""), preview={"tag_selector": {}})
scase("name required", s(name=""), errors=[("name", "name_required")])
scase("name over 63 characters", s(name="a" * 64), errors=[("name", "name_too_long")])
scase("name with capitals and underscores, with a suggestion", s(name="CI_Deployer"), errors=[("name", "name_invalid_characters", "ci-deployer")])
scase("name ending in a hyphen", s(name="ci-"), errors=[("name", "name_invalid_characters", "ci")])
scase("name taken in the project", s(), errors=[("name", "name_taken")], existing=[ci])
scase("same name in another project is fine", s(project="data"), existing=[ci])
scase("a deleted account's name may be reused", s(), existing=[dict(ci, status="deleted")])
scase("description over 256 characters", s(description="d" * 257), errors=[("description", "description_too_long")])
scase("organization role is not a service-account role", s(role="owner"), errors=[("role", "role_invalid")])
scase("tag selector entries that are not key=value", s(tag_selector="env=prod, team, Env=dev"),
      errors=[("tag_selector[1]", "tag_selector_invalid"), ("tag_selector[2]", "tag_selector_invalid")])
scase("the same tag key twice", s(tag_selector="env=prod\nenv=dev"), errors=[("tag_selector[1]", "tag_selector_duplicate_key")])
scase("project limit reached", s(name="third"), policy={"max_service_accounts_per_project": 2},
      existing=[ci, sa("sa_2", "second", "web", "read_only")], errors=[("project", "service_account_limit_reached")])
scase("deleted accounts do not count toward the limit", s(name="third"), policy={"max_service_accounts_per_project": 2},
      existing=[ci, sa("sa_2", "second", "web", "read_only", status="deleted")])
scase("default limit is 25 per project", s(name="extra"),
      existing=[sa(f"sa_{i}", f"acct-{i}", "web", "read_only") for i in range(25)], errors=[("project", "service_account_limit_reached")])
scase("a member cannot create service accounts", s(), creator=alice, errors=[("creator", "creator_not_admin")])
scase("a project admin cannot create an organization-level account", s(project=None), creator=wendy, errors=[("creator", "creator_not_admin")])
scase("a service account cannot create service accounts", s(), creator=ci, errors=[("creator", "creator_not_admin")])
scase("another organization", s(organization="globex"), errors=[("organization", "organization_mismatch")])
scase("unknown project", s(project="mars"), organization_projects=ORG_PROJECTS, errors=[("project", "project_unknown")])

scase("an allow-list for the account's bearers", s(allowed_ips="203.0.113.0/24, 2001:db8::/32"),
      preview={"allowed_ips": ["203.0.113.0/24", "2001:db8::/32"]})
scase("a bad allow-list entry", s(allowed_ips="203.0.113.1/24"), errors=[("allowed_ips[0]", "host_bits_set", "203.0.113.0/24")])
scase("policy requires an allow-list for service accounts", s(), policy={"require_allowed_ips_for_service_accounts": True},
      errors=[("allowed_ips", "allowed_ips_required")])
scase("a /0 does not meet it", s(allowed_ips="::/0"), policy={"require_allowed_ips_for_service_accounts": True},
      errors=[("allowed_ips", "allowed_ips_required")], warnings=[("allowed_ips[0]", "allows_all")])
olga_iam = caller(caller_token("olga-iam", "u_olga", "all", ["iam.*"], expires_at="2027-01-01T00:00:00Z"), olga)
scase("the account's role may not exceed what the calling token holds", s(), caller=olga_iam, now=NOW,
      errors=[("role", "exceeds_caller_permissions")])
scase("an organization-level account from a project-limited caller", s(project=None, role="read_only", tag_selector=""),
      caller=caller(caller_token("olga-web", "u_olga", ["web"], expires_at="2027-01-01T00:00:00Z"), olga), now=NOW,
      organization_projects=ORG_PROJECTS, errors=[("project", "exceeds_caller_projects")])
scase("a caller with an allow-list makes accounts whose bearers carry one within it", s(allowed_ips="198.51.100.0/24"),
      caller=caller(caller_token("olga-office", "u_olga", "all", allowed_ips=["203.0.113.0/24"], expires_at="2027-01-01T00:00:00Z"), olga),
      now=NOW, errors=[("allowed_ips", "exceeds_caller_allowed_ips")])
scase("within the caller", s(allowed_ips="203.0.113.0/28"),
      caller=caller(caller_token("olga-office", "u_olga", "all", allowed_ips=["203.0.113.0/24"], expires_at="2027-01-01T00:00:00Z"), olga),
      now=NOW)

root = pathlib.Path(__file__).resolve().parents[1] / "vectors"
for fname, kind, cases, desc in [
    ("validate_token.json", "ValidateTokenVectors", token_cases,
     "Token-form validation. Each case: validate `input` (a TokenRequest); the result must have exactly `valid`, and the errors and warnings given as [field, code] or [field, code, suggestion], in order; and, for each key in `preview`, the same value (scopes: the same projects in order and, where given, exactly those permissions)."),
    ("validate_service_account.json", "ValidateServiceAccountVectors", sa_cases,
     "Service-account-form validation. Each case: validate `input` (a ServiceAccountRequest); errors and warnings as in validate_token.json; `preview` keys compared when given."),
]:
    doc = {"$schema": f"../../schema/clouddigit.schema.json#/$defs/{kind}", "description": desc, "cases": cases}
    (root / fname).write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    print(fname, len(cases), "cases")
