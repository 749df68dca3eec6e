import json
perms = []
def add(name, role, routes, read=None, scope="project", step_up=False, summary=""):
    svc, res, verb = name.split(".")
    if read is None:
        read = verb in ("list", "get")
    perms.append({"name": name, "role": role, "scope": scope, "read_only": read, "step_up": step_up,
                  "routes": routes, "summary": summary})

def crud(svc, res, path, verbs=("list","get","create","update","delete"), extra=(), label=None):
    label = label or res.replace("_", " ")
    singular = label[:-1] if label.endswith("s") else label
    base = f"/v1/{path}"
    for v in verbs:
        if v == "list": add(f"{svc}.{res}.list", "read_only", [f"GET {base}"], summary=f"List {label}")
        elif v == "get": add(f"{svc}.{res}.get", "read_only", [f"GET {base}/{{id}}"], summary=f"Show one {singular}")
        elif v == "create": add(f"{svc}.{res}.create", "member", [f"POST {base}"], summary=f"Create a {singular}")
        elif v == "update": add(f"{svc}.{res}.update", "member", [f"PATCH {base}/{{id}}", f"PUT {base}/{{id}}"], summary=f"Change a {singular}")
        elif v == "delete": add(f"{svc}.{res}.delete", "member", [f"DELETE {base}/{{id}}"], summary=f"Delete a {singular}")
    for (v, role, route, read, summ, step) in extra:
        add(f"{svc}.{res}.{v}", role, [route.replace("{base}", base)], read=read, summary=summ, step_up=step)

crud("compute", "servers", "compute/servers", extra=[
    ("start", "member", "POST {base}/{id}/start", False, "Start a server", False),
    ("stop", "member", "POST {base}/{id}/stop", False, "Stop a server", False),
    ("reboot", "member", "POST {base}/{id}/reboot", False, "Reboot a server", False),
    ("console", "member", "POST {base}/{id}/console", False, "Open a server's remote console", False),
])
crud("compute", "images", "compute/images")
crud("compute", "flavors", "compute/flavors", verbs=("list","get"))
crud("network", "vpcs", "network/vpcs", label="VPCs")
crud("network", "subnets", "network/subnets")
crud("network", "floating_ips", "network/floating-ips", verbs=("list","get","create","delete"), extra=[
    ("attach", "member", "POST {base}/{id}/attach", False, "Attach a floating IP to a server", False),
    ("detach", "member", "POST {base}/{id}/detach", False, "Detach a floating IP", False),
])
crud("network", "security_groups", "network/security-groups")
crud("storage", "volumes", "storage/volumes", extra=[
    ("attach", "member", "POST {base}/{id}/attach", False, "Attach a volume to a server", False),
    ("detach", "member", "POST {base}/{id}/detach", False, "Detach a volume", False),
])
crud("storage", "buckets", "storage/buckets", verbs=("list","get","create","update","delete"), extra=[
    ("enable_object_lock", "member", "POST {base}/{id}/object-lock", False, "Turn on Object Lock for a bucket", False),
    ("disable_object_lock", "member", "DELETE {base}/{id}/object-lock", False, "Turn off Object Lock for a bucket (needs MFA step-up)", True),
])
add("storage.objects.list", "read_only", ["GET /v1/storage/buckets/{bucket}/objects"], summary="List objects in a bucket")
add("storage.objects.get", "read_only", ["GET /v1/storage/buckets/{bucket}/objects/{key}"], summary="Download an object")
add("storage.objects.put", "member", ["PUT /v1/storage/buckets/{bucket}/objects/{key}"], summary="Upload an object")
add("storage.objects.delete", "member", ["DELETE /v1/storage/buckets/{bucket}/objects/{key}"], summary="Delete an object")
# What S3 asks for beyond reading and writing (as s3:PutObjectTagging,
# s3:AbortMultipartUpload and s3:ListMultipartUploadParts do).
add("storage.objects.tag", "member", ["PUT /v1/storage/buckets/{bucket}/objects/{key}/tags"], summary="Tag an object or remove its tags")
add("storage.objects.abort_upload", "member", ["DELETE /v1/storage/buckets/{bucket}/uploads/{id}"], summary="Abort a multipart upload")
add("storage.objects.list_parts", "read_only", ["GET /v1/storage/buckets/{bucket}/uploads/{id}"], read=True, summary="List the parts of a multipart upload")
crud("k8s", "clusters", "k8s/clusters", extra=[
    ("kubeconfig", "member", "GET {base}/{id}/kubeconfig", False, "Download an admin kubeconfig (a credential, so not a read)", False),
])
crud("databases", "postgres", "databases/postgres", label="PostgreSQL clusters")
crud("databases", "mysql", "databases/mysql", label="MySQL clusters")
crud("databases", "kafka", "databases/kafka", label="Kafka clusters")
crud("registry", "repositories", "registry/repositories", verbs=("list","get","create","delete"))
# IAM: personal tokens (the caller's own), service accounts, access keys, project members.
add("iam.tokens.list", "read_only", ["GET /v1/iam/tokens"], summary="List your API tokens")
add("iam.tokens.get", "read_only", ["GET /v1/iam/tokens/{id}"], summary="Show one of your API tokens")
add("iam.tokens.create", "member", ["POST /v1/iam/tokens"], summary="Create a personal API token")
add("iam.tokens.rotate", "member", ["POST /v1/iam/tokens/{id}/rotate"], summary="Rotate a personal API token")
add("iam.tokens.revoke", "member", ["DELETE /v1/iam/tokens/{id}"], summary="Revoke a personal API token")
crud("iam", "service_accounts", "iam/service-accounts", label="service accounts")
for p in perms:
    if p["name"].startswith("iam.service_accounts.") and not p["read_only"]:
        p["role"] = "admin"
