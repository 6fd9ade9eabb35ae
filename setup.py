"""The one thing pyproject.toml cannot say: two top-level folders ship as package data.

``data/`` (reference data) and ``resources/`` (the desktop's translations and styles) stay at the top
of the repository, where the docs and the PyInstaller spec expect them. In a wheel they become
``commandroom/data`` and ``ui/resources`` (site-packages has no place for a top-level ``data/``);
``commandroom.shipped`` finds either form. Everything else is in pyproject.toml.
"""

from setuptools import find_packages, setup

SHIPPED = {"commandroom.data": "data", "ui.resources": "resources"}
# Alembic reads these scripts from disk; they have no __init__.py, so find_packages() does not list them
MIGRATIONS = ["commandroom.store.migrations", "commandroom.store.migrations.versions"]

setup(
    packages=find_packages(include=["commandroom", "commandroom.*", "ui", "ui.*"]) + MIGRATIONS + list(SHIPPED),
    package_dir=SHIPPED,
)
