"""Wall settings per profile: a small JSON next to ``commandroom.toml`` (``wall-<profile>.json``).

The TOML settings are shared by every client and reject unknown keys, so the wall keeps its own
knobs in the config dir. A missing file is written with the defaults on first start, so the
operator has something to edit; a broken file or a bad value is logged and the default used
(a wall must come up whatever the file says).

Example::

    {"interval_s": 30, "pages": ["overview", "map", "zones", "cases", "boards"],
     "fixed_page": null, "sound": true, "urgent_s": 60}
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

PAGE_OVERVIEW, PAGE_MAP, PAGE_ZONES, PAGE_CASES, PAGE_BOARDS = "overview", "map", "zones", "cases", "boards"
PAGES: tuple[str, ...] = (PAGE_OVERVIEW, PAGE_MAP, PAGE_ZONES, PAGE_CASES, PAGE_BOARDS)

# the smallest values a config file may set (tests construct WallConfig directly with shorter ones)
FILE_MINIMUMS = {"interval_s": 5.0, "urgent_s": 5.0, "refresh_s": 10.0, "debounce_s": 0.2, "watchdog_s": 5.0,
                 "shift_minutes": 0.5}


@dataclass(frozen=True)
class WallConfig:
    """What the wall shows and how it behaves.

    Args:
        interval_s: seconds each page stays before the next one (rotation).
        pages: the pages in rotation order (keys of :data:`PAGES`).
        fixed_page: show only this page (no rotation); None: rotate.
        sound: play the alert sound when an urgent incident takes over.
        urgent_s: how long an urgent incident holds the screen before rotation resumes.
        refresh_s: every page reloads its figures at least this often (and on change events).
        debounce_s: change events are coalesced for this long before a reload.
        max_wait_s: under a steady stream of changes, a page still reloads at least this often.
        watchdog_s: how often the watchdog checks the rotation and the pages.
        stale_s: a page whose figures are older than this is rebuilt (0: ``3 × refresh_s``, ≥ 90 s).
        shift_minutes: burn-in protection — the content moves by a few pixels this often.
        shift_px: the largest shift at 1080 lines (scaled with the screen).
        townships: only these townships' figures (None: everything in the local store).
        ticker_size: how many of the newest reports run in the ticker.
    """

    interval_s: float = 30.0
    pages: tuple[str, ...] = PAGES
    fixed_page: str | None = None
    sound: bool = True
    urgent_s: float = 60.0
    refresh_s: float = 60.0
    debounce_s: float = 2.0
    max_wait_s: float = 10.0
    watchdog_s: float = 15.0
    stale_s: float = 0.0
    shift_minutes: float = 3.0
    shift_px: int = 4
    townships: tuple[str, ...] | None = None
    ticker_size: int = 20

    def __post_init__(self) -> None:
        pages = tuple(p for p in dict.fromkeys(self.pages) if p in PAGES) or (PAGE_OVERVIEW,)
        object.__setattr__(self, "pages", pages)
        if self.fixed_page is not None and self.fixed_page not in PAGES:
            object.__setattr__(self, "fixed_page", None)
        if self.townships is not None:
            object.__setattr__(self, "townships", tuple(self.townships))

    @property
    def rotating(self) -> bool:
        return self.fixed_page is None and len(self.pages) > 1

    @property
    def shown_pages(self) -> tuple[str, ...]:
        """The pages the wall builds: the fixed page only, or the rotation."""
        return (self.fixed_page,) if self.fixed_page else self.pages

    @property
    def page_stale_s(self) -> float:
        return self.stale_s if self.stale_s > 0 else max(90.0, 3 * self.refresh_s)

    def with_(self, **changes: Any) -> WallConfig:
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["pages"] = list(self.pages)
        data["townships"] = None if self.townships is None else list(self.townships)
        return data


def config_path(config_dir: Path, profile: str) -> Path:
    return Path(config_dir) / f"wall-{profile}.json"


def parse_wall_config(data: Any, *, defaults: WallConfig | None = None, origin: str = "wall config") -> WallConfig:
    """A WallConfig from decoded JSON; unknown keys and bad values are logged and ignored."""
    base = defaults or WallConfig()
    if not isinstance(data, dict):
        log.warning("%s: expected a JSON object; using the defaults", origin)
        return base
    known = {f.name: f for f in fields(WallConfig)}
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            log.warning("%s: unknown key %r ignored", origin, key)
            continue
        default = getattr(base, key)
        try:
            if key == "pages":
                if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
                    raise ValueError("a list of page names")
                unknown = [p for p in value if p not in PAGES]
                if unknown:
                    log.warning("%s: unknown pages %s ignored (known: %s)", origin, unknown, ", ".join(PAGES))
                value = tuple(p for p in value if p in PAGES)
                if not value:
                    raise ValueError("at least one known page")
            elif key == "fixed_page":
                if value is not None and value not in PAGES:
                    raise ValueError(f"one of {', '.join(PAGES)} or null")
            elif key == "townships":
                if value is not None and (not isinstance(value, list) or not all(isinstance(t, str) for t in value)):
                    raise ValueError("a list of township codes or null")
                value = None if value is None else tuple(value)
            elif isinstance(default, bool):
                if not isinstance(value, bool):
                    raise ValueError("true or false")
            elif isinstance(default, int):
                value = int(value)
            elif isinstance(default, float):
                value = float(value)
                if key in FILE_MINIMUMS and value < FILE_MINIMUMS[key]:
                    raise ValueError(f"at least {FILE_MINIMUMS[key]:g}")
        except (TypeError, ValueError) as exc:
            log.warning("%s: %s = %r is not valid (%s); using %r", origin, key, value, exc, default)
            continue
        values[key] = value
    return replace(base, **values)


def load_wall_config(config_dir: Path, profile: str, *, sound: bool = True, write_default: bool = True) -> WallConfig:
    """The profile's wall config (``wall-<profile>.json``); writes the defaults when the file is missing.

    Args:
        sound: the default for ``sound`` (the client's ``settings.sound``).
    """
    defaults = WallConfig(sound=sound)
    path = config_path(config_dir, profile)
    if not path.exists():
        if write_default:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(defaults.to_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
                log.info("wrote the default wall config to %s", path)
            except OSError:
                log.warning("could not write the default wall config to %s", path, exc_info=True)
        return defaults
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("%s cannot be read (%s); using the defaults", path, exc)
        return defaults
    return parse_wall_config(data, defaults=defaults, origin=str(path))
