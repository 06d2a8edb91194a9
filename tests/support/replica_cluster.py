"""Several `element-studio run`/`serve` replicas of one app on one PostgreSQL database, serving
one DingTalk robot through a standalone `element-studio sim` process: each a real subprocess, so
one can be killed with `kill -9`. Used by tests/elements/imRobots/test_replicas.py and
bench/replicas.py.
"""
from __future__ import annotations

import json
import os
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from element_studio.elements.imRobots.dingTalkStreamType.simulator.frames import iter_buttons
from tests.support.elements import copy_fixture, instance, write_element
from tests.support.postgres import free_port
from tests.support.robots import AGENT_TYPE, FAST, ROBOT_TYPE
from tests.support.run_process import RunProcess
from tests.support.waiting import wait_until

ROBOT = "imRobots.sharedBot"
CLIENT_ID = "dingdemo"
APOLOGY = "Sorry, the robot restarted."
LABELS = ("😄 Very helpful", "😊 Helpful", "🙂 Somewhat helpful", "😅 Not helpful")


def write_app(app_dir: Path, answer_seconds: float = 1.0, chunks: int = 5) -> str:
    """The robot and its scripted agent, which streams `chunks` parts over `answer_seconds`;
    returns the full answer text."""
    parts = [f"part{i} " for i in range(chunks)]
    copy_fixture("scripted_agent", app_dir)
    write_element(app_dir, "aiagents.oneSecond", instance(AGENT_TYPE, at_start=False),
                  {"chunks": parts, "delaySeconds": answer_seconds / chunks})
    write_element(app_dir, ROBOT, instance(ROBOT_TYPE), {
        "agent": "aiagents.oneSecond", "clientId": CLIENT_ID, "clientSecret": "demo-secret", "maxConcurrentAnswers": 500,
        "updateEveryChunks": 2, "updateIntervalSeconds": 0.5, "maxCardUpdates": 3, "apologyText": APOLOGY, "advanced": dict(FAST),
    })
    return "".join(parts)


