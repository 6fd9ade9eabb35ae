"""``commandroom demo``: a county server with 30 days of history, a simulator, and the desktop.

Seeds an embedded county server on SQLite (once; kept in the data dir's ``demo``
folder), creates demo accounts, starts the server and a simulator of grid workers
posting reports, then opens the desktop signed in as a 球川镇 duty officer.
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
from dataclasses import replace
from pathlib import Path

from commandroom.config import Settings, setup_logging

DEMO_PASSWORD = "changshan-2026"
QIUCHUAN = "330822111"
DEMO_ACCOUNTS = [
    # username, display name, role, scope kwargs
    ("qc-duty", "球川值班员 王丽", "duty_officer", {"township_code": QIUCHUAN}),
    ("qc-lead", "球川平安法治模块 陈伟", "module_lead", {"township_code": QIUCHUAN}),
    ("qc-team", "球川片区执法队长 周强", "team_leader", {"scope_code": "QC"}),
    ("county", "县社会治理中心 刘洋", "county_coordinator", {}),
    ("admin", "系统管理员", "admin", {}),
    # the departments' seats (条): each liaison sees its department's work in all 14 townships
    ("dept-market", "县市场监督管理局 联络员 郑敏", "department_liaison", {"department": "market"}),
    ("dept-enforce", "县综合行政执法局 联络员 何军", "department_liaison", {"department": "enforcement"}),
    ("dept-natres", "县自然资源和规划局 联络员 孙磊", "department_liaison", {"department": "natres"}),
    ("dept-agri", "县农业农村局 联络员 方芳", "department_liaison", {"department": "agri"}),
]
LIAISONS = [a[0] for a in DEMO_ACCOUNTS if a[2] == "department_liaison"]
GRID_WORKER = ("qc-grid-01", "网格员 徐建华", "grid_worker", {"township_code": QIUCHUAN})
SIMULATED_DAILY_REPORTS = 46  # 球川's reports a day in the demo history


def demo_paths(settings: Settings) -> tuple[Path, str]:
    folder = settings.data_dir / "demo"
    return folder, f"sqlite:///{folder / 'county-server.db'}"


def prepare_demo(settings: Settings, *, days: int) -> str | None:
    """Seed the demo county database once and create the demo accounts; returns the grid worker's api_key."""
    from commandroom.refdata.seed import seed_database
    from commandroom.server.state import open_state
    from commandroom.server.users import create_user

    folder, url = demo_paths(settings)
    key_file = folder / "grid-worker.key"
    if (folder / "county-server.db").exists() and key_file.exists():
        _ensure_accounts(url)  # a demo seeded before an account was added gets it now
        return key_file.read_text().strip() or None
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    print(f"seeding reference data and {days} days of demo history …", flush=True)
    seed_database(url, demo_days=days)
    state = open_state(url)
    api_key = None
    with state.transaction() as session:
        for username, name, role, scope in [*DEMO_ACCOUNTS, GRID_WORKER]:
            _user, key = create_user(session, username=username, display_name=name, role=role,
                                     password=DEMO_PASSWORD, **scope)
            api_key = key or api_key
        _lead_demo_module(session)
    state.close()
    key_file.write_text(api_key or "")
    print(f"demo county database ready in {time.perf_counter() - started:.1f} s: {url}", flush=True)
    return api_key


def _ensure_accounts(url: str) -> None:
    from sqlalchemy import select

    from commandroom.domain.models import User
    from commandroom.server.state import open_state
    from commandroom.server.users import create_user

    state = open_state(url)
    try:
        with state.transaction() as session:
            have = set(session.scalars(select(User.username)))
            for username, name, role, scope in DEMO_ACCOUNTS:
                if username not in have:
                    create_user(session, username=username, display_name=name, role=role, password=DEMO_PASSWORD,
                                **scope)
            _lead_demo_module(session)
    finally:
        state.close()


DEMO_MODULE_LEAD = ("qc-lead", "平安法治")


