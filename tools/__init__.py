"""Developer tools that are not part of the product: screenshot scripts, the wall's soak driver, demo map rows.

Run from the repository root (``python -m tools.screenshots.incidents --out docs/screenshots``); the
tests and benchmarks import them the same way. Nothing under ``commandroom/`` or ``ui/`` imports them.
"""
