"""Domain model shared by the desktop's local cache and the county server."""
