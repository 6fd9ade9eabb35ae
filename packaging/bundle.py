"""What goes into the two PyInstaller builds of ``build.spec``: data files, hidden imports, exclusions.

Kept apart from the spec so the tests can check it without running PyInstaller
(``tests/test_packaging.py``). The spec loads this file by path; it is not a package
(``packaging/`` has no ``__init__.py`` on purpose: it must never shadow the PyPI
``packaging`` library).

Where each file lands matters: the code finds its files relative to its own module
(``Path(__file__)``), and a frozen module's ``__file__`` is ``<bundle>/<package>/<module>.pyc``.
So every file keeps the path it has in the source tree or in site-packages:

* ``data/`` → ``<bundle>/data`` (``commandroom.refdata.geo.DEFAULT_DATA_DIR``, ``commandroom.queries.map_base``);
* ``commandroom/store/migrations`` → the same path (Alembic reads the scripts from disk);
* ``resources/i18n/*.qm`` and ``resources/styles`` → ``<bundle>/resources`` (``ui.i18n``, ``ui.theme``);
* ``ui/map/assets`` and the map page's vendor files (Leaflet and markercluster from the
  ``xstatic`` packages, folium's ``leaflet_heat.min.js``) → their package paths, taken from
  ``ui.map.page._vendor_files()`` so the list cannot drift from what the page copies;
* qtawesome's fonts, folium/branca templates, Qt's WebEngine files: PyInstaller's own hooks.

Everything here uses ``pathlib`` only, so the same spec runs on Linux and Windows.
"""

from __future__ import annotations

import sys
import sysconfig
from collections.abc import Callable, Iterable
from pathlib import Path

APP_NAME = "CommandRoom"
SERVER_NAME = "commandroom-server"

# Never in either build: test and development tools, other Qt bindings, and PyInstaller itself.
DEV_EXCLUDES = [
    "pytest", "_pytest", "pytestqt", "pytest_qt", "pytest_asyncio", "pytest_timeout", "hypothesis",
    "ruff", "importlinter", "grimp", "PyInstaller", "altgraph", "pip", "setuptools", "pkg_resources",
    "tests", "sqlalchemy.testing", "alembic.testing",
    "tkinter", "_tkinter", "IPython", "matplotlib", "PyQt5", "PyQt6", "PySide2",
    "pydoc", "doctest", "unittest", "lib2to3", "idlelib",
]

# The county server runs where no Qt is installed: none of the desktop's libraries go in.
SERVER_EXCLUDES = DEV_EXCLUDES + [
    "PySide6", "shiboken6", "pyqtgraph", "qasync", "qtawesome", "qtpy", "folium", "branca",
    "xstatic", "openpyxl", "ui",
]

# The desktop talks to the server over HTTP only; it never runs it. Of Qt it uses Widgets, WebEngine
# (with WebChannel), Multimedia (the alert sound) and what pyqtgraph imports. QtWebEngine's libraries
# link QtQuick/QtQml, so PyInstaller would also add their Python modules, and the QtQml hook then
# collects every QML plugin (Qt 3D, Quick 3D, Charts…, about 300 MB). The C++ libraries WebEngine
# links are still collected as its binary dependencies; only the unused Python modules and QML go.
DESKTOP_EXCLUDES = DEV_EXCLUDES + [
    "commandroom.server", "commandroom.demo", "commandroom.demo_history", "fastapi", "starlette", "uvicorn", "psycopg", "psycopg_binary",
    "argon2", "multipart", "python_multipart",
    "PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtQuickWidgets", "PySide6.QtQuickControls2", "PySide6.QtQuick3D",
    "PySide6.QtDataVisualization", "PySide6.QtCharts", "PySide6.QtGraphs", "PySide6.QtGraphsWidgets",
    "PySide6.Qt3DCore", "PySide6.Qt3DRender", "PySide6.Qt3DInput", "PySide6.Qt3DLogic", "PySide6.Qt3DAnimation",
    "PySide6.Qt3DExtras", "PySide6.QtWebEngineQuick", "PySide6.QtDesigner", "PySide6.QtUiTools", "PySide6.QtHelp",
    "PySide6.QtBluetooth", "PySide6.QtNfc", "PySide6.QtSensors", "PySide6.QtSerialPort", "PySide6.QtSerialBus",
    "PySide6.QtRemoteObjects", "PySide6.QtScxml", "PySide6.QtStateMachine", "PySide6.QtTextToSpeech",
    "PySide6.QtSpatialAudio", "PySide6.QtLocation", "PySide6.QtHttpServer", "PySide6.QtPdfWidgets",
    "PySide6.QtSql", "PySide6.QtAxContainer",
]

# Qt's own translations and Chromium's locale packs: only the languages the desktop offers.
QT_LANGUAGES = ("zh_CN", "en")
WEBENGINE_LOCALES = ("zh-CN.pak", "en-US.pak")


