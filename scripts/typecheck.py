"""The type check of ``make lint``: basedpyright on ``commandroom/``, against a baseline that may only shrink.

    python scripts/typecheck.py              fail on any error that is not in typecheck-baseline.json,
                                             and on baseline entries that are gone (shrink it then)
    python scripts/typecheck.py --shrink     drop the entries that are gone from the baseline
    python scripts/typecheck.py --rebaseline write the current errors as the baseline (only when code
                                             moved: the entries are keyed by file, so a moved file's
                                             errors look new; the diff of the baseline shows it)

An error is keyed by file, rule and message, not by line, so edits above an old error do not make
it new. The settings (scope, strictness) are in pyproject.toml under ``[tool.basedpyright]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "typecheck-baseline.json"

Key = tuple[str, str, str]


def _checker() -> str:
    """The basedpyright of this interpreter's environment (it carries its own Node.js)."""
    local = Path(sys.executable).parent / ("basedpyright.exe" if sys.platform == "win32" else "basedpyright")
    found = str(local) if local.is_file() else shutil.which("basedpyright")
    if not found:
        raise SystemExit("basedpyright is not installed: `make` installs it (the dev extra)")
    return found


def current_errors() -> tuple[Counter[Key], dict[Key, list[str]]]:
    """The errors basedpyright reports now, counted by key, and where each key occurs (``file:line``)."""
    run = subprocess.run([_checker(), "--outputjson", "--pythonpath", sys.executable],
                         cwd=ROOT, capture_output=True, text=True, encoding="utf-8")
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        raise SystemExit(f"basedpyright gave no report (exit {run.returncode}):\n{run.stdout}{run.stderr}") from None
    counts: Counter[Key] = Counter()
    where: dict[Key, list[str]] = {}
    for diag in report["generalDiagnostics"]:
        if diag["severity"] != "error":
            continue
        file = Path(diag["file"]).resolve().relative_to(ROOT).as_posix()
        key = (file, diag.get("rule", ""), diag["message"])
        counts[key] += 1
        where.setdefault(key, []).append(f"{file}:{diag['range']['start']['line'] + 1}")
    return counts, where


def read_baseline() -> Counter[Key]:
    if not BASELINE.is_file():
        return Counter()
    entries = json.loads(BASELINE.read_text(encoding="utf-8"))
    return Counter({(e["file"], e["rule"], e["message"]): e["count"] for e in entries})


def write_baseline(counts: Counter[Key]) -> None:
    entries = [{"file": f, "rule": r, "message": m, "count": n} for (f, r, m), n in sorted(counts.items()) if n > 0]
    BASELINE.write_text(json.dumps(entries, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--shrink", action="store_true", help="drop the baseline entries that are gone")
    mode.add_argument("--rebaseline", action="store_true", help="write the current errors as the baseline")
    args = parser.parse_args(argv)

    counts, where = current_errors()
    baseline = read_baseline()
    if args.rebaseline:
        write_baseline(counts)
        print(f"typecheck: baseline written, {sum(counts.values())} errors")
        return 0
    new = counts - baseline
    gone = baseline - counts
    if args.shrink:
        write_baseline(baseline - gone)
        print(f"typecheck: {sum(gone.values())} fixed errors dropped from the baseline, "
              f"{sum((baseline - gone).values())} left")
        gone = Counter()
    for (file, rule, message), n in sorted(new.items()):
        places = ", ".join(where[(file, rule, message)])
        print(f"new type error ({rule}, {n} more than the baseline) at {places}:\n    {message}")
    if gone:
        print(f"typecheck: {sum(gone.values())} baseline errors are fixed: run "
              "`python scripts/typecheck.py --shrink` and commit typecheck-baseline.json")
    if new or gone:
        return 1
    print(f"typecheck: no new errors ({sum(counts.values())} in the baseline)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
