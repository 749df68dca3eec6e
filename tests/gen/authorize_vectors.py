import json
from pathlib import Path
T = "2026-11-23T10:00:00Z"
def user(id, email, status="active", org_role=None, roles=None):
    return {"type": "user", "id": id, "email": email, "organization": "acme", "status": status,
            "org_role": org_role, "project_roles": roles or {}}
def sa(id, name, project, role, tags=None, status="active"):
    return {"type": "service_account", "id": id, "name": name, "description": "", "organization": "acme",
            "project": project, "role": role, "tag_selector": tags or {}, "status": status}
owners = {
  "alice": user("u_alice", "alice@acme.test", roles={"web": "member", "data": "read_only"}),
  "alice_demoted": user("u_alice", "alice@acme.test", roles={"web": "read_only"}),
  "alice_suspended": user("u_alice", "alice@acme.test", status="suspended", roles={"web": "member", "data": "read_only"}),
  "alice_removed": user("u_alice", "alice@acme.test", status="removed", roles={"web": "member", "data": "read_only"}),
  "olga": user("u_olga", "olga@acme.test", org_role="admin"),
  "olga_demoted": user("u_olga", "olga@acme.test", roles={"web": "admin"}),
  "owen": user("u_owen", "owen@acme.test", org_role="owner"),
  "ci": sa("sa_ci", "ci-deployer", "web", "member", {"env": "prod"}),
  "ci_disabled": sa("sa_ci", "ci-deployer", "web", "member", {"env": "prod"}, status="disabled"),
  "ci_deleted": sa("sa_ci", "ci-deployer", "web", "member", {"env": "prod"}, status="deleted"),
  "mon": sa("sa_mon", "monitoring-agent", None, "read_only"),
}
def tok(id, owner, projects, perms="inherit", **kw):
    t = {"id": id, "name": kw.pop("name", id), "prefix": "cd_" + id[-6:].rjust(6, "0"),
         "owner": {"type": "service_account" if owner.startswith("sa_") else "user", "id": owner},
         "organization": "acme", "projects": projects, "permissions": perms,
         "created_at": "2026-11-01T00:00:00Z", "expires_at": kw.pop("expires_at", "2027-02-01T00:00:00Z"),
         "allowed_ips": kw.pop("allowed_ips", []), "revoked_at": kw.pop("revoked_at", None),
         "rotated_at": kw.pop("rotated_at", None), "grace_ends_at": kw.pop("grace_ends_at", None)}
    if "quarantine" in kw: t["quarantine"] = kw.pop("quarantine")
    assert not kw
    return t
tokens = {
  "alice_inherit": tok("tok_alice1", "u_alice", ["web", "data"], name="alice-laptop"),
  "alice_down": tok("tok_alice2", "u_alice", ["web"], ["compute.servers.list", "compute.servers.get", "storage.*"],
                    allowed_ips=["203.0.113.0/24", "2001:db8::/32"], name="alice-storage"),
  "alice_iam": tok("tok_alice3", "u_alice", ["web"], ["iam.*"]),
  "alice_revoked": tok("tok_alice4", "u_alice", ["web"], revoked_at="2026-11-20T00:00:00Z", expires_at="2026-11-22T00:00:00Z"),
  "alice_revoked_now": tok("tok_alice5", "u_alice", ["web"], revoked_at=T),
  "alice_rotated_in_grace": tok("tok_alice6", "u_alice", ["web"], rotated_at="2026-11-20T00:00:00Z"),
  "alice_rotated_past": tok("tok_alice7", "u_alice", ["web"], rotated_at="2026-11-10T00:00:00Z"),
  "alice_rotated_short_grace": tok("tok_alice8", "u_alice", ["web"], rotated_at="2026-11-22T00:00:00Z", grace_ends_at="2026-11-23T00:00:00Z"),
  "alice_expired": tok("tok_alice9", "u_alice", ["web"], expires_at="2026-11-22T00:00:00Z"),
  "alice_never": tok("tok_alic10", "u_alice", ["web"], expires_at=None),
  "olga_all": tok("tok_olga01", "u_olga", "all", name="olga-admin"),
  "owen_all": tok("tok_owen01", "u_owen", "all"),
  "ci_token": tok("tok_ci0001", "sa_ci", ["web"], allowed_ips=["198.51.100.0/24"], name="gha-deploy"),
  "ci_down": tok("tok_ci0002", "sa_ci", ["web"], ["compute.servers.*"]),
  "mon_token": tok("tok_mon001", "sa_mon", ["web", "data", "prod"]),
  "alice_quarantined": tok("tok_alic11", "u_alice", ["web", "data"], name="alice-leaked",
                           quarantine={"reason": "leaked", "url": "https://github.com/acme/web/blob/main/.env", "at": "2026-11-22T00:00:00Z"}),
  "alice_quarantined_later": tok("tok_alic12", "u_alice", ["web"],
                                 quarantine={"reason": "leaked", "url": "https://github.com/acme/web/blob/main/.env", "at": "2026-11-24T00:00:00Z"}),
}
cases = []
def case(name, token, owner, expect_reason, failed=None, permission=None, policy=None, **req):
    r = {"time": T}
    r.update(req)
    if "tags" in r: r["resource_tags"] = r.pop("tags")
    failed = failed if failed is not None else ([] if expect_reason == "allowed" else [expect_reason])
    e = {"allowed": expect_reason == "allowed", "reason": expect_reason, "failed": failed}
    if permission is not None: e["permission"] = permission
    c = {"name": name, "token": token, "owner": owner, "request": r, "expect": e}
    if policy is not None: c["policy"] = policy
    cases.append(c)

