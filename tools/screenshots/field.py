"""Screenshots of the field app at phone size: ``python -m tools.screenshots.field [--out docs/screenshots]``.

The field app is a web page, not a Qt screen: the browser tests drive it in Debian's chromium through
Playwright (tests/field/test_field_browser.py) and, with ``FIELD_SCREENSHOTS`` set, save what the phone
shows at each step as ``field_*.png``. This runs them on SQLite only.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/screenshots")
    args = parser.parse_args(argv)
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    os.environ["FIELD_SCREENSHOTS"] = str(out)
    import pytest

    return pytest.main(["-q", "-p", "no:cacheprovider", "tests/field/test_field_browser.py", "-k", "sqlite"])


if __name__ == "__main__":
    sys.exit(main())
