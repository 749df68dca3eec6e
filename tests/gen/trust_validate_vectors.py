"""Writes tests/vectors/trust_validate.json: trust drafts and the errors and warnings the
trust form must show for each, written by hand here (the core is not asked), each case
with the reason it exists. Every code of `TrustIssueCode` is reached by some case
(tests/vectors/codes.json lists them under `trust_validate`).

    python3 tests/gen/trust_validate_vectors.py

Standard library only.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "vectors" / "trust_validate.json"
GITHUB = "https://token.actions.githubusercontent.com"
AUD = "https://iam.clouddigit.ai/acme"

# What the GitHub Actions branch preset drafts for acme/web and main, named, with the
# owner's id filled in: the clean starting point every case changes one thing of.
BASE = {
    "name": "web-deploy",
    "issuer": GITHUB,
    "audiences": [AUD],
    "subject": "repo:acme/web:ref:refs/heads/main",
    "claims": {"repository_owner_id": "4242"},
    "lifetime_minutes": 15,
    "permissions": None,
    "projects": None,
    "allowed_ips": [],
}

CASES: list[dict] = []


def case(title: str, why: str, /, errors=(), warnings=(), **changes) -> None:
    spec = copy.deepcopy(BASE)
    for k, v in changes.items():
        if v is DROP:
            spec.pop(k)
        else:
            spec[k] = v
    CASES.append(
        {
            "name": title,
            "why": why,
            "spec": spec,
            "expect": {"errors": [list(e) for e in errors], "warnings": [list(w) for w in warnings]},
        }
    )


DROP = object()

case("the branch preset with its owner id pinned is clean",
     "The starting point: an exact subject and the owner's numeric id; nothing to say.")
case("defaults fill what a minimal draft leaves out",
     "subject, claims, lifetime, permissions, projects and allowed IPs all have defaults (15 minutes, the account's scope): a draft of four fields is complete.",
     claims=DROP, lifetime_minutes=DROP, permissions=DROP, projects=DROP, allowed_ips=DROP)
case("a blank name",
     "The name says which pipeline the trust is for; spaces only are no name.",
     errors=[("name", "name_required")], name="   ")
case("a name of 65 characters",
     "Names are at most 64 characters (counted as characters, not bytes).",
     errors=[("name", "name_too_long")], name="é" * 65)
case("an issuer over plain http",
     "Tokens are checked against the issuer's keys, fetched from its URL: https only, except to this machine.",
     errors=[("issuer", "issuer_invalid")], issuer="http://ci.example.com")
case("an issuer with a query",
     "`iss` is compared exactly and the discovery document is found under it: no query or fragment.",
     errors=[("issuer", "issuer_invalid")], issuer="https://ci.example.com/?tenant=1")
case("a development issuer on this machine",
     "http is allowed to 127.0.0.1 and localhost, for the sandbox's own issuer.",
     issuer="http://127.0.0.1:8787/_sandbox/oidc")
case("an issuer ending in a slash",
     "Allowed, but a warning: most issuers' `iss` has no trailing slash, and it is compared exactly.",
     warnings=[("issuer", "issuer_unknown")], issuer="https://gitlab.example.com/")
case("no audience",
     "Without an audience any token the issuer signs for any service would do.",
     errors=[("audiences", "audience_required")], audiences=[])
case("nine audiences",
     "At most 8 audiences.",
     errors=[("audiences", "too_many_conditions")], audiences=[f"{AUD}/{i}" for i in range(9)])
case("a blank audience among good ones",
     "Each audience is 1 to 512 characters; the field names the entry.",
     errors=[("audiences[1]", "audience_invalid")], audiences=[AUD, " "])
case("a * audience",
     "Audiences are compared exactly, so `*` is no wildcard: a warning that it only admits tokens minted for the audience `*`.",
     warnings=[("audiences[0]", "audience_wildcard")], audiences=["*"])
case("no subject and no claim condition",
     "GitHub's rule: at least one condition. Without one, every workflow of every repository would be let in.",
     errors=[("subject", "condition_required")], subject=None, claims={})
case("a blank subject and no claims",
     "A subject of spaces counts as none.",
     errors=[("subject", "condition_required")], subject="  ", claims={})
case("a claim condition alone is enough",
     "A pinned claim is a condition: no subject is needed.",
     subject=None, claims={"repository_id": "99"})
case("the subject * with no claims",
     "`*` matches every subject: refused, and warned as a name glob without an id.",
     errors=[("subject", "condition_matches_everything")],
     warnings=[("subject", "subject_glob_without_id")], subject="*", claims={})
case("the subject * with only * claims",
     "Claims of `*` pin nothing either; the id claim is present, so there is no glob warning.",
     errors=[("subject", "condition_matches_everything")], subject="**", claims={"repository_owner_id": "*"})
case("a glob over the organization's name without an id",
     "Whoever registers the name `acme` after it is freed would match: pin repository_owner_id.",
     warnings=[("subject", "subject_glob_without_id")], subject="repo:acme/*", claims={})
case("a branch glob pinned by the owner's id",
     "The same glob with the id pinned is fine.",
     subject="repo:acme/web:ref:refs/heads/*")
case("a GitLab glob pinned by namespace_id",
     "namespace_id is GitLab's id claim.",
     issuer="https://gitlab.com", subject="project_path:acme/*:ref_type:branch:ref:main", claims={"namespace_id": "77"})
case("a condition on aud",
     "iss, aud, exp, nbf, iat, jti and sub are the exchange's own checks; a claim condition may not name them.",
     errors=[("claims.aud", "claim_reserved")], claims={"aud": AUD, "repository_owner_id": "4242"})
case("the preset's id claim left empty",
     "The presets draft the id claim with no value; the form refuses it until it is filled in.",
     errors=[("claims.repository_owner_id", "claim_invalid")], claims={"repository_owner_id": ""})
case("seventeen claim conditions",
     "At most 16 claim conditions.",
     errors=[("claims", "too_many_conditions")], claims={**{f"c{i:02}": "x" for i in range(16)}, "repository_owner_id": "4242"})
case("a lifetime of 0 minutes",
     "A minted token lives 1 to 60 minutes.",
     errors=[("lifetime_minutes", "lifetime_invalid")], lifetime_minutes=0)
case("a lifetime of 61 minutes",
     "An hour at most.",
     errors=[("lifetime_minutes", "lifetime_invalid")], lifetime_minutes=61)
case("a lifetime of 60 minutes",
     "The longest allowed.",
     lifetime_minutes=60)
case("a downscope with a permission not in the catalog",
     "Wildcards are read as the catalog reads them; a name it lacks is an error at its index.",
     errors=[("permissions[1]", "permission_unknown")], permissions=["compute.*", "compute.servers.teleport"])
case("a project the account does not reach",
     "The minted tokens are bounded by the account: only its projects (here web and api).",
     errors=[("projects[1]", "project_unknown")], projects=["web", "prod"])
case("allowed IPs with host bits set",
     "Every allow-list error of the core's parser is reported as invalid_cidr at the entry's index.",
     errors=[("allowed_ips[1]", "invalid_cidr")], allowed_ips=["10.0.0.0/8", "10.0.0.1/8"])
case("several problems at once, in the form's order",
     "Errors come field by field: issuer, claims, lifetime, permissions, projects, allowed IPs.",
     errors=[("issuer", "issuer_invalid"), ("claims.exp", "claim_reserved"), ("lifetime_minutes", "lifetime_invalid"),
             ("permissions[0]", "permission_unknown"), ("projects[0]", "project_unknown"), ("allowed_ips[0]", "invalid_cidr")],
     issuer="ftp://ci.example.com", claims={"exp": "1", "repository_owner_id": "4242"}, lifetime_minutes=90,
     permissions=["nope.nope.nope"], projects=["prod"], allowed_ips=["300.0.0.0/8"])


def main() -> None:
    doc = {
        "$schema": "../../schema/clouddigit.schema.json#/$defs/TrustValidateVectors",
        "description": (
            "Trust-form validation (validate_trust). Each case: validate `spec` (a TrustSpec) for an account "
            "that reaches `account_projects`; the result must have exactly the errors and warnings given as "
            "[field, code], in order, each with a message. `why` says what the case is for. Generated by "
            "tests/gen/trust_validate_vectors.py; the expectations are written there by hand."
        ),
        "account_projects": ["web", "api"],
        "cases": CASES,
    }
    OUT.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({len(CASES)} cases)")


if __name__ == "__main__":
    main()
