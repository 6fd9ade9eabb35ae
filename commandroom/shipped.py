"""Where the files shipped beside the code are: the reference data and the desktop's translations and styles.

The repository keeps them at its top, ``data/`` and ``resources/``. A wheel carries them as package
data, ``commandroom/data`` and ``ui/resources`` (``setup.py`` maps the two folders there), because
site-packages has no place for a top-level ``data/``. A PyInstaller build puts them at the top of the
bundle again (``packaging/bundle.py``), which is where the checkout's rule finds them.
"""

from __future__ import annotations

from pathlib import Path

# the folder that holds the ``commandroom`` package: the checkout, site-packages or a PyInstaller bundle
_TOP = Path(__file__).resolve().parents[1]


def shipped_folder(name: str, package: str) -> Path:
    """``name`` as a wheel installs it (``<top>/<package>/<name>``), else as the checkout and a bundle have it.

    The installed form is looked for first: a site-packages may hold someone else's stray top-level folder.
    """
    installed = _TOP / package / name
    return installed if installed.is_dir() else _TOP / name


DATA_DIR = shipped_folder("data", "commandroom")
"""The reference data: townships, villages, grids, departments, the county outline, the catalogues."""

RESOURCES_DIR = shipped_folder("resources", "ui")
"""The desktop's compiled translations (``i18n/*.qm``) and style sheets (``styles/*.qss``)."""
