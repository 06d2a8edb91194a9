"""The simulator speaks Feishu's protocol: the unmodified `lark_oapi.ws.Client` connects to it,
receives events (also split into several frames), answers them, and reconnects after a drop."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.waiting import wait_until

from .test_answers import APP

CLIENT = Path(__file__).with_name("sdk_client.py")


@pytest.fixture
def sdk_client(feishu_sim, tmp_path):
    """The SDK's client in its own process, connected to the simulator; yields the file it writes events to."""
    out = tmp_path / "events.jsonl"
    process = subprocess.Popen([sys.executable, str(CLIENT), feishu_sim.base_url, APP, "demo-feishu-secret", str(out)])
    try:
        wait_until(lambda: feishu_sim.live_connection_count(APP) == 1, timeout=30, message="the SDK never connected")
        yield out
    finally:
        process.kill()
        process.wait(10)


def received(out: Path) -> list[dict]:
    return [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []


def test_the_unmodified_sdk_client_receives_events_answers_each_frame_and_reconnects_after_a_drop(feishu_sim, sdk_client):
    whole = feishu_sim.send_message(APP, "hello from Feishu")
    split = feishu_sim.send_message(APP, "a payload in three frames " * 20, parts=3)
    events = wait_until(lambda: len(received(sdk_client)) == 2 and received(sdk_client))
    assert [(e["message_id"], e["content"]["text"]) for e in events] == [
        (whole, "hello from Feishu"), (split, "a payload in three frames " * 20)]
    for msg in (whole, split):
        delivery = wait_until(lambda msg=msg: (d := feishu_sim.delivery_of(msg)) and d.answered and d)
        assert [r["code"] for r in delivery.responses] == [200] and delivery.tries == 1
    assert feishu_sim.connections(APP)[0].pings >= 1  # the SDK pinged and got its pong

    assert feishu_sim.drop_connection(APP) == 1
    wait_until(lambda: feishu_sim.live_connection_count(APP) == 1, timeout=15, message="the SDK never reconnected")
    later = feishu_sim.send_message(APP, "after the drop")
    assert wait_until(lambda: len(received(sdk_client)) == 3 and received(sdk_client))[-1]["message_id"] == later
