"""Installs that reproduce: the lock covers pyproject.toml, the code declares what it imports, the wheel is whole.

The wheel is built once per run from a copy of the source tree (``pip wheel --no-build-isolation``,
offline, with the setuptools of the lock). The slow test installs it into a fresh virtualenv that
borrows this environment's packages (a ``.pth`` file, no index: nothing is downloaded) and runs
``commandroom seed`` and ``commandroom serve`` from it, and loads the desktop's translations and styles.
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import tomllib
import zipfile
from pathlib import Path

import httpx
import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
LOCK = ROOT / "requirements.lock"
# what a wheel install of the server or the desktop needs; dev and dist are for the checkout
SHIPPED_EXTRAS = ("server", "desktop")


def _requirements(*extras: str) -> list[Requirement]:
    project = PYPROJECT["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    for extra in extras:
        reqs += [Requirement(r) for r in project["optional-dependencies"][extra]]
    return [r for r in reqs if canonicalize_name(r.name) != "commandroom"]


def _lock_entries() -> list[tuple[str, Version, Marker | None]]:
    """(name, pinned version, environment marker) of each package in the lock."""
    entries = []
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith((" ", "#", "-")):
            spec, _, marker = line.rstrip("\\ ").partition(";")
            name, _, version = spec.partition("==")
            entries.append((canonicalize_name(name.split("[")[0].strip()), Version(version.strip()),
                            Marker(marker) if marker.strip() else None))
    return entries


def _lock_pins() -> dict[str, Version]:
    return {name: version for name, version, _marker in _lock_entries()}


# ----------------------------------------------------------------------------- the lock


def test_the_lock_pins_every_requirement_at_an_allowed_version_with_hashes():
    pins = _lock_pins()
    for req in _requirements(*PYPROJECT["project"]["optional-dependencies"]):
        name = canonicalize_name(req.name)
        assert name in pins, f"{req} is not in requirements.lock: run `make lock`"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {name}=={pins[name]}, outside {req}: run `make lock`")
    text = LOCK.read_text(encoding="utf-8")
    pin_lines = [line for line in text.splitlines() if line and not line.startswith((" ", "#"))]
    assert all(line.endswith("\\") for line in pin_lines), "every pin carries its hashes (--generate-hashes)"
    assert "sys_platform == 'win32'" in text  # the universal lock also serves the Windows build (tzdata)


def test_the_environment_matches_the_lock():
    """What the tests run on is what the lock says (else `make` was not run after the lock changed)."""
    wrong = []
    for name, version, marker in _lock_entries():
        if marker is not None and not marker.evaluate():
            continue
        try:
            installed = Version(importlib.metadata.version(name))
        except importlib.metadata.PackageNotFoundError:
            wrong.append(f"{name} missing (lock: {version})")
            continue
        if installed != version:
            wrong.append(f"{name} {installed} (lock: {version})")
    assert not wrong, "installed packages differ from requirements.lock, run `make`: " + ", ".join(wrong)


# ----------------------------------------------------------------------------- declared dependencies


def _imported_top_modules(paths: list[Path]) -> tuple[set[str], set[str]]:
    """Third-party top-level modules imported by ``paths``: (at import time, only inside a function or a guard).

    The second kind runs only on the code path that needs it (the core's PMTiles reader and demo base-map
    renderer run in the county server, ``server/tls.py`` falls back without ``cryptography``): such a
    package must still be declared, by the part's install or by another extra.
    """
    required: set[str] = set()
    deferred: set[str] = set()

    def names_of(node: ast.AST) -> set[str]:
        if isinstance(node, ast.Import):
            return {alias.name.split(".")[0] for alias in node.names}
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            return {node.module.split(".")[0]}
        return set()

    def visit(node: ast.AST, at_import_time: bool) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or (isinstance(node, ast.Try) and any(
                "ImportError" in ast.unparse(h.type) for h in node.handlers if h.type is not None)):
            at_import_time = False
        (required if at_import_time else deferred).update(names_of(node))
        for child in ast.iter_child_nodes(node):
            visit(child, at_import_time)

    for path in paths:
        visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), True)
    ours = set(sys.stdlib_module_names) | {"commandroom", "ui", "__future__"}
    return required - ours, deferred - ours - required


def _core_files() -> list[Path]:
    """The core as the desktop installs it: without the county server and the demo (which starts one)."""
    server = ROOT / "commandroom" / "server"
    return [p for p in (ROOT / "commandroom").rglob("*.py")
            if not p.is_relative_to(server) and p != ROOT / "commandroom" / "demo.py"]


@pytest.mark.parametrize(("part", "files", "extras"), [
    ("the core", _core_files, ()),
    ("the county server", lambda: list((ROOT / "commandroom" / "server").rglob("*.py")), ("server",)),
    ("the desktop", lambda: list((ROOT / "ui").rglob("*.py")), ("desktop",)),
])
def test_every_package_the_code_imports_is_declared(part, files, extras):
    """A module a part of the code imports comes from a distribution its install (core + extra) names.

    A package imported only inside a function or an ``ImportError`` guard may come from another extra.
    """
    providers = importlib.metadata.packages_distributions()
    required, optional = _imported_top_modules(files())
    undeclared = {}
    for modules, names in ((required, extras), (optional, SHIPPED_EXTRAS)):
        declared = {canonicalize_name(r.name) for r in _requirements(*names)}
        for module in sorted(modules):
            dists = {canonicalize_name(d) for d in providers.get(module, [])}
            assert dists, f"{part} imports {module}, which no installed distribution provides"
            if not dists & declared:
                undeclared[module] = sorted(dists)
    assert not undeclared, f"{part} imports packages pyproject.toml does not declare for it: {undeclared}"


# ----------------------------------------------------------------------------- the wheel


def _copy_source(dest: Path) -> Path:
    """The tree a wheel is built from, without the venv, caches and earlier builds."""
    ignore = shutil.ignore_patterns(".git", ".venv", "build", "dist", "tests", "__pycache__", "*.egg-info",
                                    ".hypothesis", ".pytest_cache", ".ruff_cache", "*.db", "*.db-*")
    shutil.copytree(ROOT, dest, ignore=ignore, symlinks=False)
    return dest


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    import setuptools

    if Version(setuptools.__version__) < Version("77.0.1"):
        pytest.fail(f"setuptools {setuptools.__version__} cannot build the wheel (77.0.1 or newer): run `make`")
    work = tmp_path_factory.mktemp("wheel")
    source = _copy_source(work / "src")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index",
                    str(source), "-w", str(work / "out")], check=True, cwd=work)
    (built,) = (work / "out").glob("commandroom-*.whl")
    return built


def test_the_wheel_carries_data_resources_migrations_and_map_assets(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"commandroom/data/{p.name}" for p in (ROOT / "data").iterdir() if p.is_file()}
    expected |= {f"ui/resources/i18n/{p.name}" for p in (ROOT / "resources/i18n").glob("*.qm")}
    expected |= {f"ui/resources/styles/{p.name}" for p in (ROOT / "resources/styles").glob("*.qss")}
    # every module and every file beside them: a package folder without __init__.py is not found by
    # find_packages(), a new kind of asset may match no package-data pattern
    for package in ("commandroom", "ui"):
        expected |= {p.relative_to(ROOT).as_posix() for p in (ROOT / package).rglob("*")
                     if p.is_file() and "__pycache__" not in p.parts
                     and p.suffix not in (".pyc", ".db", ".db-wal", ".db-shm")}
    assert expected <= names, f"missing from the wheel (setup.py, package-data): {sorted(expected - names)}"
    assert not any(n.startswith(("data/", "resources/", "tests/", "packaging/")) for n in names)
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "License-Expression: LicenseRef-Proprietary" in metadata


# ----------------------------------------------------------------------------- an install of the wheel


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> dict:
    """A fresh venv with the wheel (server and desktop extras), this environment's packages borrowed."""
    base = tmp_path_factory.mktemp("installed")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    bindir = venv / ("Scripts" if sys.platform == "win32" else "bin")
    python = bindir / ("python.exe" if sys.platform == "win32" else "python")
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # after the venv's own site-packages: the wheel's commandroom wins over this checkout's editable install,
    # whose finder is not loaded (a .pth file of a folder added by a .pth file is not read)
    borrowed = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    (site / "_borrowed_packages.pth").write_text("\n".join(sorted(borrowed)) + "\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME") and not k.startswith("PIP_")}
    env.update(COMMANDROOM_HOME=str(base / "home"), PIP_CONFIG_FILE=os.devnull)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-index", f"commandroom[{','.join(SHIPPED_EXTRAS)}]"
                    f" @ {wheel.as_uri()}"], check=True, env=env, cwd=base)
    script = bindir / ("commandroom.exe" if sys.platform == "win32" else "commandroom")
    return {"python": python, "commandroom": script, "env": env, "cwd": base, "site": site}


