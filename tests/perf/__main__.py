"""Run the benchmarks: ``python -m tests.perf [name ...]``; prints a Markdown table."""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import traceback
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    wanted = [n if n.startswith("bench_") else f"bench_{n}" for n in argv]
    if wanted:
        names = [n for n in names if n in wanted]
    print("| measure | value | baseline or limit (same run) | ratio | target | verdict |")
    print("|---|---|---|---|---|---|")
    failed = 0
    for name in names:
        try:
            module = importlib.import_module(f"tests.perf.{name}")
            for measure in module.run():
                print(measure.row(), flush=True)
                failed += 0 if measure.ok else 1
        except Exception:  # noqa: BLE001 - report and go on with the others
            print(f"| {name} | error | | | | ERROR |", flush=True)
            traceback.print_exc()
            failed += 1
    print(f"\n{len(names)} benchmark modules, {failed} measures missed or failed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
