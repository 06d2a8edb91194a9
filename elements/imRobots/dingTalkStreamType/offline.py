"""The DingTalk Type's offline simulator, as the offline default and `element-studio sim` use it (on 127.0.0.1:8711 when free)."""
from __future__ import annotations

from ..Meta.offline import offline_simulator as simulator_hook
from .simulator.cli import DEFAULT_PORT, main as sim_command
from .simulator.thread import SimulatorThread


def start_on(port: int) -> SimulatorThread:
    return SimulatorThread(port=port).start()


offline_simulator = simulator_hook("dingtalk", "DingTalk", start_on, DEFAULT_PORT, sim_command,
                                   'ask the sample robot from another terminal: element-studio sim send --url {base_url} "How do I add a robot?"')
