#!/usr/bin/env bash
# Founding-phase only (no deployed databases yet): regenerate migration 0001 from the models.
# Once a release ships, add new revisions instead (alembic revision --autogenerate).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f commandroom/store/migrations/versions/0001_*.py
# the hand-written revisions after 0001 (FTS, triggers) wait aside while 0001 is generated from the models
mkdir "$tmp/later"
for f in commandroom/store/migrations/versions/0*.py; do [ -e "$f" ] && mv "$f" "$tmp/later/"; done
trap 'mv "$tmp"/later/*.py commandroom/store/migrations/versions/ 2>/dev/null; rm -rf "$tmp"' EXIT
.venv/bin/python - "$tmp" <<'PY'
import sys
from alembic import command
from commandroom.store.migrate import alembic_config
command.revision(alembic_config(f"sqlite:///{sys.argv[1]}/gen.db"), message="initial schema",
                 autogenerate=True, rev_id="0001")
PY
.venv/bin/ruff check --fix -q commandroom/store/migrations || true
.venv/bin/ruff format -q commandroom/store/migrations || true