def _lead_demo_module(session) -> None:
    """Make ``qc-lead`` the lead of 球川's 平安法治 board (a module lead's desk holds only the boards it leads).

    A named ``module.update`` by the system, so it is logged and audited like any change.
    """
    from sqlalchemy import select

    from commandroom.domain.models import Module, User
    from commandroom.mutations.core import Actor
    from commandroom.server import pipeline

    username, module_name = DEMO_MODULE_LEAD
    user = session.scalars(select(User).where(User.username == username)).first()
    module = session.scalars(select(Module).where(Module.township_code == QIUCHUAN,
                                                  Module.name.contains(module_name))).first()
    if user is None or module is None or module.lead_user_id == user.id:
        return
    pipeline.execute(session, actor=Actor.system(), allowed_townships=None, name="module.update",
                     entity_id=module.id, args={"lead_user_id": user.id})


def prepare_demo_basemap(settings: Settings, url: str) -> None:
    """Render the demo base map once (cached in the demo folder) and import it when the server has none.

    A failure here only costs the demo its base map (the map stays vector): it is logged, not raised.
    """
    from commandroom.basemap import library
    from commandroom.basemap.demo import ensure_demo_basemap
    from commandroom.server.basemap_api import basemaps_dir
    from commandroom.server.state import open_state

    state = open_state(url, settings=settings)
    try:
        with state.read() as session:
            if library.current(session):
                return
        folder, _url = demo_paths(settings)
        started = time.perf_counter()
        print("rendering the demo base map from the reference data (once) …", flush=True)
        package = ensure_demo_basemap(folder)
        result = library.import_package(state, package, basemaps_dir(state), layer="streets")
        print(f"demo base map {result.basemap['name']} ready in {time.perf_counter() - started:.1f} s", flush=True)
    except Exception:  # the demo runs without a base map rather than not at all
        logging.getLogger(__name__).exception("the demo base map could not be prepared")
    finally:
        state.close()


def _start_server(settings: Settings, url: str) -> threading.Thread:
    import uvicorn

    from commandroom.server.app import create_app

    app = create_app(url, settings=settings)
    server = uvicorn.Server(uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="county-server", daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.05)
    return thread


def _start_simulator(server_url: str, api_key: str | None) -> None:
    from commandroom.server.simulator import run_simulator

    if not api_key:
        return
    thread = threading.Thread(
        target=run_simulator,
        # 球川's pace in the demo history (~46 a day, mid-morning peaks, quiet nights), many grid workers
        kwargs={"server_url": server_url, "townships": ["球川镇"], "daily": SIMULATED_DAILY_REPORTS,
                "duration": 0, "seed": int(time.time()), "api_key": api_key,
                "out": logging.getLogger("commandroom.simulator").info},
        name="simulator",
        daemon=True,
    )
    thread.start()


def _start_department_seats(server_url: str) -> None:
    """The departments' liaisons act from their seats (签收, 报到, some late, some returns) in real minutes."""
    from commandroom.server.simulator import run_department_desks

    thread = threading.Thread(
        target=run_department_desks,
        kwargs={"server_url": server_url, "accounts": LIAISONS, "password": DEMO_PASSWORD, "minutes": 1.0,
                "poll_seconds": 20.0, "seed": int(time.time()),
                "out": logging.getLogger("commandroom.simulator").info},
        name="department-seats",
        daemon=True,
    )
    thread.start()


def run_demo(settings: Settings, *, days: int = 30, no_desktop: bool = False) -> int:
    setup_logging(settings, "demo")
    _folder, url = demo_paths(settings)
    api_key = prepare_demo(settings, days=days)
    prepare_demo_basemap(settings, url)
    server_thread = _start_server(settings, url)
    server_url = f"http://{settings.host}:{settings.port}"
    print(f"county server listening on {server_url}", flush=True)
    print(f"sign in as: qc-duty (球川镇 duty officer), qc-team, qc-lead, county, admin, or a department's liaison "
          f"({', '.join(LIAISONS)}) — password {DEMO_PASSWORD}", flush=True)
    _start_simulator(server_url, api_key)
    _start_department_seats(server_url)
    if no_desktop:
        print("press Ctrl-C to stop", flush=True)
        try:
            while server_thread.is_alive():
                server_thread.join(1)
        except KeyboardInterrupt:
            pass
        return 0
    from commandroom.cli import frontend

    run_desktop = frontend("desktop")
    desktop_settings = replace(settings, server_url=server_url, workstation_name=settings.workstation_name or "球川指挥室-1")
    kwargs = {"profile": "demo-qiuchuan"}
    if "login" in inspect.signature(run_desktop).parameters:
        kwargs["login"] = ("qc-duty", DEMO_PASSWORD)
    return run_desktop(desktop_settings, **kwargs)
