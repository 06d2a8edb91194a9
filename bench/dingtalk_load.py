"""DingTalk robots under load: our Type on one loop vs the tutorial's design, side by side.

    .venv/bin/python bench/dingtalk_load.py                      # the three scenarios below
    .venv/bin/python bench/dingtalk_load.py --scenario burst     # one of them
    .venv/bin/python bench/dingtalk_load.py --robots 20 --questions 5 --chunks 10 --seconds 1

Three processes per run: the DingTalk simulator, the robots under test, and this one, which
sends the questions through the simulator and measures from outside (RSS and thread count of
the robots' process with psutil; ACK and card times from the simulator's recorder, one clock).

Scenarios (each agent streams K chunks over T seconds; every question comes from its own
single chat so each card is easy to attribute):

* stream: 5 robots x 10 questions (50 answers streaming, K=20 over 3 s); while they stream,
  every robot is pinged every 50 ms: "ping ACK p99" is the loop's responsiveness under load.
* burst:  10 robots x 10 questions, all at once, with a 1 s agent (K=10).
* robots: 200 robots x 1 question (K=5 over 1 s): memory and threads of many robots.
* agent:  1 robot x 50 questions, all at once, answered by the shipped OpenAI-compatible agent
  (`aiagents.openaiCompatibleType`, its real client and chat memory) from a fourth process: a
  local chat completions server on 127.0.0.1 streaming K=10 chunks over 1 s per request.
  **agent-markdown**: the same with `replyMode: markdown` (one session-webhook reply per
  answer, no OpenAPI call, so DingTalk's 20 card calls per second per app do not apply). Ours
  only (the tutorial's design has no such agent).
* `--robots 1000 --questions 1 --chunks 5 --seconds 1 --no-baseline`: 1,000 robots in one
  process, their start and a burst of one question each.
* `--api-calls-per-second 40` (or 60): our robots' `apiCallsPerSecond`, for an organisation
  whose DingTalk edition allows more than the standard 20 calls a second.

"all connected after start" counts from the robots' process being started (interpreter,
imports, the supervisor, every robot's ticket and WebSocket) to the simulator seeing every
connection; the app's files are written before. Each robot fetches its access token 2-4 s
after connecting (a first answer before that fetches it itself): "all access tokens after
start" is when the simulator had handed out every robot's, and the questions wait for it. "robots' CPU" is the CPU time (user +
system) of the robots' process from the questions to the last answer.

"ours" is imRobots.dingTalkStreamType under the real Supervisor (one loop thread). "tutorial"
reproduces the seed's design with the real SDK: a thread and an event loop per robot,
`DingTalkStreamClient.start()`, a ChatbotHandler whose process() runs the agent inline
(blocking, as the seed's `agent.run`) with the SDK's blocking reply_card/update_card, and the
ACK after the answer. Its get_host_ip is stubbed to "" (it would touch a public address).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from robot_load import listen_for_many_robots, percentile, processes, sim_call, start_robots, write_robots

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCENARIOS = {
    "stream": dict(robots=5, questions=10, chunks=20, seconds=3.0, ping=True),
    "burst": dict(robots=10, questions=10, chunks=10, seconds=1.0, ping=False),
    "robots": dict(robots=200, questions=1, chunks=5, seconds=1.0, ping=False),
    "agent": dict(robots=1, questions=50, chunks=10, seconds=1.0, ping=False, llm=True),
    "agent-markdown": dict(robots=1, questions=50, chunks=10, seconds=1.0, ping=False, llm=True, reply_mode="markdown"),
}
OURS_ONLY = {"agent", "agent-markdown"}
BASELINE_WAIT = 90.0  # the tutorial's design answers one question per robot at a time


SEND_SLICE = 50  # questions sent per turn of the simulator's loop


def client_ids(robots: int) -> list[str]:
    return [f"bench{i:03d}" for i in range(robots)]


def _local_env(base_url: str) -> None:
    os.environ["DINGTALK_OPENAPI_ENDPOINT"] = base_url
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        os.environ.pop(var, None)


# -- the simulator process -------------------------------------------------------------------
def sim_main(conn, robots: int) -> None:
    """Run the simulator; answer the orchestrator's commands over `conn`."""
    import asyncio
    import gc

    from element_studio.elements.imRobots.dingTalkStreamType.simulator.thread import SimulatorThread

    listen_for_many_robots()
    sim = SimulatorThread({cid: f"{cid}-secret" for cid in client_ids(robots)}, redeliver_after=60.0).start()
    conn.send(sim.base_url)
    conversation: dict[str, str] = {}
    while True:
        command, arg = conn.recv()
        if command == "send":

            async def send_all(items):
                """All at once, in slices of SEND_SLICE with a turn of the loop between them: the
                simulator's loop is the ACKs' clock, and sending 1,000 frames in one turn (70 ms)
                left every ACK that came back meanwhile unread, timed up to 70 ms late."""
                msg_ids = []
                for start in range(0, len(items), SEND_SLICE):
                    msg_ids += await asyncio.gather(*(sim.sim.send_message(cid, text, sender_staff_id=staff, sender_nick=staff)
                                                      for cid, text, staff in items[start:start + SEND_SLICE]))
                    await asyncio.sleep(0)
                return msg_ids

            gc.collect()  # the simulator's own garbage collected before, not in the middle of the burst it times
            gc.freeze()
            msg_ids = sim._call(send_all(arg))  # one coroutine on the simulator's loop
            for message in sim.messages():
                conversation[message.msg_id] = message.conversation_id
            conn.send(msg_ids)
        elif command == "ping":

            async def ping_all(cids):
                return [m for ids in await asyncio.gather(*(sim.sim.ping(cid) for cid in cids)) for m in ids]

            conn.send(sim._call(ping_all(arg)))
        elif command == "tokens":
            conn.send(len(sim.api_calls("/v1.0/oauth2/accessToken")))
        elif command == "live":
            live = sim.sim.recorder.live_connection_counts()
            conn.send(sum(live.get(cid, 0) for cid in arg))
        elif command == "done":
            finals = _finals(sim)
            conn.send(sum(1 for msg in arg if conversation[msg] in finals))
        elif command == "report":
            msg_ids, ping_ids = arg
            conn.send(_report(sim, msg_ids, ping_ids, conversation))
        elif command == "stop":
            sim.stop()
            conn.send("stopped")
            return