add("iam.service_accounts.disable", "admin", ["POST /v1/iam/service-accounts/{id}/disable"], summary="Disable a service account")
add("iam.service_accounts.enable", "admin", ["POST /v1/iam/service-accounts/{id}/enable"], summary="Re-enable a service account")
add("iam.service_accounts.reset_secret", "admin", ["POST /v1/iam/service-accounts/{id}/secret"], summary="Reset a service account's OAuth client secret")
add("iam.service_accounts.list_tokens", "read_only", ["GET /v1/iam/service-accounts/{id}/tokens"], read=True, summary="List a service account's tokens")
add("iam.service_accounts.create_token", "admin", ["POST /v1/iam/service-accounts/{id}/tokens"], summary="Issue a token for a service account")
add("iam.service_accounts.rotate_token", "admin", ["POST /v1/iam/service-accounts/{id}/tokens/{token_id}/rotate"], summary="Rotate a service account token")
add("iam.service_accounts.revoke_token", "admin", ["DELETE /v1/iam/service-accounts/{id}/tokens/{token_id}"], summary="Revoke a service account token")
add("iam.access_keys.list", "read_only", ["GET /v1/iam/service-accounts/{id}/access-keys"], summary="List a service account's S3 access key ids")
add("iam.access_keys.create", "admin", ["POST /v1/iam/service-accounts/{id}/access-keys"], summary="Create an S3 access key pair")
add("iam.access_keys.delete", "admin", ["DELETE /v1/iam/service-accounts/{id}/access-keys/{key_id}"], summary="Delete an S3 access key pair")
add("iam.members.list", "read_only", ["GET /v1/iam/members"], summary="List the project's members")
add("iam.members.get", "read_only", ["GET /v1/iam/members/{id}"], summary="Show a project member")
add("iam.members.add", "admin", ["POST /v1/iam/members"], summary="Add a member to the project")
add("iam.members.update", "admin", ["PATCH /v1/iam/members/{id}"], summary="Change a member's project role")
add("iam.members.remove", "admin", ["DELETE /v1/iam/members/{id}"], summary="Remove a member from the project")
add("audit.events.list", "read_only", ["GET /v1/audit/events"], summary="Read the audit log")
add("audit.events.export", "read_only", ["GET /v1/audit/events/export"], read=True, summary="Export the audit log as JSON lines")
# Organization level: need an all-projects token.
def org(name, role, routes, read, summary, step_up=False):
    add(name, role, routes, read=read, scope="organization", summary=summary, step_up=step_up)
