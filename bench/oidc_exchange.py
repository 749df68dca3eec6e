"""Token-exchange latency against a running sandbox, with a warm JWKS cache.

An issuer of this script's own (RS256, as GitHub Actions signs; served on loopback)
signs N distinct tokens up front; each is exchanged once (a jti is used once), one after
another over one keep-alive connection, and the latencies' percentiles are printed.
The first exchanges warm the issuer's JWKS in the sandbox and are not counted.

    python bench/oidc_exchange.py http://127.0.0.1:8787 TOKEN_FILE [N]
"""

from __future__ import annotations

import http.client
import json
import statistics
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

AUD = "https://iam.clouddigit.ai/acme"


def serve_issuer() -> tuple[str, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": "bench", "alg": "RS256", "use": "sig"})
    state: Dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            body = ({"issuer": state["url"], "jwks_uri": state["url"] + "/keys"}
                    if self.path.startswith("/.well-known") else {"keys": [jwk]})
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return state["url"], key


def main() -> int:
    base, token_file = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 2000
    owner = Path(token_file).read_text().strip()
    u = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(u.hostname or "127.0.0.1", u.port or 80)

    def api(method: str, path: str, body: Any = None) -> Any:
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers={"Authorization": f"Bearer {owner}", "Content-Type": "application/json"})
        r = conn.getresponse()
        data = r.read()
        assert r.status < 300, (r.status, data[:300])
        return json.loads(data) if data else None

    issuer, key = serve_issuer()
    sa = api("POST", "/v1/iam/service-accounts?project=web",
             {"name": f"bench-{int(time.time())}", "role": "member", "project": "web"})["service_account"]["id"]
    api("POST", f"/v1/iam/service-accounts/{sa}/trusts",
        {"name": "bench", "issuer": issuer, "audiences": [AUD], "subject": "repo:acme/web:ref:refs/heads/*",
         "claims": {"repository_owner_id": "4242"}})
    warm = 50
    now = int(time.time())
    tokens = [jwt.encode({"iss": issuer, "aud": AUD, "iat": now, "exp": now + 3600, "jti": f"b-{i}",
                          "sub": "repo:acme/web:ref:refs/heads/main", "repository_owner_id": "4242"},
                         key, algorithm="RS256", headers={"kid": "bench"}) for i in range(n + warm)]
    lat = []
    for i, t in enumerate(tokens):
        form = urllib.parse.urlencode({
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange", "subject_token": t,
            "subject_token_type": "urn:ietf:params:oauth:token-type:jwt", "audience": sa})
        t0 = time.perf_counter()
        conn.request("POST", "/realms/acme/protocol/openid-connect/token", body=form,
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        r = conn.getresponse()
        r.read()
        dt = time.perf_counter() - t0
        assert r.status == 200, r.status
        if i >= warm:
            lat.append(dt * 1000)
    lat.sort()
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]  # noqa: E731
    print(f"token exchange, warm JWKS cache, RS256, {n} exchanges one after another:")
    print(f"  p50 {q(0.50):.2f} ms   p90 {q(0.90):.2f} ms   p99 {q(0.99):.2f} ms   "
          f"mean {statistics.mean(lat):.2f} ms   ({n / (sum(lat) / 1000):.0f} exchanges/s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
