"""``commandroom serve``: run the county server with uvicorn."""

from __future__ import annotations

import logging

from commandroom.config import Settings, setup_logging

log = logging.getLogger(__name__)


def serve(settings: Settings, *, workers: int = 1) -> int:
    import uvicorn

    from commandroom.server.app import create_app

    log_path = setup_logging(settings, "county-server")
    if settings.tls_cert or settings.tls_key:
        from commandroom.server.tls import check_files

        check_files(settings.tls_cert, settings.tls_key)
    app = create_app(settings.server_db_url, settings=settings)
    scheme = "https" if settings.tls_cert else "http"
    print(f"CommandRoom county server on {scheme}://{settings.host}:{settings.port}  "
          f"(database {settings.server_db_url}; log {log_path})", flush=True)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        ssl_certfile=settings.tls_cert or None,
        ssl_keyfile=settings.tls_key or None,
    )
    uvicorn.Server(config).run()
    return 0
