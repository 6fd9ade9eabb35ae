"""The read side of every screen: what the desk, the wall and the briefing ask of the store.

Qt-free (the import-linter contract and ``tests/core/test_layering.py`` hold it to that), so the
same rules run under the desktop, the wall and the county server. ``ui/`` only renders what these
functions return; it never writes SQL. The write side is :mod:`commandroom.mutations`.
"""
