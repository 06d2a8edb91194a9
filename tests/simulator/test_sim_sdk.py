"""Faithfulness: the unmodified dingtalk-stream SDK works against the simulator.

The SDK reads DINGTALK_OPENAPI_ENDPOINT once at import and has no stop(), so the robot
(sdk_robot.py) runs in a subprocess that is killed at the end.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from element_studio.elements.imRobots.dingTalkStreamType.simulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, SimulatorThread
from element_studio.elements.imRobots.dingTalkStreamType.simulator.frames import TOPIC_CARD_CALLBACK, TOPIC_ROBOT_MESSAGE

ROBOT = Path(__file__).with_name("sdk_robot.py")
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
              "all_proxy")


class RobotProcess:
    """The SDK robot subprocess and the JSON lines it prints."""

    def __init__(self, base_url: str) -> None:
        env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
        env.update(DINGTALK_OPENAPI_ENDPOINT=base_url, NO_PROXY="127.0.0.1,localhost",
                   no_proxy="127.0.0.1,localhost", SIM_CLIENT_ID=DEMO_CLIENT_ID,
                   SIM_CLIENT_SECRET=DEMO_CLIENT_SECRET, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen([sys.executable, str(ROBOT)], env=env, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines: list[str] = []
        self._events: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip())
            if line.startswith("{"):
                self._events.put(json.loads(line))

    def next_event(self, kind: str, timeout: float = 10.0) -> dict[str, Any]:
        """The next JSON line of this kind the robot printed."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                event = self._events.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"robot printed no {kind!r}; output:\n"
                                     + "\n".join(self.lines[-40:])) from None
            if event["event"] == kind:
                return event

    def kill(self) -> None:
        """The SDK cannot be stopped, only killed."""
        self.proc.kill()
        self.proc.wait(timeout=5)


@pytest.fixture
def sim() -> Iterator[SimulatorThread]:
    """A simulator in its own thread (the test body is blocking)."""
    with SimulatorThread(redeliver_after=5.0) as simulator:
        yield simulator


@pytest.fixture
def robot(sim: SimulatorThread) -> Iterator[RobotProcess]:
    """The stock SDK robot, connected to the simulator."""
    process = RobotProcess(sim.base_url)
    try:
        yield process
    finally:
        process.kill()


def test_stock_sdk_robot_talks_to_the_simulator(sim, robot):
    start = robot.next_event("start")
    assert start["endpoint"] == sim.base_url + "/v1.0/gateway/connections/open"
    [connection] = sim.wait_for_connection(DEMO_CLIENT_ID, timeout=10)
    assert {"type": "CALLBACK", "topic": TOPIC_ROBOT_MESSAGE} in connection.subscriptions
    assert {"type": "CALLBACK", "topic": TOPIC_CARD_CALLBACK} in connection.subscriptions
    assert connection.ua.startswith("dingtalk-sdk-python/v")

    # A message arrives, the SDK parses it, answers with a card, updates it, ACKs.
    msg_id = sim.send_message(DEMO_CLIENT_ID, "ping me", sender_staff_id="staff1")
    seen = robot.next_event("message")
    assert seen["msgId"] == msg_id and seen["text"] == "ping me"
    assert "processQueryKey" in seen["updated"]
    ack = sim.wait_for_ack(msg_id)
    assert ack.code == 200 and ack.data == {"response": "OK"}
    card = sim.wait_for_card(msg_id, versions=2)
    assert card.card_biz_id == seen["cardBizId"] and card.receiver_user_id == "staff1"
    assert [v.card_data["contents"][0]["text"] for v in card.versions] == [
        "Thinking...", "echo: ping me"]
    assert len(sim.deliveries_of(msg_id)) == 1  # ACKed in time: no redelivery

    # The feedback button comes back through the SDK's card callback parsing.
    press_id = sim.press_button(card.card_biz_id, label="Helpful")
    pressed = robot.next_event("press")
    assert pressed["outTrackId"] == card.card_biz_id and pressed["userId"] == "staff1"
    assert pressed["content"]["cardPrivateData"] == {
        "actionIds": ["btn_up"], "params": {"type": "helpful", "message_id": msg_id}}
    sim.wait_for_ack(press_id)

    # SYSTEM ping is echoed; SYSTEM disconnect makes the SDK reconnect at once.
    [ping_id] = sim.ping(DEMO_CLIENT_ID)
    assert "opaque" in sim.wait_for_ack(ping_id).data
    sim.send_system_disconnect(DEMO_CLIENT_ID)
    sim.wait_for(lambda: len(sim.connections(DEMO_CLIENT_ID)) == 2
                 and sim.live_connection_count(DEMO_CLIENT_ID) == 1, timeout=10)
    first = sim.connections(DEMO_CLIENT_ID)[0]
    assert first.closed_by == "client" and first.close_code == 1000
    assert sim.max_live_connections(DEMO_CLIENT_ID) == 1
