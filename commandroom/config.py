"""Configuration: command-line flags over ``COMMANDROOM_*`` environment variables over a TOML file.

The TOML file lives in the platformdirs config dir (``commandroom.toml``);
data in the data dir, rotating logs in the log dir. ``COMMANDROOM_HOME``
moves all three under one folder (tests, portable installs).
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import platformdirs

from commandroom.domain.errors import ValidationError

APP = "commandroom"


def _dirs() -> tuple[Path, Path, Path]:
    home = os.environ.get("COMMANDROOM_HOME")
    if home:
        base = Path(home).expanduser()
        return base / "config", base / "data", base / "logs"
    return (
        Path(platformdirs.user_config_dir(APP, appauthor=False)),
        Path(platformdirs.user_data_dir(APP, appauthor=False)),
        Path(platformdirs.user_log_dir(APP, appauthor=False)),
    )


@dataclass(frozen=True)
class Settings:
    """Every tunable of the client and the server, with where its value came from."""

    config_dir: Path
    data_dir: Path
    log_dir: Path
    # server
    db_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8350
    tls_cert: str = ""
    tls_key: str = ""
    scheduler: bool = True  # run the clocks (escalations, warnings, cards, compaction); see server/scheduler.py
    # client
    server_url: str = "http://127.0.0.1:8350"
    workstation_name: str = ""
    ca_file: str = ""
    allow_insecure_http: bool = False
    language: str = "zh_CN"
    theme: str = "light"
    sound: bool = True
    log_level: str = "INFO"
    sources: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def config_file(self) -> Path:
        return self.config_dir / "commandroom.toml"

    @property
    def server_db_url(self) -> str:
        return self.db_url or f"sqlite:///{self.data_dir / 'county-server.db'}"

    def client_db_path(self, profile: str = "default") -> Path:
        return self.data_dir / f"workstation-{profile}.db"


_TYPES = {f.name: f.type for f in fields(Settings)}
_KEYS = [f.name for f in fields(Settings) if f.name not in ("config_dir", "data_dir", "log_dir", "sources")]


def _coerce(key: str, value: Any, origin: str) -> Any:
    kind = _TYPES[key]
    try:
        if kind in ("int", int):
            return int(value)
        if kind in ("bool", bool):
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(value)
        return str(value)
    except (TypeError, ValueError):
        raise ValidationError(f"{origin}: {key}", f"'{value}' is not a valid {kind}") from None


def load_settings(overrides: dict[str, Any] | None = None, *, config_file: Path | None = None) -> Settings:
    """Build settings from the TOML file, then the environment, then explicit overrides (flags)."""
    config_dir, data_dir, log_dir = _dirs()
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    path = config_file or config_dir / "commandroom.toml"
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ValidationError(str(path), f"is not valid TOML: {exc}") from None
        for key, value in data.items():
            if key not in _KEYS:
                raise ValidationError(f"{path}: {key}", "is not a known setting")
            values[key] = _coerce(key, value, str(path))
            sources[key] = str(path)
    for key in _KEYS:
        env = os.environ.get(f"COMMANDROOM_{key.upper()}")
        if env is not None:
            values[key] = _coerce(key, env, f"COMMANDROOM_{key.upper()}")
            sources[key] = "environment"
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        if key not in _KEYS:
            raise ValidationError(key, "is not a known setting")
        values[key] = _coerce(key, value, "command line")
        sources[key] = "command line"
    settings = Settings(config_dir=config_dir, data_dir=data_dir, log_dir=log_dir, **values)
    return replace(settings, sources=sources)


def setup_logging(settings: Settings, name: str) -> Path:
    """Rotating log file in the log dir (5 × 2 MB) plus stderr for warnings."""
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    path = settings.log_dir / f"{name}.log"
    root = logging.getLogger()
    if not any(isinstance(h, logging.handlers.RotatingFileHandler) for h in root.handlers):
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        stderr = logging.StreamHandler()
        stderr.setLevel(logging.WARNING)
        root.addHandler(stderr)
    root.setLevel(settings.log_level.upper())
    return path


# keys the desktop's 设置 page edits (the rest of the file is kept as it is)
USER_KEYS = ("language", "theme", "sound", "server_url", "workstation_name")
_CHOICES = {"language": ("zh_CN", "en"), "theme": ("light", "dark")}


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid TOML basic string


def save_settings(changes: dict[str, Any], *, config_file: Path | None = None) -> Path:
    """Write ``changes`` into the TOML file (other keys kept; comments are not) and return its path.

    Every value is checked first (type, closed choices, a server URL with http/https): a bad value
    raises ValidationError and nothing is written. The file is replaced atomically.
    """
    path = config_file or _dirs()[0] / "commandroom.toml"
    current: dict[str, Any] = {}
    if path.exists():
        try:
            current = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ValidationError(str(path), f"is not valid TOML: {exc}") from None
    for key, value in changes.items():
        if key not in _KEYS:
            raise ValidationError(key, "is not a known setting")
        value = _coerce(key, value, "settings")
        if key in _CHOICES and value not in _CHOICES[key]:
            raise ValidationError(key, f"must be one of {', '.join(_CHOICES[key])}")
        if key == "server_url" and not str(value).startswith(("http://", "https://")):
            raise ValidationError(key, "must start with http:// or https://")
        current[key] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(f"{key} = {_toml_value(value)}\n" for key, value in current.items())
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path

