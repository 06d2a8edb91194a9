"""The Feishu Type's offline simulator, as the offline default and `element-studio sim feishu` use it."""
from __future__ import annotations

from element_studio.contract import OfflineSimulator

from .simulator.cli import DEFAULT_PORT, main as sim_command


def start_simulator():
    """On 127.0.0.1:8712 when free, so `element-studio sim feishu send` finds it; else any free port."""
    from .simulator.thread import FeishuSimulatorThread  # imports lark_oapi: only when the simulator runs

    try:
        return FeishuSimulatorThread(port=DEFAULT_PORT).start()
    except OSError:
        return FeishuSimulatorThread(port=0).start()


offline_simulator = OfflineSimulator(
    platform="feishu",
    title="Feishu",
    start=start_simulator,
    command=sim_command,
    hint='ask the Feishu sample robot from another terminal: element-studio sim feishu send --url {base_url} "How do I add a robot?"',
)
