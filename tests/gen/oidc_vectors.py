"""Writes tests/vectors/oidc.json: JWTs signed by PyJWT with `cryptography` keys (an
implementation independent of the core's), a JWKS, trusts, and the verdict every host's
core must give: the signature's (`ok` or a JwtError code), and which trust matches or
which check fails first.

    python3 -m venv /tmp/v && /tmp/v/bin/pip install pyjwt cryptography
    /tmp/v/bin/python tests/gen/oidc_vectors.py

Keys are generated afresh on each run; the file records the public JWKS only.
"""

from __future__ import annotations

import json
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

OUT = Path(__file__).resolve().parents[1] / "vectors" / "oidc.json"
NOW = 1_796_000_000  # 2026-11-30T...
ISS = "https://token.actions.githubusercontent.com"
AUD = "https://iam.clouddigit.ai/acme"

rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ec_key = ec.generate_private_key(ec.SECP256R1())
ed_key = ed25519.Ed25519PrivateKey.generate()
other_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk(key, kid: str, alg: str) -> dict:
    pub = key.public_key()
    if alg == "RS256":
        d = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(pub))
    elif alg == "ES256":
        d = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(pub))
    else:
        d = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(pub))
    d.update({"kid": kid, "use": "sig", "alg": alg})
    return d


JWKS = {"keys": [jwk(rsa_key, "rsa-1", "RS256"), jwk(ec_key, "ec-1", "ES256"), jwk(ed_key, "ed-1", "EdDSA")]}
KEYS = {"rsa-1": (rsa_key, "RS256"), "ec-1": (ec_key, "ES256"), "ed-1": (ed_key, "EdDSA")}


def claims(**over) -> dict:
    c = {
        "iss": ISS, "aud": AUD, "iat": NOW - 30, "nbf": NOW - 30, "exp": NOW + 270, "jti": "j-1",
        "sub": "repo:acme/web:ref:refs/heads/main", "repository": "acme/web",
        "repository_owner": "acme", "repository_owner_id": "4242", "ref": "refs/heads/main",
        "environment": "prod", "run_id": "987654321",
    }
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}


def sign(c: dict, kid: str = "rsa-1", key=None, alg=None) -> str:
    k, a = KEYS.get(kid, (None, None))
    return jwt.encode(c, key or k, algorithm=alg or a, headers={"kid": kid})


def trust(id: str, **over) -> dict:
    t = {"id": id, "name": id, "issuer": ISS, "audiences": [AUD], "subject": "repo:acme/web:ref:refs/heads/*",
         "claims": {"repository_owner_id": "4242"}, "lifetime_minutes": 15}
    t.update(over)
    return t


MAIN = trust("trust_main")
DEPLOY = trust("trust_deploy", subject="repo:acme/web:environment:prod", claims={"repository_owner_id": "4242"})
cases = []


def case(name: str, token: str, trusts: list, expect_signature: str, expect_trust, expect_failure=None, now=NOW):
    cases.append({"name": name, "jwt": token, "trusts": trusts, "now": now,
                  "expect": {"signature": expect_signature, "trust": expect_trust, "failure": expect_failure}})


case("RS256 token from main matches the branch trust", sign(claims()), [DEPLOY, MAIN], "ok", "trust_main")
case("ES256 key", sign(claims(), "ec-1"), [MAIN], "ok", "trust_main")
case("EdDSA key", sign(claims(), "ed-1"), [MAIN], "ok", "trust_main")
case("environment subject matches the deploy trust",
     sign(claims(sub="repo:acme/web:environment:prod")), [MAIN, DEPLOY], "ok", "trust_deploy")
case("pull request does not match a branch glob",
     sign(claims(sub="repo:acme/web:pull_request")), [MAIN], "ok", None, "subject")
case("another repository", sign(claims(sub="repo:acme/api:ref:refs/heads/main")), [MAIN], "ok", None, "subject")
case("resurrected owner name with another id", sign(claims(repository_owner_id="9999")), [MAIN], "ok", None, "claim")
case("wrong issuer", sign(claims(iss="https://gitlab.com")), [MAIN], "ok", None, "issuer")
case("wrong audience", sign(claims(aud="sts.amazonaws.com")), [MAIN], "ok", None, "audience")
case("audience in a list", sign(claims(aud=["sts.amazonaws.com", AUD])), [MAIN], "ok", "trust_main")
case("expired", sign(claims(exp=NOW - 61)), [MAIN], "ok", None, "expiry")
case("expired within the 60 s skew", sign(claims(exp=NOW - 59)), [MAIN], "ok", "trust_main")
case("not yet valid", sign(claims(nbf=NOW + 120)), [MAIN], "ok", None, "not_before")
case("issued in the future", sign(claims(iat=NOW + 120, nbf=None)), [MAIN], "ok", None, "issued_at")
case("no exp", sign(claims(exp=None)), [MAIN], "ok", None, "expiry")
case("numeric claim compared as text", sign(claims(repository_owner_id=4242)), [MAIN], "ok", "trust_main")
case("signed by a key not in the JWKS",
     jwt.encode(claims(), other_rsa, algorithm="RS256", headers={"kid": "rsa-1"}), [MAIN], "bad_signature", "trust_main")
case("unknown kid", jwt.encode(claims(), other_rsa, algorithm="RS256", headers={"kid": "rsa-9"}), [MAIN],
     "unknown_key", "trust_main")
case("HS256 is refused", jwt.encode(claims(), "a-shared-secret-of-32-bytes-long!", algorithm="HS256",
                                    headers={"kid": "rsa-1"}), [MAIN], "unsupported_algorithm", "trust_main")
tampered = sign(claims())
h, p, s = tampered.split(".")
import base64
body = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
body["sub"] = "repo:acme/web:ref:refs/heads/evil"
p2 = base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")
case("claims changed after signing", f"{h}.{p2}.{s}", [MAIN], "bad_signature", "trust_main")
case("an ES256 key used with the RSA kid's algorithm",
     jwt.encode(claims(), ec_key, algorithm="ES256", headers={"kid": "rsa-1"}), [MAIN], "unsupported_algorithm", "trust_main")
case("not a JWT", "not.a.jwt", [MAIN], "malformed_jwt", None, "malformed")

doc = {
    "description": "JWTs signed by PyJWT (cryptography keys) and trusts; the verdict every host's core gives: "
                   "`signature` is `ok` or a JwtError code from verifying against `jwks`; `trust` is the id of the "
                   "first matching trust (claims read whether or not the signature holds), else null with `failure` "
                   "the first failed check of the last trust. Generated by tests/gen/oidc_vectors.py.",
    "jwks": JWKS,
    "cases": cases,
}
OUT.write_text(json.dumps(doc, indent=1) + "\n")
print(f"{len(cases)} cases")