class SimControl:
    """The standalone simulator's control API (`/_sim/`), over HTTP."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + "/_sim" + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with self._opener.open(request, timeout=30) as response:
            return json.loads(response.read())

    def send(self, text: str, sender: str) -> dict[str, str]:
        """A single-chat question from `sender` (one conversation per sender): {msgId, conversationId}."""
        return self.call("POST", "/messages", {"clientId": CLIENT_ID, "text": text, "senderStaffId": sender, "senderNick": sender})

    def press(self, card_biz_id: str, label: str, user: str) -> str:
        return self.call("POST", "/buttons", {"cardBizId": card_biz_id, "label": label, "userId": user})["messageId"]

    def open_connections(self) -> list[dict[str, Any]]:
        return [c for c in self.call("GET", f"/connections?clientId={CLIENT_ID}") if c["closedAt"] is None]

    def cards(self) -> list[dict[str, Any]]:
        return self.call("GET", f"/cards?clientId={CLIENT_ID}")

    def replies(self) -> list[dict[str, Any]]:
        return self.call("GET", f"/replies?clientId={CLIENT_ID}")

    def redeliver(self, msg_id: str) -> bool:
        """Push a message (by msgId) or a press (by messageId) again now, as DingTalk may."""
        return self.call("POST", f"/messages/{urllib.parse.quote(msg_id, safe='')}/redeliver", {})["sent"]

    def acks(self) -> list[dict[str, Any]]:
        return self.call("GET", f"/acks?clientId={CLIENT_ID}")

    def messages(self) -> list[dict[str, Any]]:
        return self.call("GET", f"/messages?clientId={CLIENT_ID}")


@dataclass(frozen=True)
class Outcome:
    """How one question ended, as the user saw it."""

    cards: int  # cards sent for it
    ends: int  # cards ended (final answer or apology) + markdown replies
    answered: bool
    apologised: bool
    ended_at: float  # the simulator's clock (epoch s) when the last end arrived; 0 without one


def card_text(card_data: dict[str, Any]) -> str:
    return " ".join(str(item.get("text", "")) for item in card_data.get("contents", []))


def outcomes(sim: SimControl, conversations: dict[str, str], answer: str) -> dict[str, Outcome]:
    """Per msgId (asked in its own conversation: `conversations` maps msgId -> conversationId)."""
    cards: dict[str, list[dict[str, Any]]] = {}
    for card in sim.cards():
        cards.setdefault(card["conversationId"], []).append(card)
    replies: dict[str, list[tuple[str, float]]] = {}
    for reply in sim.replies():
        if reply["errcode"] == 0:
            replies.setdefault(reply["conversationId"], []).append((json.dumps(reply["body"], ensure_ascii=False), reply["at"]))
    found = {}
    for msg_id, conversation in conversations.items():
        finals = [card["versions"][-1] for card in cards.get(conversation, [])]
        ended = [(card_text(v["cardData"]), v["at"]) for v in finals if iter_buttons(v["cardData"]) or APOLOGY in card_text(v["cardData"])]
        ends = ended + replies.get(conversation, [])
        found[msg_id] = Outcome(cards=len(finals), ends=len(ends), answered=any(answer.strip() in text for text, _ in ends),
                                apologised=any(APOLOGY in text for text, _ in ends), ended_at=max((at for _, at in ends), default=0.0))
    return found


def summary(found: dict[str, Outcome]) -> Counter:
    """How many questions ended how: answered, apologised, no end, several ends, several cards."""
    counts: Counter = Counter()
    for outcome in found.values():
        counts["no end" if outcome.ends == 0 else "several ends" if outcome.ends > 1 else
               "answered" if outcome.answered else "apologised" if outcome.apologised else "other end"] += 1
        if outcome.cards > 1:
            counts["several cards"] += 1
    return counts


class ReplicaCluster:
    """A standalone simulator and `count` replicas of `app_dir` on `database` (None: the app's
    SQLite file, shared by processes on one machine); with `editor_port` the first replica is
    `serve` (the editor), the others `run`."""

    def __init__(self, app_dir: Path, database: str | None, count: int = 3, editor_port: int | None = None,
                 redeliver_after: float = 2.0) -> None:
        self.app_dir = app_dir
        self.database = database
        self.editor_port = editor_port
        port = free_port()
        self.sim_process = RunProcess("dingtalk", "--port", str(port), "--redeliver-after", str(redeliver_after), command="sim", cwd=app_dir)
        self.replicas: list[RunProcess] = []
        try:
            self.sim_process.wait_for_line(r"DingTalk simulator listening on")
            self.sim = SimControl(f"http://127.0.0.1:{port}")
            self.env = {**os.environ, "DINGTALK_OPENAPI_ENDPOINT": self.sim.base_url}
            self.replicas = [self._start(editor=editor_port is not None and index == 0) for index in range(count)]
            self.ids = [replica.wait_for_line(r"this replica: (\S+)", timeout=60).group(1) for replica in self.replicas]
            for replica in self.replicas:
                replica.wait_for_line(rf"{ROBOT}: connected to DingTalk", timeout=60)
            wait_until(lambda: len(self.sim.open_connections()) == count, timeout=20)
        except BaseException:
            self.__exit__()
            raise

    def _start(self, editor: bool) -> RunProcess:
        common = ("--app", str(self.app_dir), "--simulators", "off", *(("--database", self.database) if self.database else ()))
        if editor:
            return RunProcess(*common, "--port", str(self.editor_port), command="serve", env=self.env)
        return RunProcess(*common, env=self.env)

    def ended(self, asked: dict[str, str], answer: str, timeout: float) -> dict[str, Outcome]:
        """Wait until every question asked (msgId -> conversationId) has ended; returns how each did."""
        def all_ended() -> dict[str, Outcome] | None:
            found = outcomes(self.sim, asked, answer)
            return found if all(outcome.ends for outcome in found.values()) else None

        return wait_until(all_ended, timeout, interval=0.5,
                          message=lambda: f"questions without an end: {summary(outcomes(self.sim, asked, answer))}")

    def kill(self, index: int) -> None:
        """`kill -9` one replica (not the editor's)."""
        self.replicas[index].kill()

    def close(self) -> None:
        for replica in self.replicas:
            replica.terminate()
        self.sim_process.terminate()

    def __enter__(self) -> ReplicaCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        for process in (*self.replicas, self.sim_process):
            process.__exit__()
