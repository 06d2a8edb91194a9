"""The embedded default: the built-in DingTalk simulator, so the sample app runs offline.

DINGTALK_OPENAPI_ENDPOINT is read by the SDK at import time, so this runs before anything
imports `dingtalk_stream`.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

from .app import SAMPLE_APP

log = logging.getLogger("element_studio.embedded")


def start_embedded_dingtalk(app_dir: Path, mode: str | None):
    """Start the simulator when asked (default: for the sample app); returns it or None."""
    if mode is None:
        mode = "simulator" if Path(app_dir).resolve() == SAMPLE_APP.resolve() else "real"
    if mode != "simulator":
        log.info("robots connect to real DingTalk (%s)", os.environ.get("DINGTALK_OPENAPI_ENDPOINT", "https://api.dingtalk.com"))
        return None
    from simulator.thread import SimulatorThread

    sim = SimulatorThread()
    sim.start()
    os.environ["DINGTALK_OPENAPI_ENDPOINT"] = sim.base_url
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    log.info("built-in DingTalk simulator at %s (demo robot credentials are in the sample app's .env)", sim.base_url)
    return sim