# allowed
case("member creates a server in a project of the token", "alice_inherit", "alice", "allowed", permission="compute.servers.create", action="compute.servers.create", project="web")
case("route maps to a read that read_only grants", "alice_inherit", "alice", "allowed", permission="compute.servers.get", method="GET", path="/v1/compute/servers/srv-42", project="data")
case("route with query string and lowercase method", "alice_inherit", "alice", "allowed", permission="compute.servers.list", method="get", path="/v1/compute/servers?page=2", project="web")
case("literal route beats a parameter", "alice_inherit", "alice", "allowed", permission="compute.servers.start", method="POST", path="/v1/compute/servers/srv-1/start", project="web")
# revoked
case("revoked token (also expired): revoked comes first", "alice_revoked", "alice", "revoked", failed=["revoked", "expired"], action="compute.servers.list", project="web")
case("revoked at exactly the request time", "alice_revoked_now", "alice", "revoked", action="compute.servers.list", project="web")
case("revocation in the future has not happened yet", "alice_revoked_now", "alice", "allowed", action="compute.servers.list", project="web", time="2026-11-23T09:59:59Z")
# rotated
case("rotated token inside its 7-day grace window works", "alice_rotated_in_grace", "alice", "allowed", action="compute.servers.list", project="web")
case("rotated token past its 7-day grace window", "alice_rotated_past", "alice", "rotated", action="compute.servers.list", project="web")
case("rotated token at exactly the default grace end", "alice_rotated_past", "alice", "rotated", action="compute.servers.list", project="web", time="2026-11-17T00:00:00Z")
case("rotated token one second before the default grace end", "alice_rotated_past", "alice", "allowed", action="compute.servers.list", project="web", time="2026-11-16T23:59:59Z")
case("explicit grace end overrides the default", "alice_rotated_short_grace", "alice", "rotated", action="compute.servers.list", project="web")
case("a token in its grace window may not make credentials", "alice_rotated_in_grace", "alice", "in_rotation_grace", action="iam.tokens.create", project="web")
case("nor rotate or revoke them, by route", "alice_rotated_in_grace", "alice", "in_rotation_grace", permission="iam.tokens.rotate", method="POST", path="/v1/iam/tokens/tok_x/rotate", project="web")
case("but may still list its tokens", "alice_rotated_in_grace", "alice", "allowed", action="iam.tokens.list", project="web")
# expired
case("expired token", "alice_expired", "alice", "expired", action="compute.servers.list", project="web")
case("expiry is exclusive: at expires_at the token is expired", "alice_expired", "alice", "expired", action="compute.servers.list", project="web", time="2026-11-22T00:00:00Z")
case("one second before expiry", "alice_expired", "alice", "allowed", action="compute.servers.list", project="web", time="2026-11-21T23:59:59Z")
case("never-expiring token", "alice_never", "alice", "allowed", action="compute.servers.list", project="web", time="2036-01-01T00:00:00Z")
# the organization's maximum lifetime binds on every use
case("policy tightened after creation: a 92-day token under a 30-day maximum is expired", "alice_inherit", "alice", "expired", policy={"max_lifetime_days": 30}, action="compute.servers.list", project="web")
case("a never-expiring token exceeds any maximum", "alice_never", "alice", "expired", policy={"max_lifetime_days": 365}, action="compute.servers.list", project="web")
case("a token exactly at the maximum lifetime still works", "alice_inherit", "alice", "allowed", policy={"max_lifetime_days": 92}, action="compute.servers.list", project="web")
case("a policy without a maximum changes nothing", "alice_never", "alice", "allowed", policy={"allow_never_expiring": False}, action="compute.servers.list", project="web")
# owner inactive
case("suspended user's token stops", "alice_inherit", "alice_suspended", "owner_inactive", action="compute.servers.list", project="web")
case("removed user's token stops", "alice_inherit", "alice_removed", "owner_inactive", action="compute.servers.list", project="web")
case("disabled service account", "ci_token", "ci_disabled", "owner_inactive", action="compute.servers.list", project="web", ip="198.51.100.10")
case("deleted service account", "ci_token", "ci_deleted", "owner_inactive", action="compute.servers.list", project="web", ip="198.51.100.10")
case("owner state of someone else grants nothing", "alice_inherit", "olga", "owner_inactive", failed=["owner_inactive"], action="compute.servers.list", project="web")
# ip
case("caller outside the allow-list", "alice_down", "alice", "ip_not_allowed", action="compute.servers.list", project="web", ip="192.0.2.1")
case("allow-list and no source address", "alice_down", "alice", "ip_not_allowed", action="compute.servers.list", project="web")
case("caller inside the IPv6 entry", "alice_down", "alice", "allowed", permission="compute.servers.list", action="compute.servers.list", project="web", ip="2001:db8:5::9")
case("IPv4-mapped IPv6 caller inside the IPv4 entry", "alice_down", "alice", "allowed", action="compute.servers.list", project="web", ip="::ffff:203.0.113.5")
case("no allow-list allows any address", "alice_inherit", "alice", "allowed", action="compute.servers.list", project="web", ip="192.0.2.1")
# unknown action
case("misspelt action", "alice_inherit", "alice", "unknown_action", action="compute.servers.destroy", project="web")
case("unmapped route", "alice_inherit", "alice", "unknown_action", method="GET", path="/v1/nowhere", project="web")
case("known path with a method it does not have", "alice_inherit", "alice", "unknown_action", method="PATCH", path="/v1/compute/flavors/f-1", project="web")
case("unknown action is still reported after lifecycle failures", "alice_expired", "alice", "expired", failed=["expired", "unknown_action"], action="nope.nope.nope", project="web")
# project scope
case("project outside the token's scope", "alice_down", "alice", "project_out_of_scope", failed=["project_out_of_scope", "not_in_role"], action="compute.servers.list", project="prod", ip="203.0.113.1")
case("project the owner has a role in but the token does not cover", "alice_down", "alice", "project_out_of_scope", action="compute.servers.list", project="data", ip="203.0.113.1")
case("another organization", "alice_inherit", "alice", "project_out_of_scope", action="compute.servers.list", project="web", organization="globex")
case("project-level action naming no project", "alice_inherit", "alice", "project_out_of_scope", failed=["project_out_of_scope", "not_in_role"], action="compute.servers.list")
case("organization-level action needs an all-projects token", "alice_inherit", "alice", "project_out_of_scope", failed=["project_out_of_scope", "not_in_role"], action="org.settings.get")
case("all-projects token of a user no longer org admin", "olga_all", "olga_demoted", "project_out_of_scope", action="compute.servers.create", project="web")
case("all-projects token reaches any project of its org admin", "olga_all", "olga", "allowed", action="compute.servers.delete", project="prod")
# role
case("read_only role does not grant create", "alice_inherit", "alice", "not_in_role", action="compute.servers.create", project="data")
case("role lowered after the token was issued", "alice_inherit", "alice_demoted", "not_in_role", action="compute.servers.create", project="web")
case("role removed in a project after issuance", "alice_inherit", "alice_demoted", "not_in_role", action="compute.servers.list", project="data")
case("downscope naming IAM cannot exceed a member's role", "alice_iam", "alice", "not_in_role", action="iam.service_accounts.create", project="web")
case("downscope within the role works", "alice_iam", "alice", "allowed", action="iam.tokens.create", project="web")
case("org admin changes organization settings", "olga_all", "olga", "allowed", action="org.settings.update")
case("org admin cannot change billing", "olga_all", "olga", "not_in_role", action="org.billing.update")
case("org owner changes billing", "owen_all", "owen", "allowed", method="PATCH", path="/v1/org/billing")
case("project service account outside its project", "ci_token", "ci", "project_out_of_scope", failed=["project_out_of_scope", "not_in_role"], action="compute.servers.list", project="data", ip="198.51.100.10")
case("organization-level service account reads in any project", "mon_token", "mon", "allowed", action="compute.servers.list", project="prod")
case("organization-level read_only service account cannot create", "mon_token", "mon", "not_in_role", action="compute.servers.create", project="prod")
case("service account never gets organization permissions", "mon_token", "mon", "project_out_of_scope", failed=["project_out_of_scope", "not_in_role"], action="org.settings.get")
# downscope
case("downscoped token lacks a permission the role grants", "alice_down", "alice", "not_in_token_permissions", action="compute.servers.create", project="web", ip="203.0.113.1")
case("service wildcard in the downscope", "alice_down", "alice", "allowed", action="storage.buckets.create", project="web", ip="203.0.113.1")
case("resource wildcard in the downscope", "ci_down", "ci", "allowed", action="compute.servers.stop", project="web", tags={"env": "prod"})
case("resource wildcard does not reach another resource", "ci_down", "ci", "not_in_token_permissions", action="compute.images.create", project="web", tags={"env": "prod"})
# tags
case("service account on a resource with the wrong tag", "ci_token", "ci", "tag_mismatch", action="compute.servers.delete", project="web", ip="198.51.100.10", tags={"env": "staging"})
case("service account on a resource with matching and extra tags", "ci_token", "ci", "allowed", action="compute.servers.delete", project="web", ip="198.51.100.10", tags={"env": "prod", "team": "web"})
case("service account change without resource tags", "ci_token", "ci", "tag_mismatch", action="compute.servers.create", project="web", ip="198.51.100.10")
case("service account list without resource tags", "ci_token", "ci", "allowed", action="compute.servers.list", project="web", ip="198.51.100.10")
case("service account on an untagged resource", "ci_token", "ci", "tag_mismatch", action="compute.servers.get", project="web", ip="198.51.100.10", tags={})
case("users have no tag selector", "alice_inherit", "alice", "allowed", action="compute.servers.delete", project="web", tags={"env": "staging"})
# step-up
case("disabling object lock needs MFA step-up", "olga_all", "olga", "step_up_required", permission="storage.buckets.disable_object_lock", method="DELETE", path="/v1/storage/buckets/b-1/object-lock", project="web")
case("deleting the organization needs step-up even for the owner", "owen_all", "owen", "step_up_required", action="org.organization.delete")
case("a downscope cannot lift step-up", "alice_down", "alice", "step_up_required", failed=["step_up_required"], action="storage.buckets.disable_object_lock", project="web", ip="203.0.113.1")
case("member without role and step-up", "alice_inherit", "alice", "not_in_role", failed=["not_in_role", "step_up_required"], action="storage.buckets.disable_object_lock", project="data")
# quarantine (a leaked token, under a policy that quarantines leaked tokens)
case("a quarantined token still reads", "alice_quarantined", "alice", "allowed", permission="compute.servers.list", action="compute.servers.list", project="web")
case("a quarantined token makes no change", "alice_quarantined", "alice", "quarantined", action="compute.servers.create", project="web")
case("nor rotates itself, by route", "alice_quarantined", "alice", "quarantined", permission="iam.tokens.rotate", method="POST", path="/v1/iam/tokens/tok_alic11/rotate", project="web")
case("a quarantine in the future has not happened yet", "alice_quarantined_later", "alice", "allowed", action="compute.servers.create", project="web")
case("the role's refusal comes before the quarantine", "alice_quarantined", "alice", "not_in_role", failed=["not_in_role", "quarantined"], action="compute.servers.create", project="data")
case("an unknown action skips the quarantine", "alice_quarantined", "alice", "unknown_action", action="compute.servers.explode", project="web")
# orders
case("every check fails that can: the first in order is the reason", "alice_revoked", "alice_suspended", "revoked",
     failed=["revoked", "expired", "owner_inactive", "project_out_of_scope", "not_in_role", "step_up_required"], action="storage.buckets.disable_object_lock", project="prod", organization="acme")
