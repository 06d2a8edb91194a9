"""`element-studio`: check, run, serve, new, sim."""
from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from .app_folder import AppFolderMissing, choose_app_folder, is_sample_copy
from .runtime.app import App
from .runtime.errors import ElementError
from .runtime.instances import create_instance, parse_assignment
from .runtime.logs import log_to_stdout, ring_buffer
from .runtime.supervisor import Supervisor

log = logging.getLogger("element_studio.cli")
SIMULATORS_HELP = ("where services connect: the Types' built-in simulators (on) or the real platforms (off); "
                   "default: on for the sample app, off for any other app")


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
        if name == "serve":
            sub.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; anything else needs --token)")
            sub.add_argument("--port", type=int, default=8000, help="port (default 8000)")
            sub.add_argument("--token", default=None, help="access token required when binding beyond 127.0.0.1 (or ELEMENT_STUDIO_TOKEN)")
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
    log_to_stdout()
    wait_for_signal = _stop_on_signal()
    with RuntimeSession(args.app, args.simulators):
        wait_for_signal()
        log.info("stopping")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .serve import access_token_for, serve

    token = access_token_for(args.host, args.token)
    log_to_stdout()
    wait_for_signal = _stop_on_signal()
    with RuntimeSession(args.app, args.simulators) as session:
        return serve(session.supervisor, session.simulators, args.host, args.port, token, wait_for_signal)


class RuntimeSession:
    """App + supervisor (+ the Types' offline simulators), started and cleanly shut down."""

    def __init__(self, app_dir: Path, simulators: str | None = None) -> None:
        self.app_dir = app_dir
        self.offline = simulators == "on" if simulators else is_sample_copy(app_dir)

    def __enter__(self) -> RuntimeSession:
        from .offline import start_offline_simulators

        ring_buffer()  # the runtime's log handlers and level, so the lines below are kept and printed
        app = App(self.app_dir)
        for problem in app.check():
            log.warning("%s", problem)
        self.simulators = start_offline_simulators(app) if self.offline else {}
        if not self.offline:
            log.info("services connect to the real platforms (start with --simulators on to use the built-in simulators)")
        endpoints = {type_name: sim.base_url for type_name, sim in self.simulators.items()}
        self.supervisor = Supervisor(app, offline_endpoints=endpoints)
        for status in self.supervisor.start_at_boot():
            log.info("%s: %s%s", status.full_name, status.state.value, f" ({status.message})" if status.message else "")
        return self

    def __exit__(self, *exc: object) -> None:
        from .offline import stop_offline_simulators

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
