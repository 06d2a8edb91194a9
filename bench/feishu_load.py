"""Feishu robots under load: the DingTalk scenarios for `imRobots.feishuType` on one loop.

    .venv/bin/python bench/feishu_load.py                      # the three scenarios below
    .venv/bin/python bench/feishu_load.py --scenario burst     # one of them

Three processes per run: the Feishu simulator, the robots under test (every robot an instance
under one Supervisor, one loop thread) and this one, which sends the questions through the
simulator and measures from outside: frame-response and card times from the simulator's
recorder (one clock), RSS and threads of the robots' process with psutil.

Scenarios (each agent streams K chunks over T seconds; every question from its own single chat):

* stream: 5 robots x 10 questions (50 answers streaming, K=20 over 3 s); while they stream, a
  card-button press per robot every 50 ms: "probe response p99" is the loop's responsiveness.
* burst:  10 robots x 10 questions, all at once, with a 1 s agent (K=10).
* robots: 200 robots x 1 question (K=5 over 1 s): memory and threads of many robots.

There is no "tutorial" column as for DingTalk: the SDK's `ws.Client` binds one module-level event
loop, so one process holds one of them (lark-oapi-sdk.md, trap 1).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from robot_load import listen_for_many_robots, percentile, processes, sim_call, start_robots, write_robots

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCENARIOS = {
    "stream": dict(robots=5, questions=10, chunks=20, seconds=3.0, probe=True),
    "burst": dict(robots=10, questions=10, chunks=10, seconds=1.0, probe=False),
    "robots": dict(robots=200, questions=1, chunks=5, seconds=1.0, probe=False),
}


def app_ids(robots: int) -> list[str]:
    return [f"cli_bench{i:03d}" for i in range(robots)]


# -- the simulator process -------------------------------------------------------------------
def sim_main(conn, robots: int) -> None:
    """Run the simulator; answer the orchestrator's commands over `conn`."""
    from element_studio.elements.imRobots.feishuType.simulator.thread import FeishuSimulatorThread

    listen_for_many_robots()
    sim = FeishuSimulatorThread({app: f"{app}-secret" for app in app_ids(robots)}, redeliver_after=60.0).start()
    conn.send(sim.base_url)
    probe_card: dict[str, str] = {}
    while True:
        command, arg = conn.recv()
        if command == "send":
            conn.send([sim.send_message(app, text, sender_staff_id=user) for app, text, user in arg])
        elif command == "probe":  # a card callback per robot that has a card out: to be answered at once
            if len(probe_card) < len(arg):
                with sim.sim.recorder.locked():
                    for card in sim.sim.recorder.cards_.values():
                        if card.message_id:
                            probe_card.setdefault(card.client_id, card.card_biz_id)
            conn.send([_press(sim, app) for app in arg if app in probe_card])
        elif command == "done":  # counted under the recorder's lock, without copying every card (that stalls the simulator)
            with sim.sim.recorder.locked():
                conn.send(sum(1 for card in sim.sim.recorder.cards_.values() if card.versions[-1].kind == "update"))
        elif command == "live":
            conn.send(sum(sim.live_connection_count(app) for app in arg))
        elif command == "report":
            conn.send(_report(sim, *arg))
        elif command == "stop":
            sim.stop()
            conn.send("stopped")
            return


def _press(sim, app: str) -> str:
    """A card callback that is not feedback (the robot answers it and stores nothing)."""
    envelope = {"schema": "2.0", "header": {"event_id": f"probe-{time.monotonic_ns()}", "event_type": "card.action.trigger",
                                            "create_time": "0", "app_id": ""}, "event": {"action": {"value": {"probe": True}}}}
    return sim._on_loop(sim.sim.gateway.push, app, envelope, "card").event_id  # on the simulator's loop


def _report(sim, msg_ids: list[str], probe_ids: list[str]) -> dict[str, Any]:
    deliveries = {d.event_id: d for d in sim.deliveries()}
    messages = {m.msg_id: m for m in sim.messages()}
    cards = {card.reply_to_msg_id: card for card in sim.cards()}
    responses, thinking, walls, updates, finals = [], [], [], [], []
    for msg in msg_ids:
        latency = deliveries[messages[msg].event_id].response_latency
        if latency is not None:
            responses.append(latency)
        card = cards.get(msg)
        if card is None:
            continue
        thinking.append(card.versions[0].at - messages[msg].at)
        if card.versions[-1].kind == "update":
            finals.append(card.versions[-1].at)
            walls.append(card.versions[-1].at - messages[msg].at)
            updates.append(len(card.versions) - 1)
    probes = [d.response_latency for e in probe_ids if (d := deliveries.get(e)) and d.response_latency is not None]
    first = min(messages[m].at for m in msg_ids)
    return {"answered": len(walls), "responses": responses, "probes": probes, "thinking": thinking, "walls": walls,
            "updates": updates, "redeliveries": sum(d.tries - 1 for d in deliveries.values()),
            "duplicates": sum(1 for c in sim.cards() if c.reply_to_msg_id) - len(cards),
            "all_done": max(finals) - first if len(finals) == len(msg_ids) else None}


