"""Update the desktop's translations: ``python scripts/i18n.py [--check]``.

1. ``pyside6-lupdate`` scans every ``ui/**/*.py`` into ``resources/i18n/zh_CN.ts``
   (existing translations are kept, strings no longer in the code are dropped);
2. every message still without Chinese is filled from ``resources/i18n/zh_CN.json``
   (``"English source": "中文"``, or ``"Context|English source"`` for one context);
3. ``pyside6-lrelease`` compiles ``resources/i18n/zh_CN.qm``, which the app loads.

Commit the .json, .ts and .qm. To add a string: write it in English through ``self.tr`` /
``QCoreApplication.translate`` / ``QT_TRANSLATE_NOOP``, add its Chinese to the JSON, run
this script (see ``ui/i18n.py``). ``--check`` changes nothing: it runs the same steps in a
temporary folder and exits 1 listing every string without Chinese, or when the committed
.ts/.qm are out of date with the code and the JSON.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
I18N = ROOT / "resources" / "i18n"
LANG = "zh_CN"


def tool(name: str) -> str:
    """Path of a PySide6 tool next to the running Python (the venv), else on PATH."""
    here = Path(sys.executable).parent / name
    if here.exists():
        return str(here)
    found = shutil.which(name)
    if not found:
        raise SystemExit(f"{name} not found; install PySide6 (pip install 'commandroom[desktop]')")
    return found


def sources() -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for p in (ROOT / "ui").rglob("*.py"))


def lupdate(ts: Path) -> None:
    subprocess.run([tool("pyside6-lupdate"), *sources(), "-no-obsolete", "-locations", "none",
                    "-target-language", LANG, "-ts", str(ts)],
                   cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def lrelease(ts: Path, qm: Path) -> None:
    subprocess.run([tool("pyside6-lrelease"), str(ts), "-qm", str(qm)], check=True, stdout=subprocess.DEVNULL)


def fill(ts: Path, mapping: dict[str, str]) -> list[tuple[str, str]]:
    """Fill unfinished messages of ``ts`` from ``mapping``; returns (context, source) still missing."""
    tree = ET.parse(ts)
    missing: list[tuple[str, str]] = []
    for context in tree.getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            source = message.findtext("source") or ""
            translation = message.find("translation")
            if translation is None:
                translation = ET.SubElement(message, "translation")
            wanted = mapping.get(f"{name}|{source}", mapping.get(source))
            if wanted:
                translation.text = wanted
                translation.attrib.pop("type", None)
            elif not (translation.text or "").strip() or translation.get("type") == "unfinished":
                missing.append((name, source))
    ET.indent(tree, space="    ")
    body = ET.tostring(tree.getroot(), encoding="unicode")
    ts.write_text('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n' + body + "\n", encoding="utf-8")
    return missing


def unfinished(ts: Path) -> list[tuple[str, str]]:
    """(context, source) of every message without a finished, non-empty translation."""
    out = []
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            tr = message.find("translation")
            if tr is None or not (tr.text or "").strip() or tr.get("type") in ("unfinished", "vanished", "obsolete"):
                out.append((name, message.findtext("source") or ""))
    return out


def messages(ts: Path) -> dict[tuple[str, str], str]:
    out = {}
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            out[(name, message.findtext("source") or "")] = message.findtext("translation") or ""
    return out


def build(folder: Path) -> list[tuple[str, str]]:
    """Run lupdate + fill + lrelease into ``folder`` (starting from the committed .ts); returns missing."""
    ts = folder / f"{LANG}.ts"
    committed = I18N / f"{LANG}.ts"
    if committed.exists() and committed != ts:
        shutil.copy(committed, ts)
    lupdate(ts)
    mapping = json.loads((I18N / f"{LANG}.json").read_text(encoding="utf-8"))
    missing = fill(ts, mapping)
    lrelease(ts, folder / f"{LANG}.qm")
    return missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; fail if anything is missing or stale")
    args = parser.parse_args(argv)
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            missing = build(folder)
            stale = []
            committed_ts = I18N / f"{LANG}.ts"
            if not committed_ts.exists() or messages(committed_ts) != messages(folder / f"{LANG}.ts"):
                stale.append(f"{committed_ts.relative_to(ROOT)} is not up to date")
            committed_qm = I18N / f"{LANG}.qm"
            if not committed_qm.exists() or committed_qm.read_bytes() != (folder / f"{LANG}.qm").read_bytes():
                stale.append(f"{committed_qm.relative_to(ROOT)} is not up to date")
    else:
        missing = build(I18N)
        stale = []
    for context, source in missing:
        print(f"missing zh_CN: [{context}] {source!r}")
    for line in stale:
        print(f"stale: {line} (run: python scripts/i18n.py)")
    if missing:
        print(f"{len(missing)} string(s) lack a translation: add them to resources/i18n/{LANG}.json")
    return 1 if (missing or stale) else 0


if __name__ == "__main__":
    sys.exit(main())
