"""Frozen entry point of ``commandroom-server`` (the county-server build of ``build.spec``).

``commandroom-server`` runs ``commandroom serve`` with the same flags (``--db``, ``--host``,
``--port``, ``--tls-cert``, ``--tls-key``); the server-side subcommands work too
(``commandroom-server migrate``, ``seed``, ``user add …``, ``audit verify``).
``commandroom-server --self-test`` checks the build on a temporary database and exits
(see ``commandroom.server.selftest``). This build carries no Qt: desktop subcommands
answer that no frontend is installed.
"""

from __future__ import annotations

import multiprocessing
import sys

SERVER_SUBCOMMANDS = ("serve", "seed", "migrate", "user", "audit", "simulate",
                      "desktop", "wall", "demo")  # the last three only say that this build has no desktop


def server_argv(argv: list[str]) -> list[str]:
    """``argv`` with ``serve`` put first unless it already names a subcommand (or asks for help)."""
    if argv and (argv[0] in SERVER_SUBCOMMANDS or argv[0] in ("-h", "--help")):
        return argv
    return ["serve", *argv]


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--self-test" in argv:
        from commandroom.server.selftest import run_self_test

        return run_self_test()
    from commandroom.cli import main as cli_main

    return cli_main(server_argv(argv))


if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