def keep_qt_file(dest: str) -> bool:
    """False for Qt translation files of languages the desktop does not offer (``Analysis.datas`` filter)."""
    parts = Path(dest).parts
    if "translations" not in parts:
        return True
    name = parts[-1]
    if "qtwebengine_locales" in parts:
        return name in WEBENGINE_LOCALES
    if name.endswith(".qm"):
        return name.endswith(tuple(f"_{lang}.qm" for lang in QT_LANGUAGES))
    return True

# Resource folders of the source tree: (source relative to the root, glob patterns).
DATA_FOLDERS: list[tuple[str, tuple[str, ...]]] = [
    ("data", ("*.csv", "*.json", "*.geojson", "*.md")),
    ("commandroom/store/migrations", ("*.py", "*.mako")),
    ("commandroom/store/migrations/versions", ("*.py",)),
    ("commandroom/server/field_static", ("*.html", "*.js", "*.css", "*.json", "*.png")),  # the field app (/field/)
]
DESKTOP_FOLDERS: list[tuple[str, tuple[str, ...]]] = [
    ("resources/i18n", ("*.qm",)),
    ("resources/styles", ("*.qss",)),
    ("resources/icons", ("*.png", "*.svg")),  # the window/tray/taskbar icon (ui.theme.app_icon)
    ("ui/map/assets", ("*.js", "*.css", "*.html", "*.png", "*.svg")),
]


def _folder_datas(root: Path, folders: Iterable[tuple[str, tuple[str, ...]]]) -> list[tuple[str, str]]:
    """``(source file, destination folder)`` pairs that keep each file's path under ``root``."""
    datas = []
    for rel, patterns in folders:
        folder = root / rel
        found = sorted({p for pattern in patterns for p in folder.glob(pattern) if p.is_file()})
        if not found:
            raise FileNotFoundError(f"nothing to bundle in {folder} ({', '.join(patterns)})")
        datas += [(str(p), str(Path(rel))) for p in found]
    return datas


def _site_dirs() -> list[Path]:
    """Import roots a vendor file may live under (site-packages first, then sys.path)."""
    dirs = [Path(sysconfig.get_paths()[key]) for key in ("purelib", "platlib")]
    dirs += [Path(p) for p in sys.path if p]
    seen: list[Path] = []
    for d in dirs:
        d = d.resolve()
        if d.is_dir() and d not in seen:
            seen.append(d)
    return seen


def _dest_of(src: Path, root: Path) -> str:
    """The bundle folder of ``src``: its folder relative to the source root or the import root it is under."""
    src = src.resolve()
    # the innermost base wins: a virtualenv inside the source tree is an import root of its own
    bases = sorted((b for b in [root.resolve(), *_site_dirs()] if src.is_relative_to(b)),
                   key=lambda b: len(b.parts), reverse=True)
    if not bases:
        raise ValueError(f"{src} is neither in the source tree nor on the import path")
    return str(src.parent.relative_to(bases[0]))


def map_vendor_datas(root: Path) -> list[tuple[str, str]]:
    """The files the map page copies next to ``index.html`` (``ui.map.page._vendor_files``)."""
    from ui.map.page import _vendor_files

    datas = []
    for _name, src in sorted(_vendor_files().items()):
        if not src.is_file():
            raise FileNotFoundError(f"the map page needs {src}, which is missing")
        datas.append((str(src), _dest_of(src, root)))
    return datas


def server_datas(root: Path) -> list[tuple[str, str]]:
    """Reference data, the Alembic scripts and the field app's pages."""
    return _folder_datas(root, DATA_FOLDERS)


def desktop_datas(root: Path) -> list[tuple[str, str]]:
    """The server's files plus translations, styles, the map's own assets and its vendor files."""
    datas = server_datas(root) + _folder_datas(root, DESKTOP_FOLDERS) + map_vendor_datas(root)
    return sorted(set(datas))


def _submodules(package: str, keep: Callable[[str], bool]) -> list[str]:
    from PyInstaller.utils.hooks import collect_submodules

    return sorted(collect_submodules(package, filter=keep))


def _not_tests(name: str) -> bool:
    return ".testing" not in name and ".tests" not in name


def server_hiddenimports() -> list[str]:
    """Modules the server loads by name (routers, mutations, Alembic's ``op`` in the scripts, the DB driver)."""
    names = _submodules("commandroom", lambda n: True)
    names += _submodules("alembic", _not_tests)
    names += ["psycopg", "psycopg_binary", "sqlalchemy.dialects.postgresql.psycopg", "sqlalchemy.dialects.sqlite",
              "python_multipart", "argon2", "PIL.Image"]
    return sorted(set(names))


def desktop_hiddenimports() -> list[str]:
    """Modules the desktop loads by name: its pages (``MainWindow._plugin_page``), mutations, Alembic."""
    names = _submodules("commandroom", lambda n: not n.startswith(("commandroom.server", "commandroom.demo")))
    names += _submodules("ui", lambda n: True)
    names += _submodules("alembic", _not_tests)
    names += ["sqlalchemy.dialects.sqlite", "xstatic.pkg.leaflet", "xstatic.pkg.leaflet_markercluster"]
    return sorted(set(names))
