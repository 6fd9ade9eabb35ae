"""The wall screen (大屏): a full-screen, unattended display of the command room's situation.

``commandroom wall [--screen N] [--profile NAME]`` runs :func:`ui.wall.app.run_wall`; the
desktop opens the same :class:`ui.wall.window.WallWindow` from its "Wall screen" action.

Modules:

* :mod:`~ui.wall.config` — rotation interval, pages, fixed page, sound (a small JSON per profile);
* :mod:`~commandroom.queries.wall` — the numbers, computed from a session (pure, no Qt);
* :mod:`~commandroom.queries.masking` — personal data masked for a screen that visitors can see (pure);
* :mod:`~ui.wall.charts`, :mod:`~ui.wall.ticker`, :mod:`~ui.wall.pages` — the widgets;
* :mod:`~ui.wall.rotation`, :mod:`~ui.wall.watchdog`, :mod:`~ui.wall.urgent` — unattended operation;
* :mod:`~ui.wall.window` — the window; :mod:`~ui.wall.app` — the entry point;
* the soak driver used by the test and the benchmark lives in ``tools/wall_soak.py``.
"""
