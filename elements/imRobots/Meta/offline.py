"""A Type's offline simulator hook, built the same way for every IM Type: the simulator starts on
its platform's well-known port on 127.0.0.1 when that is free (so `element-studio sim ... send`
finds it without a URL), else on any free port."""
from __future__ import annotations

from collections.abc import Callable

from element_studio.contract import OfflineSimulator, RunningSimulator


def offline_simulator(platform: str, title: str, start_on: Callable[[int], RunningSimulator], port: int,
                      command: Callable[[list[str]], int], hint: str) -> OfflineSimulator:
    """The `offline_simulator` hook; `start_on(port)` starts the Type's simulator (port 0: any free one)."""
    def start() -> RunningSimulator:
        try:
            return start_on(port)
        except OSError:
            return start_on(0)

    return OfflineSimulator(platform=platform, title=title, start=start, command=command, hint=hint)