# -- the robots ---------------------------------------------------------------------------------
def robots_main(conn, base_url: str, robots: int, chunks: int, seconds: float, questions: int) -> None:
    """Every robot an instance of imRobots.feishuType under one Supervisor (one loop thread)."""
    app_dir = Path(tempfile.mkdtemp(prefix="feishu-bench-"))
    write_robots(app_dir, chunks, seconds, {f"imRobots.{app}": ("imRobots.feishuType", {
        "appId": app, "appSecret": f"{app}-secret", "domain": base_url, "maxConcurrentAnswers": max(8, questions)}) for app in app_ids(robots)})
    supervisor = start_robots(app_dir, robots)
    time.sleep(1.0)  # bot info and tenant tokens fetched after connecting
    conn.send("ready")
    conn.recv()
    supervisor.shutdown(timeout=5.0)
    conn.send("stopped")


# -- the orchestrator ---------------------------------------------------------------------------
def run_one(scenario: str, robots: int, questions: int, chunks: int, seconds: float, probe: bool) -> dict[str, Any]:
    with processes(sim_main, robots, robots_main, robots, chunks, seconds, questions) as run:
        sim_conn = run.sim
        assert run.bots.recv() == "ready"
        apps = app_ids(robots)
        startup = time.monotonic() - run.started
        peaks = run.peaks()
        msg_ids = sim_call(sim_conn, "send", [(app, f"question {q} for {app}", f"ou_{app}_{q}") for q in range(questions) for app in apps])
        sent_at, probe_ids, checked = time.monotonic(), [], 0.0
        while time.monotonic() - sent_at < seconds + 30:
            peaks.sample()
            if probe and time.monotonic() - sent_at < seconds * 0.9:
                probe_ids += sim_call(sim_conn, "probe", apps)
            elif time.monotonic() - sent_at > seconds and time.monotonic() - checked > 0.25:
                checked = time.monotonic()
                if sim_call(sim_conn, "done", None) >= len(msg_ids):
                    break
            time.sleep(0.05)
        time.sleep(0.2)
        report = sim_call(sim_conn, "report", (msg_ids, probe_ids))
    return {"scenario": scenario, "robots": robots, "questions": questions, "startup": startup, "rss_mb": peaks.rss / 2**20,
            "threads": peaks.threads, **report}


def table(results: list[dict[str, Any]]) -> str:
    lines = ["| scenario | robots x questions | answered | response p50 | response p99 | probe response p99 while streaming "
             "| thinking card p50 | answer p50 | all answered after | card operations / answer | peak RSS | threads "
             "| redelivered / duplicate cards | all connected after start |", "|" + " --- |" * 14]
    for r in results:
        probe = f"{percentile(r['probes'], 99) * 1000:.1f} ms ({len(r['probes'])})" if r["probes"] else "-"
        done = f"{r['all_done']:.2f} s" if r["all_done"] is not None else "not all"
        lines.append(
            f"| {r['scenario']} | {r['robots']} x {r['questions']} | {r['answered']}/{r['robots'] * r['questions']} "
            f"| {percentile(r['responses'], 50) * 1000:.1f} ms | {percentile(r['responses'], 99) * 1000:.1f} ms | {probe} "
            f"| {percentile(r['thinking'], 50) * 1000:.0f} ms | {percentile(r['walls'], 50):.2f} s | {done} "
            f"| {statistics.mean(r['updates']) if r['updates'] else float('nan'):.1f} | {r['rss_mb']:.0f} MB | {r['threads']} "
            f"| {r['redeliveries']} / {r['duplicates']} | {r['startup']:.1f} s |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=[*SCENARIOS, "all"], default="all")
    chosen = parser.parse_args(argv).scenario
    results = []
    for name, spec in (SCENARIOS if chosen == "all" else {chosen: SCENARIOS[chosen]}).items():
        print(f"running {name}: {spec}", file=sys.stderr, flush=True)
        results.append(run_one(name, **spec))
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
