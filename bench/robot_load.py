"""What the IM robot load benches (dingtalk_load.py, feishu_load.py) share: the bench agent, the
app of robots they write, the supervisor that runs them, and the three processes of a run.

A run has three processes: the platform's simulator, the robots under test and the orchestrator
(the bench itself), which sends the questions through the simulator and measures from outside:
RSS and threads of the robots' process with psutil, frame and card times from the simulator's
recorder (one clock). Each process answers the orchestrator's commands over a pipe.
"""
from __future__ import annotations

import contextlib
import json
import multiprocessing as mp
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

AGENT_LOADER = '''
import asyncio


class BenchAgent:
    def __init__(self, config):
        self.chunks, self.seconds = config["chunks"], config["seconds"]

    async def stream(self, question, chat_id):
        for index in range(self.chunks):
            await asyncio.sleep(self.seconds / self.chunks)
            yield f"chunk {index} of the answer to {question}. "


class Loader:
    def __init__(self, nodes):
        self.nodes = nodes

    def load(self):
        return BenchAgent(self.nodes[0].config)
'''


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def sim_call(conn, command: str, arg: Any) -> Any:
    conn.send((command, arg))
    return conn.recv()


def listen_for_many_robots() -> None:
    """aiohttp listens with a backlog of 128: hundreds of robots connecting at the same moment
    would lose SYNs and wait a 1 s retransmit. The platforms have no such limit; raise it here."""
    from aiohttp import web

    tcp_site_init = web.TCPSite.__init__
    web.TCPSite.__init__ = lambda self, *a, **k: tcp_site_init(self, *a, **{**k, "backlog": 4096})


def write_robots(app_dir: Path, chunks: int, seconds: float, robots: dict[str, tuple[str, dict[str, Any]]]) -> None:
    """An app of robots (fullName -> (Type, config)) answering with the bench agent, which streams
    `chunks` chunks over `seconds` seconds."""
    def write(full_name: str, descriptor: dict, config: dict | None = None, files: dict | None = None) -> None:
        folder = app_dir.joinpath(*full_name.split("."))
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in {"__init__.py": "", **(files or {})}.items():
            (folder / name).write_text(text)
        (folder / "e.json").write_text(json.dumps({"backendBundleEntry": ".", **descriptor}))
        if config is not None:
            (folder / "config.json").write_text(json.dumps(config))

    write("aiagents.benchType", {"title": "Bench agent", "type": "aiagents.Meta"}, None,
          {"__init__.py": "from .loader import Loader\n", "loader.py": AGENT_LOADER})
    write("aiagents.bench", {"title": "Bench", "type": "aiagents.benchType"}, {"chunks": chunks, "seconds": seconds})
    for full_name, (type_name, config) in robots.items():
        write(full_name, {"title": full_name.split(".")[-1], "type": type_name, "backendLoadTime": "afterAppInit"},
              {"agent": "aiagents.bench", **config})


def start_robots(app_dir: Path, robots: int) -> Any:
    """The app's Supervisor, started, once all `robots` are connected."""
    from element_studio.runtime.app import App
    from element_studio.runtime.supervisor import Supervisor

    supervisor = Supervisor(App(app_dir))
    supervisor.start_at_boot()
    while sum(s.detail.get("connection") == "connected" for s in supervisor.statuses()) < robots:
        time.sleep(0.05)
    return supervisor


@dataclass
class Run:
    """A run's processes: the simulator and the robots, with the pipes to command them."""

    sim: Any  # the simulator's pipe
    bots: Any  # the robots' pipe
    bot_process: Any
    started: float  # when the robots' process was started (monotonic)

    def peaks(self) -> Peaks:
        return Peaks(self.bot_process.pid)


class Peaks:
    """The highest RSS and thread count of a process, as often as `sample()` is called."""

    def __init__(self, pid: int) -> None:
        import psutil

        self.process = psutil.Process(pid)
        self.rss, self.threads = 0, 0

    def sample(self) -> None:
        self.rss = max(self.rss, self.process.memory_info().rss)
        self.threads = max(self.threads, self.process.num_threads())


@contextlib.contextmanager
def processes(sim_main: Callable[..., None], robots: int, bots_main: Callable[..., None], *bots_args: Any) -> Iterator[Run]:
    """Start the simulator (`sim_main(conn, robots)` sends its base URL first), then the robots
    (`bots_main(conn, base_url, *bots_args)`); on leaving, stop the robots, then the simulator."""
    ctx = mp.get_context("spawn")
    sim_conn, sim_child = ctx.Pipe()
    sim_process = ctx.Process(target=sim_main, args=(sim_child, robots), daemon=True)
    sim_process.start()
    base_url = sim_conn.recv()
    bot_conn, bot_child = ctx.Pipe()
    bot_process = ctx.Process(target=bots_main, args=(bot_child, base_url, *bots_args), daemon=True)
    started = time.monotonic()
    bot_process.start()
    try:
        yield Run(sim_conn, bot_conn, bot_process, started)
    finally:
        if bot_process.is_alive():
            bot_conn.send("stop")
            if bot_conn.poll(10):
                bot_conn.recv()
        bot_process.join(5)
        if bot_process.is_alive():
            bot_process.kill()
        sim_call(sim_conn, "stop", None)
        sim_process.join(5)
