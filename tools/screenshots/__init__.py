"""Scripts that regenerate docs/screenshots: ``python -m tools.screenshots.<area> --out DIR [--lang en]``."""
