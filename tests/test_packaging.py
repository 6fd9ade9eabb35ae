"""Packaging, fast checks only: build.spec and its data lists, the launchers, the server self-test, crash reports.

The real build (``make dist-test``: PyInstaller, then both ``--self-test`` runs) takes minutes
and is not part of ``make test``.
"""

from __future__ import annotations

import ast
import importlib.util
import io
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"


def load(name: str):  # a module of packaging/ (not a package: loaded by path, as the spec does)
    spec = importlib.util.spec_from_file_location(f"_test_packaging_{name}", PACKAGING / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ----------------------------------------------------------------------------- build.spec and its lists


def test_spec_parses_and_builds_both_apps_from_the_launchers():
    source = (ROOT / "build.spec").read_text(encoding="utf-8")
    tree = ast.parse(source, "build.spec")
    calls = [n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    assert calls.count("Analysis") == 2 and calls.count("EXE") == 2 and calls.count("COLLECT") == 2
    for launcher in ("commandroom_desktop.py", "commandroom_server.py"):
        assert launcher in source and (PACKAGING / launcher).is_file()
    assert "subprocess" not in source and "os.system" not in source  # no shell: the same spec on Windows
    assert not (PACKAGING / "__init__.py").exists()  # packaging/ must never shadow the PyPI "packaging"


def test_every_bundled_file_exists_and_keeps_its_import_path():
    bundle = load("bundle")
    server = bundle.server_datas(ROOT)
    desktop = bundle.desktop_datas(ROOT)
    for src, dest in desktop + server:
        assert Path(src).is_file(), src
        assert not Path(dest).is_absolute() and ".." not in Path(dest).parts, dest
    by_name = {(Path(src).name, Path(dest).as_posix()) for src, dest in desktop}
    expected = {
        ("townships.csv", "data"),
        ("county_outline_wgs84.geojson", "data"),
        ("env.py", "commandroom/store/migrations"),
        ("0001_initial_schema.py", "commandroom/store/migrations/versions"),
        ("zh_CN.qm", "resources/i18n"),
        ("app.qss", "resources/styles"),
        ("cr_map.js", "ui/map/assets"),
        ("cr_bridge.js", "ui/map/assets"),
        ("leaflet.js", "xstatic/pkg/leaflet/data"),
        ("marker-icon.png", "xstatic/pkg/leaflet/data/images"),
        ("leaflet.markercluster.js", "xstatic/pkg/leaflet_markercluster/data"),
        ("leaflet_heat.min.js", "folium/templates"),
    }
    assert expected <= by_name, expected - by_name
    server_dests = {Path(dest).as_posix() for _src, dest in server}
    assert "data" in server_dests and "commandroom/store/migrations/versions" in server_dests
    assert not any(d.startswith(("ui", "resources", "xstatic", "folium")) for d in server_dests)


def test_every_data_file_the_code_reads_is_bundled():
    """Each data/ file the loader reads, and each migration script, is in the lists."""
    bundle = load("bundle")
    listed = {Path(src).resolve() for src, _dest in bundle.server_datas(ROOT)}
    for path in (list((ROOT / "data").glob("*.*")) + list((ROOT / "commandroom/store/migrations").rglob("*.py"))
                 + list((ROOT / "commandroom/server/field_static").glob("*.*"))):
        if "__pycache__" not in path.parts:
            assert path.resolve() in listed, path


def test_the_server_build_excludes_qt_and_the_desktop_excludes_the_server():
    bundle = load("bundle")
    for name in ("PySide6", "shiboken6", "pyqtgraph", "qasync", "folium", "ui", "pytest", "hypothesis"):
        assert name in bundle.SERVER_EXCLUDES
    for name in ("commandroom.server", "fastapi", "uvicorn", "pytest", "hypothesis", "ruff"):
        assert name in bundle.DESKTOP_EXCLUDES
    assert "PySide6" not in bundle.DESKTOP_EXCLUDES and "commandroom" not in bundle.SERVER_EXCLUDES


def test_hidden_imports_name_the_modules_loaded_by_name():
    pytest.importorskip("PyInstaller")
    bundle = load("bundle")
    server = set(bundle.server_hiddenimports())
    from commandroom.server.app import ROUTER_MODULES

    assert set(ROUTER_MODULES) <= server
    assert "commandroom.mutations.reports" in server or any(n.startswith("commandroom.mutations.") for n in server)
    assert not any(n == "ui" or n.startswith(("ui.", "PySide6")) for n in server)
    desktop = set(bundle.desktop_hiddenimports())
    assert {"ui.map.page_plugin", "ui.zones.page", "ui.boards.page", "ui.cases.page", "ui.crash"} <= desktop
    assert not any(n.startswith("commandroom.server") for n in desktop)


def test_windows_version_numbers():
    version_info = load("version_info")
    assert version_info.version_tuple("0.1.0") == (0, 1, 0, 0)
    assert version_info.version_tuple("1.2.3rc1") == (1, 2, 3, 0)
    assert version_info.version_tuple("2026.11.26.4.9") == (2026, 11, 26, 4)


# ----------------------------------------------------------------------------- launchers


def test_desktop_launcher_defaults_to_the_desktop_and_finds_it_without_entry_points():
    launcher = load("commandroom_desktop")
    assert launcher.desktop_argv([]) == ["desktop"]
    assert launcher.desktop_argv(["--self-test"]) == ["desktop", "--self-test"]
    assert launcher.desktop_argv(["wall", "--screen", "1"]) == ["wall", "--screen", "1"]
    assert launcher.desktop_argv(["--help"]) == ["--help"]
    from commandroom.cli import NotLanded
    from ui.app import run_desktop

    assert launcher.frozen_frontend("desktop") is run_desktop
    with pytest.raises(NotLanded):
        launcher.frozen_frontend("nothing")


def test_server_launcher_defaults_to_serve():
    launcher = load("commandroom_server")
    assert launcher.server_argv([]) == ["serve"]
    assert launcher.server_argv(["--port", "9000"]) == ["serve", "--port", "9000"]
    assert launcher.server_argv(["migrate", "--db", "x"]) == ["migrate", "--db", "x"]
    assert launcher.server_argv(["desktop"]) == ["desktop"]  # answered with "no desktop frontend"


# ----------------------------------------------------------------------------- server self-test


def test_server_self_test_passes_from_source():
    from commandroom.server.selftest import run_self_test
    from commandroom.store.migrate import HEAD_REVISION

    out = io.StringIO()
    assert run_self_test(out) == 0, out.getvalue()
    text = out.getvalue()
    assert f"revision {HEAD_REVISION}" in text and "GET /health" in text and "all passed" in text


def test_server_self_test_reports_a_failing_step(monkeypatch):
    from commandroom.server import selftest

    def broken() -> str:
        raise selftest.SelfTestError("router missing")

    monkeypatch.setattr(selftest, "_modules", broken)
    out = io.StringIO()
    assert selftest.run_self_test(out) == 1
    assert "FAILED modules: SelfTestError: router missing" in out.getvalue()
    assert "1 step(s) failed" in out.getvalue()


# ----------------------------------------------------------------------------- crash reports


def _exc_info():
    try:
        raise ValueError("boom in the inbox")
    except ValueError:
        return sys.exc_info()


def test_crash_report_has_header_traceback_and_the_last_200_log_lines(tmp_path):
    from commandroom import __version__
    from ui.crash import write_crash_report

    log_path = tmp_path / "logs" / "desktop.log"
    log_path.parent.mkdir()
    log_path.write_text("".join(f"log line {i}\n" for i in range(1, 301)), encoding="utf-8")
    report = write_crash_report(_exc_info(), log_path)
    assert report.parent == log_path.parent and report.name.startswith("commandroom-crash-")
    text = report.read_text(encoding="utf-8")
    assert "time:" in text and f"version:  {__version__}" in text and "platform:" in text
    assert "ValueError: boom in the inbox" in text and "Traceback (most recent call last)" in text
    assert "log line 300" in text and "log line 101\n" in text and "log line 100\n" not in text
    assert "Last 200 lines of the log:" in text


def test_crash_report_without_a_log_goes_to_the_log_dir_and_old_ones_are_pruned(_isolated_home):
    from ui import crash

    first = crash.write_crash_report(_exc_info(), None)
    assert first.parent == _isolated_home / "logs"
    assert "The log could not be read." in first.read_text(encoding="utf-8")
    for _ in range(crash.KEEP_REPORTS + 3):
        crash.write_crash_report(_exc_info(), None)
    assert len(list(first.parent.glob("commandroom-crash-*.txt"))) == crash.KEEP_REPORTS


def test_excepthook_writes_a_report_and_hands_it_to_the_dialog(qapp, tmp_path, monkeypatch):
    from ui.app import install_excepthook

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    log_path = tmp_path / "desktop.log"
    log_path.write_text("before the crash\n", encoding="utf-8")
    shown = []
    install_excepthook(log_path, show_dialog=lambda exc_info, report, log, parent: shown.append((exc_info, report)))
    sys.excepthook(*_exc_info())
    assert len(shown) == 1
    exc_info, report = shown[0]
    assert exc_info[0] is ValueError and report is not None and report.parent == tmp_path
    text = report.read_text(encoding="utf-8")
    assert "boom in the inbox" in text and "before the crash" in text
    sys.excepthook(*_exc_info())  # the injected dialog returned None: the next error is shown too
    assert len(shown) == 2


def test_crash_dialog_copies_the_report_and_stays_open(qapp, tmp_path):
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QMessageBox

    from ui.crash import show_crash_dialog, write_crash_report

    info = _exc_info()
    report = write_crash_report(info, None)
    box = show_crash_dialog(info, report, tmp_path / "desktop.log")
    try:
        assert isinstance(box, QMessageBox) and box.isVisible()
        assert str(report) in box.text() and "boom in the inbox" in box.detailedText()
        copy = next(b for b in box.buttons() if b.text() == "Copy report")
        copy.click()
        assert QGuiApplication.clipboard().text() == report.read_text(encoding="utf-8")
        assert box.isVisible()
    finally:
        box.close()


def test_desktop_launcher_finds_every_file_the_desktop_reads_by_path():
    launcher = load("commandroom_desktop")
    assert launcher.bundle_problems() == []


def test_only_the_offered_languages_of_qt_are_kept():
    bundle = load("bundle")
    keep = bundle.keep_qt_file
    assert keep("PySide6/Qt/translations/qtbase_zh_CN.qm") and keep("PySide6/Qt/translations/qt_en.qm")
    assert not keep("PySide6/Qt/translations/qtbase_de.qm")
    assert keep("PySide6/Qt/translations/qtwebengine_locales/zh-CN.pak")
    assert not keep("PySide6/Qt/translations/qtwebengine_locales/fr.pak")
    assert keep("resources/i18n/zh_CN.qm") and keep("PySide6/Qt/resources/qtwebengine_resources.pak")
    assert keep("data/townships.csv")


def test_the_builds_have_an_icon_and_a_desktop_entry():
    """Window/tray/taskbar icon files, the Windows exe's .ico, and the Linux .desktop entry."""
    import configparser

    from PIL import Image

    icons = ROOT / "resources" / "icons"
    assert {p.name for p in icons.glob("commandroom-*.png")} >= {"commandroom-16.png", "commandroom-256.png"}
    with Image.open(icons / "commandroom.ico") as ico:
        assert (256, 256) in ico.info["sizes"] and (16, 16) in ico.info["sizes"]
    assert 'icon=str(ROOT / "resources" / "icons" / "commandroom.ico")' in (ROOT / "build.spec").read_text("utf-8")
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(ROOT / "packaging" / "commandroom.desktop", encoding="utf-8")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application" and desktop["Exec"].startswith("commandroom desktop")
    assert desktop["Icon"] == "commandroom" and desktop["Name[zh_CN]"] == "乡镇综合信息指挥室"
    bundle = load("bundle")
    assert any(src.endswith("commandroom-256.png") for src, _dst in bundle.desktop_datas(ROOT))
