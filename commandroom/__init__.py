"""CommandRoom core: domain, store, sync, services and the county server.

This package never imports Qt (import-linter checks it), so the county server
runs on a machine with no PySide6 installed.
"""

__version__ = "0.1.0"
PROTOCOL_VERSION = 1
SCHEMA_VERSION = 1
