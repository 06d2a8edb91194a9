"""`element-studio run` on the sample app: the embedded simulator comes up and the robot connects."""
from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_run_brings_up_the_embedded_simulator_and_connects_the_sample_robot():
    env = {k: v for k, v in os.environ.items() if k not in ("DINGTALK_OPENAPI_ENDPOINT", "DINGTALK_CLIENT_ID", "DINGTALK_CLIENT_SECRET")}
    env.update(NO_PROXY="127.0.0.1,localhost", PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "runtime.cli", "run"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 20
        while not any("imRobots.dingTalkDemo" in line and "connected to DingTalk" in line for line in seen):
            assert time.monotonic() < deadline, "".join(seen)
            try:
                seen.append(lines.get(timeout=0.5))
            except queue.Empty:
                assert process.poll() is None, "".join(seen)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
    while not lines.empty():
        seen.append(lines.get())
    output = "".join(seen)
    assert "built-in DingTalk simulator at http://127.0.0.1:" in output
    assert "demo-secret" not in output
