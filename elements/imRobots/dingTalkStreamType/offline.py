"""The DingTalk Type's offline simulator, as the offline default and `element-studio sim` use it (on 127.0.0.1:8711 when free).

The simulator is imported when it is started or its command runs, not with the Type: a process
that only runs robots reads this hook's module (every Type is imported for its hooks) and would
pay for the simulator's import (about 35 ms) without ever starting it.
"""
from __future__ import annotations

from ..Meta.offline import offline_simulator as simulator_hook

DEFAULT_PORT = 8711


def start_on(port: int):
    from .simulator.thread import SimulatorThread

    return SimulatorThread(port=port).start()


def sim_command(argv: list[str]) -> int:
    from .simulator.cli import main

    return main(argv)


offline_simulator = simulator_hook("dingtalk", "DingTalk", start_on, DEFAULT_PORT, sim_command,
                                   'ask the sample robot from another terminal: element-studio sim send --url {base_url} "How do I add a robot?"')
