"""Frozen entry point of ``CommandRoom`` (the desktop build of ``build.spec``).

``CommandRoom`` takes the flags of ``commandroom desktop`` (``--self-test``, ``--server``,
``--profile``, ``--language``, ``--theme``, ``--workstation``); ``CommandRoom wall`` opens the
wall screen. The command line is parsed by ``commandroom.cli``, but the frontends are
looked up here rather than through the ``commandroom.frontends`` entry points: a frozen
build does not necessarily carry the package metadata that entry points are read from.
"""

from __future__ import annotations

import multiprocessing
import os
import sys

FRONTENDS = {"desktop": ("ui.app", "run_desktop"), "wall": ("ui.wall.app", "run_wall")}
SUBCOMMANDS = ("desktop", "wall")


def frozen_frontend(name: str):  # noqa: ANN201 - the frontend's run function
    """The run function of a bundled frontend (replaces ``commandroom.cli.frontend``)."""
    import importlib

    from commandroom.cli import NotLanded

    if name not in FRONTENDS:
        raise NotLanded(f"this build has no '{name}' frontend")
    module, attr = FRONTENDS[name]
    return getattr(importlib.import_module(module), attr)


def desktop_argv(argv: list[str]) -> list[str]:
    """``argv`` with ``desktop`` put first unless it already names a subcommand (or asks for help)."""
    if argv and (argv[0] in SUBCOMMANDS or argv[0] in ("-h", "--help")):
        return argv
    return ["desktop", *argv]


def _console_for_self_test(argv: list[str]) -> None:
    """A windowed Windows build has no stdout: print the self-test's lines to the console it was started from."""
    if sys.stdout is not None or "--self-test" not in argv or os.name != "nt":
        return
    import ctypes

    if ctypes.windll.kernel32.AttachConsole(-1):  # ATTACH_PARENT_PROCESS
        sys.stdout = open("CONOUT$", "w", encoding="utf-8", errors="replace")  # noqa: SIM115 - for the process's life
        sys.stderr = sys.stdout


def bundle_problems() -> list[str]:
    """Files the desktop finds by path at run time that are missing (in a build: not bundled where the code looks)."""
    import importlib.util
    from pathlib import Path

    from PySide6.QtCore import QLibraryInfo

    from commandroom.refdata.geo import DEFAULT_DATA_DIR
    from commandroom.store.migrate import MIGRATIONS_DIR
    from ui.i18n import I18N_DIR
    from ui.map.page import _vendor_files
    from ui.theme import STYLES

    wanted = [DEFAULT_DATA_DIR / "townships.csv", MIGRATIONS_DIR / "env.py", I18N_DIR / "zh_CN.qm", STYLES / "app.qss",
              *_vendor_files().values(),
              Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)) / "qtbase_zh_CN.qm"]
    problems = [f"missing {path}" for path in wanted if not Path(path).is_file()]
    spec = importlib.util.find_spec("qtawesome")  # ui.theme reads the icon font this way, without importing it
    fonts = Path(list(spec.submodule_search_locations)[0]) / "fonts" if spec and spec.submodule_search_locations else None
    if fonts is None or not any(fonts.glob("fontawesome5-solid-webfont-*.ttf")):
        problems.append(f"missing the Font Awesome font of qtawesome (looked in {fonts})")
    return problems


def main(argv: list[str] | None = None) -> int:
    argv = desktop_argv(list(sys.argv[1:] if argv is None else argv))
    _console_for_self_test(argv)  # run_desktop itself makes --self-test offscreen
    import commandroom.cli as cli

    cli.frontend = frozen_frontend
    problems = bundle_problems() if "--self-test" in argv else []
    for problem in problems:
        print(f"self-test: {problem}", flush=True)
    if "--self-test" in argv and not problems:
        print(f"self-test: bundled files found ({'frozen' if getattr(sys, 'frozen', False) else 'source'})", flush=True)
    rc = cli.main(argv)
    return rc or (1 if problems else 0)


if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
