"""The Type's entry point: `Loader(nodes).load()` returns the robot service, not started."""
from __future__ import annotations

from .robot import DingTalkRobot
from .settings import RobotSettings


class Loader:
    """nodes[0] is the instance: its config is rendered, defaulted and validated by the runtime."""

    def __init__(self, nodes):
        self.nodes = nodes

    def load(self) -> DingTalkRobot:
        instance = self.nodes[0]
        return DingTalkRobot(instance.fullName, RobotSettings.from_config(instance.config), instance.app)