def _run(installed: dict, *args: str, timeout: float = 120) -> str:
    done = subprocess.run([str(a) for a in args], env=installed["env"], cwd=installed["cwd"], capture_output=True,
                          text=True, encoding="utf-8", timeout=timeout)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.slow
def test_the_installed_wheel_seeds_and_serves_from_its_own_files(installed):
    where = _run(installed, installed["python"], "-c",
                 "import commandroom, commandroom.shipped as s; print(commandroom.__file__); print(s.DATA_DIR)")
    module_file, data_dir = where.split()
    assert Path(module_file).is_relative_to(installed["site"]), "the test must run the wheel, not the checkout"
    assert Path(data_dir) == installed["site"] / "commandroom" / "data"

    db = installed["cwd"] / "county.db"
    url = f"sqlite:///{db.as_posix()}"
    _run(installed, installed["commandroom"], "seed", "--db", url)
    port = _free_port()
    server = subprocess.Popen([str(installed["commandroom"]), "serve", "--db", url, "--host", "127.0.0.1",
                               "--port", str(port)], env=installed["env"], cwd=installed["cwd"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8")
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"{base}/health", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "the installed server did not answer within 60 s"
                time.sleep(0.3)
        assert health.status_code == 200 and health.json()["ok"] is True
        services = httpx.get(f"{base}/open311/v2/services.json", timeout=10)
        assert services.status_code == 200
        assert len(services.json()) >= 10  # the event categories of data/event_categories.json, seeded
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


DESKTOP_PROBE = """
import sys
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication
from ui.i18n import I18N_DIR, install_translators
from ui.theme import STYLES, apply_theme
app = QApplication([])
print(I18N_DIR)
print(STYLES)
print(install_translators(app, "zh_CN"))
print(QCoreApplication.translate("Labels", "Duty officer"))
apply_theme(app, "dark")
print(len(app.styleSheet()))
"""


@pytest.mark.slow
def test_the_installed_wheel_shows_translations_and_styles(installed):
    installed["env"].update(QT_QPA_PLATFORM="offscreen")
    lines = _run(installed, installed["python"], "-c", DESKTOP_PROBE).splitlines()
    i18n_dir, styles, language, duty_officer, qss_length = lines[-5:]
    assert Path(i18n_dir) == installed["site"] / "ui" / "resources" / "i18n"
    assert Path(styles) == installed["site"] / "ui" / "resources" / "styles"
    assert language == "zh_CN" and duty_officer != "Duty officer"  # the Chinese label
    assert int(qss_length) > 200
