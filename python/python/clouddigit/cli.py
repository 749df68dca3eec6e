"""The ``clouddigit`` command: offline tools for tokens and service accounts.

Every command, option and message lives in the Rust core (the same code
``npx @clouddigit/sdk`` runs); this module only hands it the arguments and exits with
its status: 0 success, 1 a denial or a finding, 2 bad input.
"""

from __future__ import annotations

import os
import sys

from ._native import run_cli

TYPE_CHECKING = False  # typing is not imported at run time: the command starts faster
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import NoReturn, Optional


def main(argv: Optional[Sequence[str]] = None) -> NoReturn:
    """Runs ``clouddigit`` with ``argv`` (default ``sys.argv[1:]``) and exits."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        code = run_cli(args)
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
