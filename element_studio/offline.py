"""The offline default: every Type that ships a simulator gets it started, so the sample app
runs with no credentials and no network.

Each Type reaches its own simulator through its service context (`context.offline_endpoint`)
and the editor reaches it through the editor host: nothing is written into `os.environ`.
"""
from __future__ import annotations

import logging

from .contract import OfflineSimulator, RunningSimulator
from .runtime.app import App

log = logging.getLogger("element_studio.offline")


def offline_simulators(app: App) -> dict[str, OfflineSimulator]:
    """The simulators the app's Types ship, by Type fullName (a broken Type has none)."""
    return {name: hook for name, hook in app.hooks("offline_simulator", app.types()).items() if isinstance(hook, OfflineSimulator)}


def start_offline_simulators(app: App) -> dict[str, RunningSimulator]:
    """Start each Type's simulator; returns the running ones by Type fullName."""
    running = {}
    for type_name, simulator in offline_simulators(app).items():
        sim = simulator.start()
        running[type_name] = sim
        log.info("built-in %s simulator at %s (for %s)", simulator.title, sim.base_url, type_name)
        if simulator.hint:
            log.info(simulator.hint.format(base_url=sim.base_url))
    return running


def stop_offline_simulators(running: dict[str, RunningSimulator]) -> None:
    for sim in running.values():
        sim.stop()