def _finals(sim) -> dict[str, float]:
    """conversationId -> when its answer was shown whole: the card's final version (the one with
    buttons), or with replyMode markdown the webhook reply.

    Read without copying the cards (`cards()` deep-copies each one under the recorder's lock,
    which starved the simulator's loop during a 1,000-answer burst and inflated its ACK times)."""
    from element_studio.elements.imRobots.dingTalkStreamType.simulator.frames import iter_buttons

    finals: dict[str, float] = {}
    for conversation_id, latest in sim.sim.recorder.latest_card_versions():
        if iter_buttons(latest.card_data):
            finals.setdefault(conversation_id, latest.at)
    for reply in sim.sim.recorder.replies():
        if reply.errcode == 0:
            finals.setdefault(reply.conversation_id, reply.at)
    return finals


def _report(sim, msg_ids, ping_ids, conversation) -> dict[str, Any]:
    sent = {m.msg_id: m for m in sim.messages()}
    frames_by_id: dict[str, list[float]] = {}
    for frame in sim.frames():
        frames_by_id.setdefault(frame.message_id, []).append(frame.at)
    acks_by_id: dict[str, float] = {}
    for ack in sim.acks():
        acks_by_id.setdefault(ack.message_id, ack.at)
    cards_by_conversation: dict[str, list] = {}
    for card in sim.cards():
        cards_by_conversation.setdefault(card.conversation_id, []).append(card)
    finals = _finals(sim)
    acks, walls, updates, thinking, duplicates, deliveries = [], [], [], [], 0, 0
    for msg in msg_ids:
        message_id = sent[msg].message_id
        frames = frames_by_id.get(message_id, [])
        deliveries += len(frames)
        if message_id in acks_by_id and frames:
            acks.append(acks_by_id[message_id] - frames[0])
        cards = cards_by_conversation.get(conversation[msg], [])
        duplicates += max(0, len(cards) - 1)
        if cards:
            thinking.append(cards[0].versions[0].at - sent[msg].at)
        if conversation[msg] in finals:
            walls.append(finals[conversation[msg]] - sent[msg].at)
            if cards:
                updates.append(len(cards[0].versions) - 1)
    ping_acks = [acks_by_id[m] - frames_by_id[m][0] for m in ping_ids if m in acks_by_id and frames_by_id.get(m)]
    first_sent = min(sent[m].at for m in msg_ids)
    done = [finals[conversation[m]] for m in msg_ids if conversation[m] in finals]
    return {
        "answered": len(walls),
        "acks": acks,
        "walls": walls,
        "updates": updates,
        "ping_acks": ping_acks,
        "thinking": thinking,
        "duplicates": duplicates,
        "redeliveries": deliveries - len(msg_ids),
        "all_done": (max(done) - first_sent) if len(done) == len(msg_ids) else None,
    }


