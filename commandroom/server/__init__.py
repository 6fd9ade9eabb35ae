"""The county server (FastAPI). Depends only on the core; runs with no Qt installed."""
