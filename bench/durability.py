"""What the answer journal and the feedback store-before-ACK cost, and how fast a crashed robot
ends what it left in flight.

    .venv/bin/python bench/durability.py                  # 10 robots x 10 questions, 300 presses, 20 answers killed
    .venv/bin/python bench/durability.py --robots 20 --questions 10 --presses 600 --killed 40

Part 1 (one process: the simulator on its thread, the robots under the real Supervisor): a burst
of questions, all sent at once, to robots whose agent never answers, so every answer stays in
the journal; then presses of the feedback buttons of answered cards. Times come from the
simulator's recorder (one clock): frame sent -> ACK received, and the journal row written -> ACK
(a question is journaled before its ACK, so a crash cannot lose an ACKed question).

Part 2 (`element-studio run` in a subprocess): N answers streaming, `kill -9`, start again;
from the second start to every card ended (answered again, or the apology).
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AGENT = '''
import asyncio


class Agent:
    def __init__(self, config):
        self.config = config

    async def stream(self, question, chat_id):
        if self.config.get("hang"):
            await asyncio.Event().wait()
        for index in range(self.config["chunks"]):
            await asyncio.sleep(self.config["seconds"] / self.config["chunks"])
            yield f"part{index} "


class Loader:
    def __init__(self, nodes):
        self.nodes = nodes

    def load(self):
        return Agent(self.nodes[0].config)
'''
SCHEMA = {"type": "object", "properties": {"hang": {"type": "boolean", "default": False}, "chunks": {"type": "integer", "default": 5},
                                           "seconds": {"type": "number", "default": 1.0}}}
LABELS = ("😄 Very helpful", "😊 Helpful", "🙂 Somewhat helpful", "😅 Not helpful")


def write(app_dir: Path, full_name: str, descriptor: dict, config: dict | None = None, files: dict | None = None) -> None:
    folder = app_dir.joinpath(*full_name.split("."))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "e.json").write_text(json.dumps(descriptor))
    if config is not None:
        (folder / "config.json").write_text(json.dumps(config))
    for name, text in (files or {"__init__.py": ""}).items():
        (folder / name).write_text(text)


def make_app(robots: int, agent: dict, **robot_config) -> Path:
    app_dir = Path(tempfile.mkdtemp(prefix="durability-bench-"))
    write(app_dir, "aiagents.benchType", {"title": "Bench agent", "type": "aiagents.Meta", "backendBundleEntry": "."}, None,
          {"__init__.py": "from .loader import Loader\n", "loader.py": AGENT, "config.schema.json": json.dumps(SCHEMA)})
    write(app_dir, "aiagents.bench", {"title": "agent", "type": "aiagents.benchType", "backendBundleEntry": "."}, agent)
    for i in range(robots):
        write(app_dir, f"imRobots.bot{i:03d}", {"title": "robot", "type": "imRobots.dingTalkStreamType", "backendBundleEntry": ".",
                                               "backendLoadTime": "afterAppInit"},
              {"agent": "aiagents.bench", "clientId": f"bench{i:03d}", "clientSecret": f"bench{i:03d}-secret", "maxConcurrentAnswers": 100,
               **robot_config})
    return app_dir


def percentiles(values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"{statistics.median(ordered) * 1000:7.1f} {p99 * 1000:7.1f}"


def wait(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting for {what}")
        time.sleep(0.02)
    return value


def part_one(robots: int, questions: int, presses: int) -> list[str]:
    from element_studio.elements.imRobots.dingTalkStreamType.simulator.frames import iter_buttons
    from element_studio.elements.imRobots.dingTalkStreamType.simulator.thread import SimulatorThread
    from element_studio.runtime.app import App
    from element_studio.runtime.supervisor import Supervisor

    client_ids = [f"bench{i:03d}" for i in range(robots)]
    sim = SimulatorThread({cid: f"{cid}-secret" for cid in client_ids}, redeliver_after=60.0).start()
    os.environ["DINGTALK_OPENAPI_ENDPOINT"] = sim.base_url
    lines = []
    for label, agent in (("questions (agent hangs: all stay journaled)", {"hang": True}), ("presses on final cards", {"chunks": 2, "seconds": 0.1})):
        app_dir = make_app(robots, agent)
        supervisor = Supervisor(App(app_dir))
        supervisor.start_all()
        wait(lambda: all(sim.live_connection_count(cid) for cid in client_ids), 30, "the robots to connect")
        if agent.get("hang"):
            msgs = [sim.send_message(cid, f"q{q}", sender_staff_id=f"u{q}") for q in range(questions) for cid in client_ids]
            wait(lambda: all(sim.acked(m) for m in msgs), 30, "the ACKs")
            database = app_dir / ".element-studio" / "app.sqlite3"
            wait(lambda: _journaled(database) >= len(msgs), 30, "the journal rows")
            frames = {f.message_id: f.at for f in sim.frames()}
            acks = {a.message_id: a.at for a in sim.acks()}
            by_msg = {m.msg_id: m.message_id for m in sim.messages()}
            ack_times = [acks[by_msg[m]] - frames[by_msg[m]] for m in msgs]
            with sqlite3.connect(database) as conn:
                started = dict(conn.execute("SELECT msg_id, started_at FROM answer_journal"))
            windows = [acks[by_msg[m]] - started[m] for m in msgs]
            lines.append(f"{len(msgs):5d} questions   ACK p50/p99 ms {percentiles(ack_times)}   journaled -> ACK p50/p99 ms {percentiles(windows)}")
        else:
            msgs = [sim.send_message(cid, "rate me", sender_staff_id="asker") for cid in client_ids]
            cards = wait(lambda: [c for c in sim.cards() if iter_buttons(c.latest)] if len(
                [c for c in sim.cards() if iter_buttons(c.latest)]) == len(msgs) else None, 30, "the final cards")
            pressed = [sim.press_button(card.card_biz_id, label=LABELS[n % 4], user_id=f"user{n}") for n in range(presses)
                       for card in [cards[n % len(cards)]]]
            wait(lambda: all(sim.acks(message_id=p) for p in pressed), 30, "the press ACKs")
            frames = {f.message_id: f.at for f in sim.frames()}
            acks = {a.message_id: a.at for a in sim.acks()}
            lines.append(f"{len(pressed):5d} presses     ACK p50/p99 ms {percentiles([acks[p] - frames[p] for p in pressed])}   (stored before the ACK)")
        supervisor.shutdown(timeout=10)
    sim.stop()
    return lines


def _journaled(database: Path) -> int:
    try:
        with sqlite3.connect(database) as conn:
            return conn.execute("SELECT count(*) FROM answer_journal").fetchone()[0]
    except sqlite3.Error:
        return 0


def part_two(killed: int) -> list[str]:
    from element_studio.elements.imRobots.dingTalkStreamType.simulator.frames import iter_buttons
    from element_studio.elements.imRobots.dingTalkStreamType.simulator.thread import SimulatorThread

    sim = SimulatorThread({"bench000": "bench000-secret"}, redeliver_after=60.0).start()
    app_dir = make_app(1, {"chunks": 20, "seconds": 5.0}, updateEveryChunks=4, maxCardUpdates=5)
    env = {**os.environ, "DINGTALK_OPENAPI_ENDPOINT": sim.base_url, "NO_PROXY": "127.0.0.1,localhost"}
    command = [sys.executable, "-m", "element_studio", "run", "--app", str(app_dir), "--simulators", "off"]

    def start() -> subprocess.Popen:
        return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    first = start()
    wait(lambda: sim.live_connection_count("bench000"), 30, "the robot to connect")
    msgs = [sim.send_message("bench000", f"question {i}", sender_staff_id=f"asker{i}") for i in range(killed)]
    cards = wait(lambda: [c.card_biz_id for c in sim.cards() if len(c.versions) >= 2] if len(
        [c for c in sim.cards() if len(c.versions) >= 2]) == len(msgs) else None, 30, "every answer to stream")
    first.kill()
    first.wait()
    wait(lambda: sim.live_connection_count("bench000") == 0, 30, "the simulator to see the socket gone")
    restarted = time.monotonic()
    second = start()
    wait(lambda: sim.live_connection_count("bench000"), 30, "the robot to connect again")
    connected_after = time.monotonic() - restarted

    def ended(card_biz_id: str) -> bool:
        versions = sim.card_versions(card_biz_id)
        return bool(iter_buttons(versions[-1])) or "Sorry" in versions[-1]["contents"][0]["text"]

    wait(lambda: all(ended(c) for c in cards), 60, "every card to end")
    all_ended = time.monotonic() - restarted
    answered = sum(1 for c in cards if iter_buttons(sim.card_versions(c)[-1]))
    second.terminate()
    second.wait()
    sim.stop()
    return [f"{killed:5d} answers killed (kill -9) mid-stream; after the restart: connected {connected_after:.1f} s, "
            f"every card ended {all_ended:.1f} s (agent answers in 5 s); {answered} answered again, {killed - answered} apologised"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--robots", type=int, default=10)
    parser.add_argument("--questions", type=int, default=10, help="questions per robot")
    parser.add_argument("--presses", type=int, default=300)
    parser.add_argument("--killed", type=int, default=20, help="answers streaming when the robot is killed")
    args = parser.parse_args()
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        os.environ.pop(var, None)
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    print(f"{args.robots} robots, each burst sent at once")
    for line in part_one(args.robots, args.questions, args.presses) + part_two(args.killed):
        print(line)


if __name__ == "__main__":
    main()
