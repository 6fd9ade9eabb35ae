"""The core and the county server import and run on a machine where Qt cannot be imported."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_core_and_server_import_without_qt():
    script = textwrap.dedent(
        """
        import importlib, pkgutil, sys

        class BlockQt:
            BLOCKED = ("PySide6", "shiboken6", "pyqtgraph", "qasync", "folium", "ui")
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in self.BLOCKED:
                    raise ImportError(f"{name} is blocked: the core must not need it")
                return None

        sys.meta_path.insert(0, BlockQt())
        import commandroom
        loaded = []
        for info in pkgutil.walk_packages(commandroom.__path__, "commandroom."):
            if ".migrations" in info.name or info.name.endswith("__main__"):
                continue
            importlib.import_module(info.name)
            loaded.append(info.name)
        from commandroom.server.app import create_app
        assert "commandroom.server.app" in loaded
        assert not any(m.split(".")[0] in BlockQt.BLOCKED for m in sys.modules)
        print(len(loaded))
        """
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) >= 10


def test_migrations_match_the_models(tmp_path):
    """A model change without a migration fails here (alembic's autogenerate finds no difference)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from commandroom.domain.models import Base
    from commandroom.store.db import make_engine
    from commandroom.store.migrate import include_name, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"include_name": include_name}), Base.metadata)
    assert diff == [], f"models and migrations differ: {diff}"


def test_head_revision_constant_matches_the_scripts():
    from commandroom.store.migrate import HEAD_REVISION, script_head

    assert script_head() == HEAD_REVISION


def test_the_desktop_writes_no_sql():
    """ui/ renders what commandroom.queries returns and acts through mutations: no SQLAlchemy, no SQL text.

    (ui/map/tiles.py reads an MBTiles file of map images, not the store.)
    """
    import re

    pattern = re.compile(r"^\s*(from|import) sqlalchemy|session\.(execute|scalars?|get|add|query)\(|"
                         r"\"(SELECT [\w*]|INSERT INTO|UPDATE \w+ SET|DELETE FROM)")
    offenders = []
    for path in sorted((ROOT / "ui").rglob("*.py")):
        if path.name == "tiles.py" and path.parent.name == "map":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == [], "\n".join(offenders)


def test_the_local_store_is_a_store(tmp_path):
    """The typed seam: the workstation's DeskStore offers what commandroom.store.protocol.Store declares."""
    from commandroom.store.local import DeskStore
    from commandroom.store.protocol import ReadStore, Store

    store = DeskStore(tmp_path / "w.db")
    try:
        assert isinstance(store, Store) and isinstance(store, ReadStore)
    finally:
        store.close()
    assert not isinstance(object(), ReadStore)


def test_the_read_side_only_reads():
    """commandroom/queries answers questions; writes go through named mutations (commandroom/mutations)."""
    import re

    pattern = re.compile(r"store\.write\(|\.perform\(|session\.(add|add_all|delete|merge|flush|commit)\(|"
                         r"\"(INSERT INTO|UPDATE \w+ SET|DELETE FROM|CREATE )")
    offenders = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
                 for path in sorted((ROOT / "commandroom" / "queries").rglob("*.py"))
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert offenders == [], "\n".join(offenders)