org("org.settings.get", "org_admin", ["GET /v1/org/settings"], True, "Show organization settings and token policy")
org("org.settings.update", "org_admin", ["PATCH /v1/org/settings"], False, "Change organization settings and token policy")
org("org.members.list", "org_admin", ["GET /v1/org/members"], True, "List organization members")
org("org.members.get", "org_admin", ["GET /v1/org/members/{id}"], True, "Show an organization member")
org("org.members.invite", "org_admin", ["POST /v1/org/members"], False, "Invite a member")
org("org.members.update", "org_admin", ["PATCH /v1/org/members/{id}"], False, "Change a member's organization role or status")
org("org.members.remove", "org_admin", ["DELETE /v1/org/members/{id}"], False, "Remove a member from the organization")
org("org.members.revoke_tokens", "org_admin", ["POST /v1/org/members/{id}/revoke-tokens"], False, "Revoke every token of a member")
org("org.service_accounts.list", "org_admin", ["GET /v1/org/service-accounts"], True, "List organization-level service accounts")
org("org.service_accounts.create", "org_admin", ["POST /v1/org/service-accounts"], False, "Create an organization-level service account")
org("org.service_accounts.delete", "org_admin", ["DELETE /v1/org/service-accounts/{id}"], False, "Delete an organization-level service account")
org("org.billing.get", "org_owner", ["GET /v1/org/billing"], True, "Show billing")
org("org.billing.update", "org_owner", ["PATCH /v1/org/billing"], False, "Change billing details")
org("org.organization.delete", "org_owner", ["DELETE /v1/org"], False, "Delete the organization", step_up=True)

# routes as objects
for p in perms:
    p["routes"] = [{"method": r.split(" ")[0], "path": r.split(" ")[1]} for r in p["routes"]]
    if not p["step_up"]: del p["step_up"]
names = [p["name"] for p in perms]
assert len(names) == len(set(names)), [n for n in names if names.count(n) > 1]
doc = {
  "$comment": "The Cloud Digit permission catalog and role table. One entry per permission (service.resource.verb): the least role that grants it, whether it is project- or organization-level, whether it only reads, whether it needs MFA step-up (which a token can never provide), and its REST routes under /v1. Roles form a chain: each grants everything the one it inherits grants. Embedded into clouddigit-core at build time; bump `version` on every change.",
  "version": "2026-11-23.1",
  "roles": [
    {"name": "read_only", "level": "project", "inherits": None, "summary": "Every read in the project."},
    {"name": "member", "level": "project", "inherits": "read_only", "summary": "Read-only, plus create, update, delete, start and stop of resources. No IAM administration."},
    {"name": "admin", "level": "project", "inherits": "member", "summary": "Everything in the project, including service accounts, access keys and members."},
    {"name": "org_admin", "level": "organization", "inherits": "admin", "summary": "Project admin in every project of the organization, plus organization settings and members."},
    {"name": "org_owner", "level": "organization", "inherits": "org_admin", "summary": "Organization admin, plus billing and deleting the organization."}
  ],
  "permissions": perms,
}
out = json.dumps(doc, indent=2)
# compact route objects and keep one permission readable
import re
out = re.sub(r'\{\n\s+"method": "([A-Z]+)",\n\s+"path": "([^"]+)"\n\s+\}', r'{ "method": "\1", "path": "\2" }', out)
open("/work/main/core/catalog/catalog.json", "w").write(out + "\n")
print(len(perms))