# -- the chat model: an OpenAI-compatible server ------------------------------------------------
def llm_main(conn, chunks: int, seconds: float) -> None:
    """`POST /v1/chat/completions` with `stream: true`, answered as server-sent events: `chunks`
    deltas spread over `seconds`, then `[DONE]`, as hosted and local LLM servers stream."""
    import asyncio

    from aiohttp import web

    def event(data: dict) -> bytes:
        return f"data: {json.dumps(data)}\n\n".encode()

    async def completions(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await response.prepare(request)
        question = body["messages"][-1]["content"]
        for index in range(chunks):
            await asyncio.sleep(seconds / chunks)
            delta = {"role": "assistant", "content": f"chunk {index} of the answer to {question}. "}
            await response.write(event({"id": "bench", "object": "chat.completion.chunk", "created": 0, "model": body.get("model", ""),
                                        "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}))
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    async def serve() -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", completions)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=4096)
        await site.start()
        conn.send(f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/v1")
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # "stop"
        await runner.cleanup()

    asyncio.run(serve())


@contextlib.contextmanager
def chat_model(chunks: int, seconds: float) -> Iterator[str]:
    """The chat model's process while the block runs; yields its base URL."""
    ctx = mp.get_context("spawn")
    conn, child = ctx.Pipe()
    process = ctx.Process(target=llm_main, args=(child, chunks, seconds), daemon=True)
    process.start()
    try:
        yield conn.recv()
    finally:
        conn.send("stop")
        process.join(5)


# -- the robots: ours --------------------------------------------------------------------------
def write_app(robots: int, questions: int, chunks: int, seconds: float, llm_url: str | None, reply_mode: str,
              api_calls_per_second: int) -> Path:
    """Our robots' app, written before the clock starts (the files are the bench's setup, not the runtime's start)."""
    app_dir = Path(tempfile.mkdtemp(prefix="dingtalk-bench-"))
    agent = ("aiagents.openaiCompatibleType", {"baseUrl": llm_url, "model": "bench-model", "timeoutSeconds": 30}) if llm_url else None
    write_robots(app_dir, chunks, seconds, {f"imRobots.{cid}": ("imRobots.dingTalkStreamType", {
        "clientId": cid, "clientSecret": f"{cid}-secret", "maxConcurrentAnswers": max(8, questions), "replyMode": reply_mode,
        "apiCallsPerSecond": api_calls_per_second})
        for cid in client_ids(robots)}, agent)
    return app_dir


def ours_main(conn, base_url: str, app_dir: Path, robots: int) -> None:
    """Our Type: every robot an instance under one Supervisor (one loop thread)."""
    _local_env(base_url)
    supervisor = start_robots(app_dir, robots, wait=False)  # the orchestrator counts connections at the simulator
    conn.send("ready")
    if conn.recv() == "settle":  # wait until the loop is idle (startup work done), then go
        import asyncio

        quiet = 0
        while quiet < 10:
            asked = time.monotonic()
            supervisor.call(asyncio.sleep(0))
            quiet = quiet + 1 if time.monotonic() - asked < 0.005 else 0
            time.sleep(0.05)
        conn.send("settled")
        conn.recv()
    supervisor.shutdown(timeout=5.0)
    conn.send("stopped")


# -- the robots: the tutorial's design ---------------------------------------------------------
def tutorial_main(conn, base_url: str, robots: int, chunks: int, seconds: float, questions: int) -> None:
    """The seed's design with the real SDK: a thread + event loop per robot, blocking agent and HTTP."""
    _local_env(base_url)  # before the SDK is imported: it reads the endpoint once
    import asyncio
    import logging

    import dingtalk_stream
    from dingtalk_stream import AckMessage

    dingtalk_stream.DingTalkStreamClient.get_host_ip = lambda self: ""

    def agent_run(question: str, stream_callback) -> str:
        """The seed's synchronous agent.run with a stream callback."""
        parts = []
        for index in range(chunks):
            time.sleep(seconds / chunks)
            chunk = f"chunk {index} of the answer to {question}. "
            parts.append(chunk)
            stream_callback({"data": {"content": chunk}})
        return "".join(parts)

    def card(title: str, text: str, buttons: bool = False) -> dict:
        now = int(time.time() * 1000)
        contents: list[dict] = [{"type": "markdown", "text": text, "id": f"answer_{now}"}]
        if buttons:
            contents.append({"type": "action", "id": f"action_{now}", "actions": [
                {"type": "button", "label": {"type": "text", "text": label, "id": f"text_{now}"}, "actionType": "request",
                 "status": "normal", "size": "small", "id": f"button_{now}", "value": "{}"} for label in ("😄 Very Helpful", "😅 Not Helpful")]})
        return {"config": {"autoLayout": True}, "header": {"title": {"type": "text", "text": title}}, "contents": contents}

    class TextHandler(dingtalk_stream.ChatbotHandler):
        async def process(self, callback):
            incoming = dingtalk_stream.ChatbotMessage.from_dict(callback.data)
            text = incoming.text.content.strip()
            card_biz_id = self.reply_card(card(text, "[Thinking] ..."), incoming, at_sender=True)
            full, state = [], {"updates": 0, "last": time.time(), "pending": 0}

            def stream_callback(chunk):
                full.append(chunk["data"]["content"])
                state["pending"] += 1
                now = time.time()
                if state["updates"] < 19 and (now - state["last"] >= 2 or state["pending"] >= 5):
                    self.update_card(card_biz_id, card(text, "".join(full)))
                    state.update(updates=state["updates"] + 1, last=now, pending=0)

            response = agent_run(text, stream_callback)
            self.update_card(card_biz_id, card(text, response, buttons=True))
            return AckMessage.STATUS_OK, "OK"

    def run_robot(cid: str) -> None:
        client = dingtalk_stream.DingTalkStreamClient(dingtalk_stream.Credential(cid, f"{cid}-secret"))
        client.logger.setLevel(logging.CRITICAL)  # it logs every ticket at INFO ("endpoint is {...}")
        handler = TextHandler()
        handler.logger.setLevel(logging.CRITICAL)
        client.register_callback_handler(dingtalk_stream.ChatbotMessage.TOPIC, handler)
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        loop.run_until_complete(client.start())

    for cid in client_ids(robots):
        threading.Thread(target=run_robot, args=(cid,), daemon=True, name=f"robot-{cid}").start()
    conn.send("ready")
    conn.recv()
    conn.send("stopped")
    os._exit(0)  # the SDK has no stop(): the process is the only way out


# -- the orchestrator --------------------------------------------------------------------------
@dataclass
class Result:
    scenario: str
    design: str
    startup: float
    tokens_after: float | None  # when every robot held its access token (ours; the tutorial's fetches one per answer)
    robots: int
    questions: int
    answered: int
    ack_p50: float
    ack_p99: float
    ping_p99: float | None
    thinking_p50: float
    wall_p50: float
    all_done: float | None
    updates: float
    rss_mb: float
    threads: int
    redeliveries: int
    duplicates: int
    cpu: float  # CPU seconds of the robots' process from the questions to the last answer


def run_one(scenario: str, design: str, robots: int, questions: int, chunks: int, seconds: float, ping: bool, *,
            api_calls_per_second: int, llm: bool = False, reply_mode: str = "card") -> Result:
    with contextlib.ExitStack() as stack:
        llm_url = stack.enter_context(chat_model(chunks, seconds)) if llm else None
        if design == "ours":
            bots = (ours_main, write_app(robots, questions, chunks, seconds, llm_url, reply_mode, api_calls_per_second), robots)
        else:
            bots = (tutorial_main, robots, chunks, seconds, questions)
        return _measure(stack.enter_context(processes(sim_main, robots, *bots)), scenario, design, robots, questions, seconds, ping)


def _measure(run: Any, scenario: str, design: str, robots: int, questions: int, seconds: float, ping: bool) -> Result:
    """Wait for the start, send the questions, follow the answers; the row of the table."""
    sim_conn, bot_conn = run.sim, run.bots
    assert bot_conn.recv() == "ready"
    cids = client_ids(robots)
    while sim_call(sim_conn, "live", cids) < robots:
        time.sleep(0.05)
    startup = time.monotonic() - run.started
    tokens_after = None
    if design == "ours":  # each robot fetches its access token 2-4 s after connecting: let that finish
        tokens_by = time.monotonic() + 60.0
        while (tokens := sim_call(sim_conn, "tokens", None)) < robots and time.monotonic() < tokens_by:
            time.sleep(0.05)
        tokens_after = time.monotonic() - run.started
        if tokens < robots:
            print(f"only {tokens} of {robots} robots fetched an access token within 60 s of connecting", file=sys.stderr, flush=True)
        bot_conn.send("settle")
        assert bot_conn.recv() == "settled"
    time.sleep(0.5)
    peaks = run.peaks()
    items = [(cid, f"question {q} for {cid}", f"user-{cid}-{q}") for q in range(questions) for cid in cids]
    cpu_before = sum(peaks.process.cpu_times()[:2])
    msg_ids = sim_call(sim_conn, "send", items)
    sent_at = time.monotonic()
    ping_ids: list[str] = []
    deadline = time.monotonic() + (BASELINE_WAIT if design == "tutorial" else 30.0)
    checked = 0.0
    while time.monotonic() < deadline:
        peaks.sample()
        streaming = time.monotonic() - sent_at < seconds * 0.9
        if ping and streaming:
            ping_ids += sim_call(sim_conn, "ping", cids)
        # "done" reads every card's newest version inside the simulator: not while pinging
        if not streaming and time.monotonic() - checked > 0.25:
            checked = time.monotonic()
            if sim_call(sim_conn, "done", msg_ids) == len(msg_ids):
                break
        time.sleep(0.05)
    cpu = sum(peaks.process.cpu_times()[:2]) - cpu_before
    time.sleep(0.2)
    report = sim_call(sim_conn, "report", (msg_ids, ping_ids))
    return Result(
        scenario=scenario,
        design=design,
        startup=startup,
        tokens_after=tokens_after,
        robots=robots,
        questions=questions,
        answered=report["answered"],
        ack_p50=percentile(report["acks"], 50) * 1000,
        ack_p99=percentile(report["acks"], 99) * 1000,
        ping_p99=percentile(report["ping_acks"], 99) * 1000 if ping else None,
        thinking_p50=percentile(report["thinking"], 50),
        wall_p50=percentile(report["walls"], 50),
        all_done=report["all_done"],
        updates=statistics.mean(report["updates"]) if report["updates"] else float("nan"),
        rss_mb=peaks.rss / 2**20,
        threads=peaks.threads,
        redeliveries=report["redeliveries"],
        duplicates=report["duplicates"],
        cpu=cpu,
    )


def table(results: list[Result]) -> str:
    head = ("| scenario | design | robots x questions | answered | ACK p50 | ACK p99 | ping ACK p99 while streaming "
            "| thinking card p50 | answer p50 | all answered after | card updates / answer | peak RSS | threads | redelivered / duplicate cards | all connected after start "
            "| all access tokens after start | robots' CPU |")
    lines = [head, "|" + " --- |" * 17]
    for r in results:
        ping = f"{r.ping_p99:.1f} ms" if r.ping_p99 is not None else "-"
        done = f"{r.all_done:.2f} s" if r.all_done is not None else f"not all within {BASELINE_WAIT:.0f} s"
        tokens = f"{r.tokens_after:.1f} s" if r.tokens_after is not None else "-"
        lines.append(
            f"| {r.scenario} | {r.design} | {r.robots} x {r.questions} | {r.answered}/{r.robots * r.questions} | {r.ack_p50:.1f} ms | {r.ack_p99:.1f} ms "
            f"| {ping} | {r.thinking_p50 * 1000:.0f} ms | {r.wall_p50:.2f} s | {done} | {r.updates:.1f} | {r.rss_mb:.0f} MB | {r.threads} | {r.redeliveries} / {r.duplicates} | {r.startup:.1f} s | {tokens} | {r.cpu:.2f} s |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=[*SCENARIOS, "all"], default="all")
    parser.add_argument("--robots", type=int, help="custom scenario: number of robots")
    parser.add_argument("--questions", type=int, default=1, help="custom scenario: questions per robot")
    parser.add_argument("--chunks", type=int, default=10, help="custom scenario: chunks per answer (K)")
    parser.add_argument("--seconds", type=float, default=1.0, help="custom scenario: seconds per answer (T)")
    parser.add_argument("--ping", action="store_true", help="custom scenario: ping every robot every 50 ms while answers stream")
    parser.add_argument("--no-baseline", action="store_true", help="skip the tutorial's design")
    parser.add_argument("--api-calls-per-second", type=int, default=20,
                        help="our robots' apiCallsPerSecond: 20 for a standard DingTalk organisation, 40 or 60 for other editions")
    args = parser.parse_args(argv)
    if args.robots:
        scenarios = {"custom": dict(robots=args.robots, questions=args.questions, chunks=args.chunks, seconds=args.seconds, ping=args.ping)}
    elif args.scenario == "all":
        scenarios = SCENARIOS
    else:
        scenarios = {args.scenario: SCENARIOS[args.scenario]}
    results = []
    for name, spec in scenarios.items():
        for design in ("ours",) if args.no_baseline or name in OURS_ONLY else ("ours", "tutorial"):
            print(f"running {name} ({design}): {spec}", file=sys.stderr, flush=True)
            results.append(run_one(name, design, **spec, api_calls_per_second=args.api_calls_per_second))
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
