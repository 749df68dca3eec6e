"""The ``clouddigit`` command: tokens and service accounts, offline and online.

Every command, option and message lives in the Rust core (the same code
``npx @clouddigit/sdk`` runs); this module only hands it the arguments, the SDK's
:class:`~clouddigit.Client` for the online commands and the terminal's prompts, and exits
with its status: 0 success, 1 a denial or a finding, 2 bad input, 3 an API or network
error.
"""

from __future__ import annotations

import os
import sys

from ._native import run_cli

TYPE_CHECKING = False  # typing is not imported at run time: the command starts faster
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any, Dict, NoReturn, Optional

    from .client import Client
    from .errors import ApiError


def _error(e: ApiError) -> Dict[str, Any]:
    return {
        "kind": e.kind,
        "code": e.code,
        "message": e.message,
        "status": e.status,
        "request_id": e.request_id,
        "field_errors": e.field_errors,
        "retries": e.retries,
    }


class _Host:
    """What the command asks of Python: a ``Client`` built as a script's would be (the
    session's credential chain), one session command run on it, and prompts. Answers
    are ``{"ok": ...}`` or ``{"error": ...}``: the SDK's exceptions as data. The client
    is imported on the first online command only (offline commands start faster)."""

    _OPTIONS = ("token", "profile", "base_url", "region", "allow_insecure_http")

    def __init__(self) -> None:
        self._client: Optional[Client] = None

    def connect(self, options: Dict[str, Any]) -> Dict[str, Any]:
        from .client import Client
        from .errors import ApiError

        try:
            self._client = Client(**{k: options[k] for k in self._OPTIONS if k in options})
            return {"ok": self._client._session.credential_source()}
        except ApiError as e:
            return {"error": _error(e)}

    def run(self, command: Dict[str, Any]) -> Dict[str, Any]:
        from .errors import ApiError

        if self._client is None:
            return {"error": {"kind": "config", "code": "internal", "message": "not connected", "status": None, "request_id": None}}
        try:
            return {"ok": self._client._drive(command)}
        except ApiError as e:
            return {"error": _error(e)}

    def post(self, request: Dict[str, Any]) -> Dict[str, Any]:
        """One plain POST outside the API client (``scan --report-to``): the body as
        exactly these UTF-8 bytes (they are signed), no redirect followed, any status
        answered; only no answer at all (connection, TLS, timeout) is an error. The core
        has already checked the URL (https, or http to this machine)."""
        from .client import HttpRequest, UrllibTransport

        req = HttpRequest(
            "POST",
            str(request["url"]),
            [(str(k), str(v)) for k, v in request["headers"]],
            str(request["body"]).encode("utf-8"),
            30.0,
        )
        try:
            resp = UrllibTransport()._send_once(req)
        except (OSError, ValueError) as e:
            message = str(e) or type(e).__name__
            return {"error": {"kind": "transport", "code": "no_answer", "message": message, "status": None, "request_id": None}}
        return {"ok": {"status": resp.status, "body": resp.body}}

    def prompt(self, ask: Dict[str, Any]) -> Dict[str, Any]:
        """Questions go to stderr (stdout is the command's output); the token is read
        with echo off."""
        import getpass

        try:
            if ask["secret"]:
                return {"ok": getpass.getpass(ask["question"], stream=sys.stderr)}
            sys.stderr.write(ask["question"])
            sys.stderr.flush()
            line = sys.stdin.readline()
            return {"ok": line.rstrip("\n") if line else None}
        except EOFError:
            return {"ok": None}


def main(argv: Optional[Sequence[str]] = None) -> NoReturn:
    """Runs ``clouddigit`` with ``argv`` (default ``sys.argv[1:]``) and exits."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        code = run_cli(args, _Host())
    except BrokenPipeError:
        # The reader went away (``clouddigit catalog | head``): stop quietly, and keep
        # the interpreter from failing again when it flushes stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = 1
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)


if __name__ == "__main__":
    main()
