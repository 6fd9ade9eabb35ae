"""Shared fixtures: temporary SQLite files, a throw-away PostgreSQL database per test, a seeded template.

In CI (``CI=true``) an unreachable PostgreSQL fails the run instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")

PG_ADMIN_URL = os.environ.get("COMMANDROOM_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")

# --------------------------------------------------------------------------- the wall clock in tests
# A test never depends on today's clock for a working-time effect: it names its own moment with
# ``@pytest.mark.at("2026-12-08T10:00:00+08:00")`` (the wall clock of the whole process, server
# threads included, starts there and ticks on; monotonic time is untouched, so loops and timeouts
# behave). ``--moment ISO`` sets the clock of a whole run: ``make test`` reruns the tests marked
# ``working_time`` at a Sunday night, the eve of 春节, New Year's Eve and a working Tuesday morning
# (Makefile ``test-moments``), which proves none of them needs a particular day to pass.


def pytest_addoption(parser):
    parser.addoption("--moment", default=None,
                     help="run the whole session with the wall clock set to this ISO moment (ticking)")


def _travel(moment: str):
    import time_machine

    when = datetime.fromisoformat(moment)
    if when.tzinfo is None:
        raise pytest.UsageError(f"moment {moment!r} needs a UTC offset, e.g. +08:00")
    return time_machine.travel(when, tick=True)


def pytest_configure(config):
    # Between tests (and for widgets that outlive theirs) COMMANDROOM_HOME points at a folder of this run,
    # never at the real ~/.config: each test still gets its own (``_isolated_home``).
    import tempfile

    os.environ["COMMANDROOM_HOME"] = tempfile.mkdtemp(prefix="commandroom-tests-")
    moment = config.getoption("--moment")
    if moment:
        traveller = _travel(moment)
        traveller.start()
        config._commandroom_moment = traveller


def pytest_report_header(config):
    moment = config.getoption("--moment")
    return f"wall clock set to {moment} (ticking)" if moment else None


@pytest.fixture(autouse=True)
def _at_moment(request):
    """A test marked ``at(ISO)`` runs with the wall clock starting at that moment."""
    marker = request.node.get_closest_marker("at")
    if marker is None:
        yield None
        return
    with _travel(marker.args[0]):
        yield datetime.fromisoformat(marker.args[0])


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """Config, data and logs of every test go to a temporary COMMANDROOM_HOME."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("COMMANDROOM_HOME", str(home))
    for key in list(os.environ):
        if key.startswith("COMMANDROOM_") and key not in ("COMMANDROOM_HOME", "COMMANDROOM_TEST_PG"):
            monkeypatch.delenv(key)
    yield home


def _pg_available() -> str | None:
    from commandroom.store.db import make_engine

    try:
        engine = make_engine(PG_ADMIN_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001
        return str(exc).splitlines()[0]


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    problem = _pg_available()
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL at 127.0.0.1:5432 is unreachable in CI: {problem}")
        pytest.skip(f"PostgreSQL unreachable: {problem}")
    return PG_ADMIN_URL


def create_pg_database(admin_url: str) -> str:
    from commandroom.store.db import make_engine

    name = f"cr_test_{uuid.uuid4().hex[:12]}"
    engine = make_engine(admin_url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def drop_pg_database(admin_url: str, url: str) -> None:
    from commandroom.store.db import make_engine

    name = url.rsplit("/", 1)[1]
    engine = make_engine(admin_url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture
def pg_url(pg_admin_url):
    """A fresh, empty PostgreSQL database, dropped after the test."""
    url = create_pg_database(pg_admin_url)
    yield url
    drop_pg_database(pg_admin_url, url)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """The same test on an embedded SQLite file and on the real PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'server.db'}"
    else:
        admin = request.getfixturevalue("pg_admin_url")
        url = create_pg_database(admin)
        yield url
        drop_pg_database(admin, url)


_TEMPLATE: dict[str, Path] = {}


@pytest.fixture
def seeded_sqlite(tmp_path, tmp_path_factory) -> str:
    """A migrated SQLite database with all reference data loaded (built once, copied per test)."""
    if "ref" not in _TEMPLATE:
        from commandroom.refdata.seed import seed_database

        path = tmp_path_factory.mktemp("template") / "seeded.db"
        seed_database(f"sqlite:///{path}")
        _TEMPLATE["ref"] = path
    dst = tmp_path / "seeded.db"
    shutil.copy(_TEMPLATE["ref"], dst)
    return f"sqlite:///{dst}"


# PostgreSQL variants whose SQLite twin covers the same rule in `make test`; they run in full under `-m slow`
# (the multi-process PostgreSQL tests of the scheduler and the server stay in `make test`).
SLOW_VARIANTS = frozenset({
    "tests/server/test_scheduler.py::test_a_week_of_clocks_runs_by_itself_in_seconds[postgres]",
    "tests/server/test_scheduler_case_steps.py::test_step_clock_warns_then_escalates_by_itself_around_a_holiday[postgres]",
    "tests/sync/test_conflict_property.py::test_a_conflict_exactly_when_different_people_crossed_on_a_field[postgres]",
    # the field app in Chromium: the first browser test and the field API tests run on PostgreSQL in `make test`
    "tests/field/test_field_browser.py::"
    "test_a_crew_member_records_his_part_of_a_joint_visit_offline_once_and_the_desk_sees_it[postgres]",
    "tests/field/test_field_browser.py::"
    "test_the_zone_base_map_comes_from_the_county_server_and_shows_again_without_signal[postgres]",
})


def pytest_collection_modifyitems(config, items):
    wanted = "slow" in (config.getoption("markexpr") or "")
    for item in items:
        if item.nodeid in SLOW_VARIANTS:
            item.add_marker(pytest.mark.slow)
            if not wanted:
                item.add_marker(pytest.mark.skip(reason="a PostgreSQL twin of a SQLite test: runs under -m slow"))
