"""The Type's entry point: `Loader(nodes).load()` returns the robot service, not started."""
from __future__ import annotations

from .robot import FeishuRobot
from .settings import RobotSettings


class Loader:
    """nodes[0] is the instance: its config is rendered, defaulted and validated by the runtime."""

    def __init__(self, nodes):
        self.nodes = nodes

    def load(self) -> FeishuRobot:
        instance = self.nodes[0]
        return FeishuRobot(instance.fullName, RobotSettings.from_config(instance.config), instance.app)
