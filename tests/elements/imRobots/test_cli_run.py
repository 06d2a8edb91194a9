"""`element-studio run` on the sample app: the embedded simulator comes up, the sample robot
connects, and a question sent through the simulator's control API gets the final card."""
from __future__ import annotations

import json
import os
import re
import signal
import urllib.parse
import urllib.request
from pathlib import Path

from tests.support.run_process import RunProcess
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[3]
LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def control(base_url: str, path: str, body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{base_url}/_sim{path}", data=data, headers={"Content-Type": "application/json"})
    with LOCAL.open(request, timeout=5) as response:
        return json.loads(response.read())


def test_run_brings_up_the_embedded_simulator_and_the_sample_robot_answers():
    env = {k: v for k, v in os.environ.items()
           if k not in ("DINGTALK_OPENAPI_ENDPOINT", "DINGTALK_CLIENT_ID", "DINGTALK_CLIENT_SECRET", "ELEMENT_STUDIO_DATABASE_URL")}
    with RunProcess(env=env, cwd=ROOT) as run:
        base_url = run.wait_for_line(r"built-in DingTalk simulator at (http://127\.0\.0\.1:\d+)").group(1)
        run.wait_for_line(r"storage: SQLite file .*app\.sqlite3")  # no database server needed
        run.wait_for_line(r"imRobots\.dingTalkDemo: connected to DingTalk in \d+ ms")
        sent = control(base_url, "/messages", {"clientId": "dingdemo", "text": "How do I add a robot?"})

        def final_card():
            cards = control(base_url, "/cards?" + urllib.parse.urlencode({"msgId": sent["msgId"]}))  # msgIds hold + and =
            return cards if cards and any("button" in json.dumps(v["cardData"]) for v in cards[0]["versions"][1:]) else None

        cards = wait_until(final_card, timeout=20, message="the sample robot's final card never came")
        assert cards[0]["versions"][0]["cardData"]["contents"][0]["text"] == "Thinking…"
        run.wait_for_line(r"answered msgId " + re.escape(sent["msgId"]))
        run.process.send_signal(signal.SIGINT)
        assert run.process.wait(timeout=30) == 0  # a clean exit; the margin is for a loaded CI machine
    assert "demo-secret" not in run.output()


def test_the_readmes_run_command_uses_the_apps_sqlite_file():
    assert "bash scripts/run.sh" in (ROOT / "README.md").read_text(encoding="utf-8")
    script = (ROOT / "scripts" / "run.sh").read_text(encoding="utf-8")
    assert "element-studio serve" in script and "--database" not in script and "DATABASE_URL" not in script