case("ip failure comes before scope, role and downscope", "alice_down", "alice", "ip_not_allowed",
     failed=["ip_not_allowed", "project_out_of_scope", "not_in_role", "not_in_token_permissions"], action="compute.servers.create", project="prod", ip="192.0.2.1")
case("tag failure comes after downscope", "ci_down", "ci", "not_in_token_permissions", failed=["not_in_token_permissions", "tag_mismatch"], action="storage.buckets.create", project="web", tags={"env": "dev"})

effective = [
  {"name": "downscoped user token in its project", "token": "alice_down", "owner": "alice", "project": "web",
   "permissions": ["compute.servers.list", "compute.servers.get",
     "storage.volumes.list", "storage.volumes.get", "storage.volumes.create", "storage.volumes.update", "storage.volumes.delete", "storage.volumes.attach", "storage.volumes.detach",
     "storage.buckets.list", "storage.buckets.get", "storage.buckets.create", "storage.buckets.update", "storage.buckets.delete", "storage.buckets.enable_object_lock",
     "storage.objects.list", "storage.objects.get", "storage.objects.put", "storage.objects.delete",
     "storage.objects.tag", "storage.objects.abort_upload", "storage.objects.list_parts"]},
  {"name": "downscoped user token where the owner is read_only", "token": "alice_down", "owner": "alice_demoted", "project": "web",
   "permissions": ["compute.servers.list", "compute.servers.get", "storage.volumes.list", "storage.volumes.get", "storage.buckets.list", "storage.buckets.get", "storage.objects.list", "storage.objects.get", "storage.objects.list_parts"]},
  {"name": "project outside the scope has nothing", "token": "alice_down", "owner": "alice", "project": "data", "permissions": []},
  {"name": "service account resource wildcard", "token": "ci_down", "owner": "ci", "project": "web",
   "permissions": ["compute.servers.list", "compute.servers.get", "compute.servers.create", "compute.servers.update", "compute.servers.delete", "compute.servers.start", "compute.servers.stop", "compute.servers.reboot", "compute.servers.console"]},
  {"name": "org admin at organization level", "token": "olga_all", "owner": "olga", "project": None,
   "permissions": ["org.audit_streams.list", "org.audit_streams.get", "org.audit_streams.create", "org.audit_streams.update", "org.audit_streams.delete", "org.audit_streams.test",
                   "org.settings.get", "org.settings.update", "org.members.list", "org.members.get", "org.members.invite", "org.members.update", "org.members.remove", "org.members.revoke_tokens",
                   "org.service_accounts.list", "org.service_accounts.create", "org.service_accounts.delete",
                   "org.secret_scanning_keys.create", "org.secret_scanning_keys.delete"]},
  {"name": "demoted org admin's all-projects token has nothing", "token": "olga_all", "owner": "olga_demoted", "project": "web", "permissions": []},
  {"name": "downscope naming IAM, member role", "token": "alice_iam", "owner": "alice", "project": "web",
   "permissions": ["iam.tokens.list", "iam.tokens.get", "iam.tokens.create", "iam.tokens.rotate", "iam.tokens.revoke",
                   "iam.service_accounts.list", "iam.service_accounts.get", "iam.service_accounts.list_tokens", "iam.access_keys.list", "iam.trusts.list", "iam.members.list", "iam.members.get"]},
]
doc = {
  "$schema": "../../schema/clouddigit.schema.json#/$defs/AuthorizeVectors",
  "description": "Evaluator cases. Each case: prepare tokens[token] and owners[owner], decide `request` (under the organization's token `policy` when the case has one); the decision must have exactly `allowed`, `reason`, the failing checks `failed` (in check order) and, when given, the mapped `permission`. Each `effective` entry: effective_permissions(token, owner, project) must equal `permissions` (catalog order).",
  "owners": owners, "tokens": tokens, "cases": cases, "effective": effective,
}
out = json.dumps(doc, indent=1)
(Path(__file__).resolve().parents[1] / "vectors" / "authorize.json").write_text(out + "\n")
print(len(cases), "cases", len(effective), "effective")
