"""The default transport follows redirects by the core's rule, as every SDK does: the
token goes only back to the origin it was meant for (urllib would carry it anywhere),
and plain http only to this machine."""

from __future__ import annotations

import http.server
import threading
from typing import Callable, Iterator, List, Tuple

import pytest

from clouddigit import Client, ConfigError, NotFoundError, TransportError

TOKEN = "cd_a1B2c3D4e5F6g7H8i9J0kLmNoPqRsTuVwXyZ0hDJrA"
Reply = Callable[[str], Tuple[int, List[Tuple[str, str]], bytes]]


class _Server:
    def __init__(self, reply: Reply) -> None:
        self.seen: List[Tuple[str, dict[str, str]]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
                outer.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                status, headers, body = reply(self.path)
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def servers() -> Iterator[List[_Server]]:
    made: List[_Server] = []
    yield made
    for s in made:
        s.httpd.shutdown()


def _not_found(_: str) -> Tuple[int, List[Tuple[str, str]], bytes]:
    return 404, [("Content-Type", "application/json")], b'{"code":"not_found","message":"no","request_id":"r"}'


def test_a_redirect_to_another_origin_leaves_the_token_behind(servers: List[_Server]) -> None:
    other = _Server(_not_found)
    first = _Server(lambda _: (307, [("Location", f"{other.url}/v1/iam/whoami")], b""))
    servers += [other, first]
    client = Client(token=TOKEN, base_url=f"{first.url}/v1", max_retries=0, env=False)
    with pytest.raises(NotFoundError):
        client.whoami()
    assert first.seen[0][1]["authorization"].startswith("Bearer cd_")
    assert other.seen, "the redirect was followed"
    assert "authorization" not in other.seen[0][1], other.seen[0][1]


def test_a_redirect_on_the_same_origin_keeps_it(servers: List[_Server]) -> None:
    def reply(path: str) -> Tuple[int, List[Tuple[str, str]], bytes]:
        if path == "/v1/iam/whoami":
            return 308, [("Location", "/v1/iam/whoami2")], b""
        return _not_found(path)

    s = _Server(reply)
    servers.append(s)
    with pytest.raises(NotFoundError):
        Client(token=TOKEN, base_url=f"{s.url}/v1", max_retries=0, env=False).whoami()
    assert [p for p, _ in s.seen] == ["/v1/iam/whoami", "/v1/iam/whoami2"]
    assert s.seen[1][1]["authorization"].startswith("Bearer cd_")


def test_plain_http_elsewhere_is_refused(servers: List[_Server]) -> None:
    with pytest.raises(ConfigError) as e:
        Client(token=TOKEN, base_url="http://api.example.com/v1", env=False)
    assert e.value.code == "insecure_base_url"
    Client(token=TOKEN, base_url="http://api.example.com/v1", env=False, allow_insecure_http=True)
    s = _Server(lambda _: (302, [("Location", "http://192.0.2.1/v1/iam/whoami")], b""))
    servers.append(s)
    with pytest.raises(TransportError) as t:
        Client(token=TOKEN, base_url=f"{s.url}/v1", max_retries=0, env=False).whoami()
    assert "plain http" in str(t.value)
