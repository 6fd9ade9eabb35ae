#!/usr/bin/env bash
# Founding-phase only (no deployed databases yet): regenerate migration 0001 from the models.
# Once a release ships, add new revisions instead (alembic revision --autogenerate).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f commandroom/store/migrations/versions/0001_*.py
.venv/bin/python - "$tmp" <<'PY'
import sys
from alembic import command
from commandroom.store.migrate import alembic_config
command.revision(alembic_config(f"sqlite:///{sys.argv[1]}/gen.db"), message="initial schema",
                 autogenerate=True, rev_id="0001")
PY
rm -rf "$tmp"
.venv/bin/ruff check --fix -q commandroom/store/migrations || true
.venv/bin/ruff format -q commandroom/store/migrations || true
