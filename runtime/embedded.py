"""The embedded default: the built-in DingTalk simulator, so the sample app runs offline.

DINGTALK_OPENAPI_ENDPOINT is set before any robot starts (our robots read it at call time;
the SDK reads it at import, so this also runs before anything imports `dingtalk_stream`).
The simulator listens on 127.0.0.1:8711 when that port is free, so
`element-studio sim send "question"` talks to it from another terminal; else on any port.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from .app import SAMPLE_APP
from .logs import ring_buffer

log = logging.getLogger("element_studio.embedded")


def start_embedded_dingtalk(app_dir: Path, mode: str | None):
    """Start the simulator when asked (default: for the sample app); returns it or None."""
    ring_buffer()  # the runtime's log handlers and level, so the lines below are kept and printed
    if mode is None:
        mode = "simulator" if Path(app_dir).resolve() == SAMPLE_APP.resolve() else "real"
    if mode != "simulator":
        log.info("robots connect to real DingTalk (%s)", os.environ.get("DINGTALK_OPENAPI_ENDPOINT", "https://api.dingtalk.com"))
        return None
    from simulator.cli import DEFAULT_PORT
    from simulator.thread import SimulatorThread

    try:
        sim = SimulatorThread(port=DEFAULT_PORT).start()
    except OSError:  # the usual port is taken (another simulator, another serve): any free one
        sim = SimulatorThread(port=0).start()
    os.environ["DINGTALK_OPENAPI_ENDPOINT"] = sim.base_url
    no_proxy = os.environ.get("NO_PROXY", "")
    if "127.0.0.1" not in no_proxy:
        os.environ["NO_PROXY"] = ",".join(filter(None, [no_proxy, "127.0.0.1", "localhost"]))
    log.info("built-in DingTalk simulator at %s (demo robot credentials are in the sample app's .env)", sim.base_url)
    log.info('ask the sample robot from another terminal: element-studio sim send --url %s "How do I add a robot?"', sim.base_url)
    return sim
