"""``commandroom`` — one entry point for the desktop, the county server and the tools.

Each subcommand imports what it needs only when it runs, so ``--help`` is
instant and the server subcommands work on a machine without Qt.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from commandroom.domain.errors import DomainError


class NotLanded(Exception):
    """A subcommand whose issue has not landed yet."""


def _settings(args: argparse.Namespace, **extra):
    from commandroom.config import load_settings

    overrides = {k: getattr(args, k, None) for k in ("db_url", "host", "port", "server_url", "workstation_name",
                                                    "language", "theme", "tls_cert", "tls_key", "ca_file")}
    overrides.update(extra)
    return load_settings(overrides)


def cmd_migrate(args: argparse.Namespace) -> int:
    from commandroom.store.db import make_engine
    from commandroom.store.migrate import current_revision, upgrade

    settings = _settings(args)
    if args.mark_restored:
        from commandroom.server.restore import main as mark_restored

        return mark_restored([settings.server_db_url])
    engine = make_engine(settings.server_db_url)
    upgrade(engine)
    print(f"database {settings.server_db_url} at revision {current_revision(engine)}")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    from commandroom.refdata.seed import run_seed

    return run_seed(_settings(args), demo_days=args.demo_days, data_dir=args.data, seed=args.random_seed)


def cmd_serve(args: argparse.Namespace) -> int:
    from commandroom.server.run import serve

    return serve(_settings(args), workers=args.workers)


def cmd_demo(args: argparse.Namespace) -> int:
    from commandroom.demo import run_demo

    return run_demo(_settings(args), days=args.days, no_desktop=args.no_desktop)


def frontend(name: str) -> Callable[..., int]:
    """A graphical frontend registered under the ``commandroom.frontends`` entry-point group.

    The core never imports the desktop package; the desktop registers itself.
    """
    from importlib.metadata import entry_points

    for ep in entry_points(group="commandroom.frontends"):
        if ep.name == name:
            try:
                return ep.load()
            except (ImportError, AttributeError) as exc:
                raise NotLanded(f"the '{name}' frontend cannot start: {exc}") from None
    raise NotLanded(f"no '{name}' frontend is installed (install the desktop extra: pip install 'commandroom[desktop]')")


def cmd_desktop(args: argparse.Namespace) -> int:
    run_desktop = frontend("desktop")
    return run_desktop(_settings(args), profile=getattr(args, "profile", "default"),
                       self_test=getattr(args, "self_test", False))


def cmd_wall(args: argparse.Namespace) -> int:
    run_wall = frontend("wall")
    return run_wall(_settings(args), screen=args.screen, profile=args.profile)


def cmd_simulate(args: argparse.Namespace) -> int:
    from commandroom.server.simulator import run_simulator

    return run_simulator(args.server, townships=args.townships, rate=args.rate, duration=args.duration,
                         seed=args.random_seed, api_key=args.api_key)


def cmd_user(args: argparse.Namespace) -> int:
    from commandroom.server.users_cli import run_user_command

    return run_user_command(_settings(args), args)


def cmd_notify(args: argparse.Namespace) -> int:
    from commandroom.server.notices_cli import run_notify_command

    return run_notify_command(_settings(args), args)


def cmd_audit(args: argparse.Namespace) -> int:
    from commandroom.server.audit import run_audit_command

    return run_audit_command(_settings(args), args)


def cmd_basemap(args: argparse.Namespace) -> int:
    from commandroom.basemap import library
    from commandroom.server.basemap_api import basemaps_dir
    from commandroom.server.state import open_state

    settings = _settings(args)
    state = open_state(settings.server_db_url, settings=settings)
    try:
        if args.action == "import":
            if not args.file:
                print("commandroom basemap import: give the package file (.mbtiles or .pmtiles)", file=sys.stderr)
                return 2
            result = library.import_package(state, args.file, basemaps_dir(state), layer=args.layer, crs=args.crs,
                                            data_dir=args.data)
            b = result.basemap
            print(f"imported {b['name']} as {b['layer']} version {b['version']}: {b['tile_format']}, {b['crs']}, "
                  f"zoom {b['min_zoom']}–{b['max_zoom']}, {b['tile_count']} tiles, {b['size'] / 1e6:.1f} MB")
            return 0
        with state.read() as session:
            rows = library.all_versions(session)
            newest = {r.id for r in library.current(session)}
            for r in rows:
                mark = "*" if r.id in newest else " "
                print(f"{mark} {r.layer:8} v{r.version:<3} {r.name}  {r.tile_format} {r.crs} z{r.min_zoom}-{r.max_zoom} "
                      f"{r.size / 1e6:.1f} MB  {r.imported_at:%Y-%m-%d %H:%M}")
            if not rows:
                print("no base map imported yet")
        return 0
    finally:
        state.close()


def cmd_bench(args: argparse.Namespace) -> int:
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    perf = root / "tests" / "perf"
    if not perf.exists():
        raise NotLanded("benchmarks live in tests/perf of a source checkout; run `make bench` there")
    return subprocess.call([sys.executable, "-m", "tests.perf", *args.only], cwd=root)  # noqa: S603 - this interpreter, our benchmark module


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="commandroom",
        description="乡镇综合信息指挥室 CommandRoom: the township command room client and the county server.",
    )
    p.set_defaults(func=cmd_desktop, profile="default", self_test=False)
    sub = p.add_subparsers(title="subcommands", metavar="COMMAND")

    def add(name: str, func: Callable[[argparse.Namespace], int], help_: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help_, description=help_)
        sp.set_defaults(func=func)
        return sp

    s = add("serve", cmd_serve, "run the county server (FastAPI); migrations run on start")
    s.add_argument("--db", dest="db_url", help="database URL (default: SQLite file in the data dir)")
    s.add_argument("--host")
    s.add_argument("--port", type=int)
    s.add_argument("--tls-cert", dest="tls_cert", help="certificate file: serve HTTPS")
    s.add_argument("--tls-key", dest="tls_key", help="private key file for --tls-cert")
    s.add_argument("--workers", type=int, default=1, help="server processes (PostgreSQL only)")

    s = add("seed", cmd_seed, "load reference data (and optional demo history) into a county database")
    s.add_argument("--db", dest="db_url", help="database URL (default: SQLite file in the data dir)")
    s.add_argument("--data", help="reference-data folder (default: the bundled data/)")
    s.add_argument("--demo-days", type=int, default=0, help="also generate this many days of demo history")
    s.add_argument("--random-seed", type=int, default=20261126)

    s = add("demo", cmd_demo, "seed 30 days of history, start an embedded server and open the desktop")
    s.add_argument("--days", type=int, default=30)
    s.add_argument("--port", type=int)
    s.add_argument("--no-desktop", action="store_true", help="only start the server and print how to log in")

    s = add("desktop", cmd_desktop, "open the command room desktop (the default)")
    s.add_argument("--server", dest="server_url")
    s.add_argument("--workstation", dest="workstation_name")
    s.add_argument("--profile", default="default", help="local profile (separate local database)")
    s.add_argument("--language", choices=["zh_CN", "en"])
    s.add_argument("--theme", choices=["light", "dark"])
    s.add_argument("--self-test", action="store_true", help="open every screen offscreen once and exit")

    s = add("wall", cmd_wall, "full-screen wall display for the command room")
    s.add_argument("--screen", type=int, default=0)
    s.add_argument("--profile", default="wall")
    s.add_argument("--server", dest="server_url")

    s = add("simulate", cmd_simulate, "grid workers posting realistic reports through Open311")
    s.add_argument("--server", required=True, help="county server URL")
    s.add_argument("--townships", nargs="*", default=None, help="township names or codes (default: all)")
    s.add_argument("--rate", type=float, default=1.0, help="reports per second")
    s.add_argument("--duration", type=float, default=0, help="seconds to run (0: until interrupted)")
    s.add_argument("--api-key", default=None, help="a grid worker's Open311 api_key")
    s.add_argument("--random-seed", type=int, default=7)

    s = add("user", cmd_user, "manage accounts on the county server: add | list | disable | reset-password")
    s.add_argument("--db", dest="db_url")
    s.add_argument("action", choices=["add", "list", "disable", "enable", "reset-password", "revoke-key", "roles"])
    s.add_argument("username", nargs="?")
    s.add_argument("--role", help="one role or several on one scope, comma-separated: duty-officer,module-lead")
    s.add_argument("--department", help="a department liaison's county department (code or name)")
    s.add_argument("--name", dest="display_name")
    s.add_argument("--township")
    s.add_argument("--zone")
    s.add_argument("--county", action="store_true")
    s.add_argument("--grid")
    s.add_argument("--password")

    s = add("notify", cmd_notify, "notices that leave the room: channels | channel-add | rule-add | contact | log")
    s.add_argument("action", choices=["channels", "channel-add", "rule-add", "contact", "log"])
    s.add_argument("name", nargs="?", help="channel name (channel-add), event (rule-add) or user name (contact)")
    s.add_argument("--db", dest="db_url")
    s.add_argument("--kind", choices=["robot", "sms", "email"])
    s.add_argument("--set", action="append", metavar="KEY=VALUE", help="a channel setting (url, secret, token, host…)")
    s.add_argument("--channel")
    s.add_argument("--township")
    s.add_argument("--email")
    s.add_argument("--phone")
    s.add_argument("--limit", type=int, default=50)

    s = add("migrate", cmd_migrate, "bring a county database to the current schema")
    s.add_argument("--db", dest="db_url")
    s.add_argument("--mark-restored", action="store_true",
                   help="after restoring a backup: start a new sync epoch so workstations re-send what was lost")

    s = add("audit", cmd_audit, "check the hash-chained audit log: verify | show")
    s.add_argument("action", choices=["verify", "show"])
    s.add_argument("--db", dest="db_url")
    s.add_argument("--limit", type=int, default=20)

    s = add("basemap", cmd_basemap, "offline base maps on the county server: import FILE | list")
    s.add_argument("action", choices=["import", "list"])
    s.add_argument("file", nargs="?", help="an MBTiles (raster or vector) or PMTiles package")
    s.add_argument("--db", dest="db_url", help="database URL (default: SQLite file in the data dir)")
    s.add_argument("--layer", choices=["streets", "imagery", "labels"], default="streets")
    s.add_argument("--crs", choices=["wgs84", "gcj02"], default=None,
                   help="the tiles' coordinate system when the package does not say (gcj02: 高德-style tiles)")
    s.add_argument("--data", help="reference-data folder with the county outline (default: the bundled data/)")

    s = add("bench", cmd_bench, "run the benchmarks (source checkout)")
    s.add_argument("only", nargs="*", help="names of benchmarks to run (default: all)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except NotLanded as exc:
        print(f"commandroom: {exc}", file=sys.stderr)
        return 3
    except DomainError as exc:
        print(f"commandroom: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
