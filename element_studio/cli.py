"""`element-studio`: check, run, serve, new, sim."""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from .app_folder import AppFolderMissing, choose_app_folder, is_sample_copy
from .runtime.app import App
from .runtime.errors import ElementError
from .runtime.storage import DATABASE_URL_VARIABLE, DatabaseUrlError, database_url
from .runtime.instances import create_instance, parse_assignment
from .runtime.logs import log_to_stdout, ring_buffer
from .runtime.redaction import redactor
from .runtime.file_watch import FileWatcher
from .runtime.supervisor import Supervisor

log = logging.getLogger("element_studio.cli")
SIMULATORS_HELP = ("where services connect: the Types' built-in simulators (on) or the real platforms (off); "
                   "default: on for the sample app, off for any other app")


DATABASE_HELP = (f"a PostgreSQL database shared by every replica, postgresql://user:password@host:5432/dbname "
                 f"(or {DATABASE_URL_VARIABLE}); default: the app's own SQLite file")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="element-studio", description="Run and edit element families: IM robots answering with AI agents.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_app(sub: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sub.add_argument("--app", type=Path, default=None,
                         help="app folder (default: the current folder if it holds elements, else your copy of the sample app)")
        return sub

    with_app(commands.add_parser("check", help="validate every element and instance config", description="Validate every element and instance config; exit 1 with one line per problem."))
    for name, text in (("run", "the headless runtime: start every afterAppInit instance, log to stdout"), ("serve", "the editor and the runtime in one process")):
        sub = with_app(commands.add_parser(name, help=text, description=text))
        sub.add_argument("--simulators", choices=("on", "off"), default=None, help=SIMULATORS_HELP)
        sub.add_argument("--database", default=None, metavar="URL", help=DATABASE_HELP)
        if name == "serve":
            sub.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; anything else needs --token)")
            sub.add_argument("--port", type=int, default=8000, help="port (default 8000)")
            sub.add_argument("--token", default=None, help="access token required when binding beyond 127.0.0.1 (or ELEMENT_STUDIO_TOKEN)")
            sub.add_argument("--allowed-host", dest="allowed_hosts", action="append", default=[], metavar="NAME",
                             help="a host name the editor may be reached under besides localhost, 127.0.0.1, [::1] "
                                  "and --host (requests naming any other host are refused); repeatable")
    new = with_app(commands.add_parser("new", help="write a new instance folder from a Type's schema defaults", description="Write a new instance folder from a Type's schema defaults."))
    new.add_argument("type", metavar="TYPE", help="the Type's fullName, e.g. imRobots.dingTalkStreamType")
    new.add_argument("name", metavar="NAME", help="the instance name (myBot) or fullName (imRobots.myBot)")
    new.add_argument("--set", dest="values", action="append", default=[], metavar="KEY=VALUE", help="a config value (JSON or text); repeatable")
    new.add_argument("--title", default=None, help="the instance title")
    commands.add_parser("sim", help="a Type's built-in platform simulator (see `element-studio sim --help`)", add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["sim"]:
        from .sim_command import sim_main

        return sim_main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        args.app = choose_app_folder(args.app)
    except AppFolderMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return {"check": cmd_check, "run": cmd_run, "serve": cmd_serve, "new": cmd_new}[args.command](args)


def cmd_check(args: argparse.Namespace) -> int:
    app = App(args.app)
    problems = app.check()
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in {app.app_dir}", file=sys.stderr)
        return 1
    print(f"ok: {len(app.elements)} elements, {len(app.instances())} instances in {app.app_dir}")
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    app = App(args.app)
    try:
        values = dict(parse_assignment(item) for item in args.values)
        folder = create_instance(app, args.type, args.name, values, title=args.title)
    except (ElementError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    missing = app.missing_setup(".".join(folder.relative_to(app.app_dir).parts))
    print(f"created {folder}")
    if missing:
        print(f"needs setup: fill in {', '.join(missing)} (it will not start until then)")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    database = _database(args)
    log_to_stdout()
    wait_for_signal = _stop_on_signal()
    try:
        with RuntimeSession(args.app, args.simulators, database):
            wait_for_signal()
            log.info("stopping")
    except DatabaseUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .serve import access_token_for, serve

    token = access_token_for(args.host, args.token)
    database = _database(args)
    log_to_stdout()
    wait_for_signal = _stop_on_signal()
    try:
        with RuntimeSession(args.app, args.simulators, database) as session:
            return serve(session.supervisor, session.simulators, args.host, args.port, token, wait_for_signal,
                         allowed_hosts=args.allowed_hosts)
    except DatabaseUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _database(args: argparse.Namespace) -> str | None:
    """--database, else ELEMENT_STUDIO_DATABASE_URL, else None (SQLite); exits on a URL we cannot use."""
    value = args.database or os.environ.get(DATABASE_URL_VARIABLE) or None
    if value:
        try:
            database_url(value)
        except DatabaseUrlError as exc:
            raise SystemExit(f"error: {exc}") from None
    return value


class DatabaseUnavailable(RuntimeError):
    """The database could not be opened; the message names it without its password."""


class RuntimeSession:
    """App + supervisor (+ the Types' offline simulators), started and cleanly shut down."""

    def __init__(self, app_dir: Path, simulators: str | None = None, database: str | None = None) -> None:
        self.app_dir = app_dir
        self.offline = simulators == "on" if simulators else is_sample_copy(app_dir)
        self.database = database

    def __enter__(self) -> RuntimeSession:
        from .offline import start_offline_simulators

        ring_buffer()  # the runtime's log handlers and level, so the lines below are kept and printed
        app = App(self.app_dir, database_url=self.database)
        for problem in app.check():
            log.warning("%s", problem)
        try:
            app.storage.migrate()
        except SQLAlchemyError as exc:
            reason = redactor.redact(str(getattr(exc, "orig", None) or exc).strip().splitlines()[0])
            raise DatabaseUnavailable(f"cannot open the database ({app.storage.describe()}): {reason}") from None
        self.simulators = start_offline_simulators(app) if self.offline else {}
        if not self.offline:
            log.info("services connect to the real platforms (start with --simulators on to use the built-in simulators)")
        endpoints = {type_name: sim.base_url for type_name, sim in self.simulators.items()}
        self.supervisor = Supervisor(app, offline_endpoints=endpoints)
        log.info("storage: %s; this replica: %s", app.storage.describe(), self.supervisor.cluster.replica_id)
        for status in self.supervisor.start_at_boot():
            log.info("%s: %s%s", status.full_name, status.state.value, f" ({status.message})" if status.message else "")
        self.watcher = FileWatcher(self.supervisor).start()
        return self

    def __exit__(self, *exc: object) -> None:
        from .offline import stop_offline_simulators

        self.watcher.stop()
        self.supervisor.shutdown(timeout=5.0)
        stop_offline_simulators(self.simulators)


def _stop_on_signal() -> Callable[[], None]:
    """Catch SIGINT and SIGTERM from now on; returns the wait for one of them.

    Installed before anything starts, so a signal during start-up still ends in a clean
    shutdown (the wait then returns at once) instead of killing half-started services.
    """
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())

    def wait() -> None:
        while not stop.wait(0.5):
            pass

    return wait


if __name__ == "__main__":
    sys.exit(main())
