"""The DingTalk Type's offline simulator, as the offline default and `element-studio sim` use it."""
from __future__ import annotations

from element_studio.contract import OfflineSimulator

from .simulator.cli import DEFAULT_PORT, main as sim_command
from .simulator.thread import SimulatorThread


def start_simulator() -> SimulatorThread:
    """On 127.0.0.1:8711 when free, so `element-studio sim send` finds it; else any free port."""
    try:
        return SimulatorThread(port=DEFAULT_PORT).start()
    except OSError:
        return SimulatorThread(port=0).start()


offline_simulator = OfflineSimulator(
    platform="dingtalk",
    title="DingTalk",
    start=start_simulator,
    command=sim_command,
    hint='ask the sample robot from another terminal: element-studio sim send --url {base_url} "How do I add a robot?"',
)
