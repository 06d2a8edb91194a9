"""The Feishu Type's offline simulator, as the offline default and `element-studio sim feishu` use it (on 127.0.0.1:8712 when free)."""
from __future__ import annotations

from ..Meta.offline import offline_simulator as simulator_hook
from .simulator.cli import DEFAULT_PORT, main as sim_command


def start_on(port: int):
    from .simulator.thread import FeishuSimulatorThread  # imports lark_oapi: only when the simulator runs

    return FeishuSimulatorThread(port=port).start()


offline_simulator = simulator_hook("feishu", "Feishu", start_on, DEFAULT_PORT, sim_command, 'ask the Feishu sample robot from another '
                                   'terminal: element-studio sim feishu send --url {base_url} "How do I add a robot?"')
