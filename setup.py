"""The one thing pyproject.toml cannot say: two top-level folders ship as package data.

``data/`` (reference data) and ``resources/`` (the desktop's translations and styles) stay at the top
of the repository, where the docs and the PyInstaller spec expect them. In a wheel they become
``commandroom/data`` and ``ui/resources`` (site-packages has no place for a top-level ``data/``);
``commandroom.shipped`` finds either form. Everything else is in pyproject.toml.
"""

from setuptools import find_packages, setup

SHIPPED = {"commandroom.data": "data", "ui.resources": "resources"}
# Folders of files without __init__.py, which find_packages() does not list: Alembic reads the migration
# scripts from disk, the map page copies its assets, Qt loads the translations and the style sheet, the
# county server serves the field app's pages.
DATA_FOLDERS = ["commandroom.store.migrations", "commandroom.store.migrations.versions", "commandroom.server.field_static",
                "ui.map.assets",
                "ui.resources.i18n", "ui.resources.styles"]

setup(
    packages=find_packages(include=["commandroom", "commandroom.*", "ui", "ui.*"]) + list(SHIPPED) + DATA_FOLDERS,
    package_dir=SHIPPED,
)
