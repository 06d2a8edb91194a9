"""A temp app with robots and a scripted agent, run by a real Supervisor against the simulator."""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from element_studio.runtime.logs import ring_buffer
from element_studio.runtime.service import InstanceStatus
from element_studio.runtime.supervisor import Supervisor
from element_studio.elements.imRobots.dingTalkStreamType.simulator.thread import SimulatorThread
from tests.support.elements import copy_fixture, instance, write_element
from tests.support.waiting import wait_until

ROBOT_TYPE = "imRobots.dingTalkStreamType"
FEISHU_TYPE = "imRobots.feishuType"
AGENT_TYPE = "aiagents.scriptedType"
# Fast timings so reconnects and dead sockets take tenths of a second, not minutes.
FAST = {"reconnectMinSeconds": 0.05, "reconnectMaxSeconds": 0.4, "heartbeatSeconds": 0.6, "httpTimeoutSeconds": 2}


class RobotWorld:
    """The app dir, the simulator and the supervisor of one test (the fixtures own and stop them)."""

    def __init__(self, app_dir: Path, sim: Any, supervisor: Supervisor) -> None:
        self.app_dir = app_dir
        self.sim = sim
        self.supervisor = supervisor
        copy_fixture("scripted_agent", app_dir)

    def agent(self, name: str = "", **config: Any) -> str:
        """Write an instance of the scripted agent; returns its fullName."""
        full_name = f"aiagents.{name or 'scripted_' + uuid.uuid4().hex[:6]}"
        write_element(self.app_dir, full_name, instance(AGENT_TYPE, at_start=False), config)
        return full_name

    def robot(self, agent: str, client_id: str = "dingdemo", secret: str = "demo-secret", name: str = "", **config: Any) -> str:
        """Write a robot instance (fast timings unless `advanced` is given); returns its fullName."""
        full_name = f"imRobots.{name or 'bot_' + uuid.uuid4().hex[:6]}"
        body = {"agent": agent, "clientId": client_id, "clientSecret": secret, "advanced": dict(FAST), **config}
        write_element(self.app_dir, full_name, instance(ROBOT_TYPE), body)
        return full_name

    @property
    def storage(self):
        return self.supervisor.app.storage

    def start(self, full_name: str, connected: bool = True) -> InstanceStatus:
        status = self.supervisor.start(full_name)
        assert status.state in ("running", "error"), status
        if connected:
            self.wait_status(full_name, lambda s: s.detail.get("connection") == "connected")
        return self.supervisor.status(full_name)

    def status(self, full_name: str) -> InstanceStatus:
        return self.supervisor.status(full_name)

    def wait_status(self, full_name: str, predicate, timeout: float = 5.0) -> InstanceStatus:
        return wait_until(lambda: next((s for s in [self.status(full_name)] if predicate(s)), None), timeout,
                          message=lambda: f"status never matched: {self.status(full_name)}")

    def logs(self, full_name: str) -> list[str]:
        return [e.message for e in ring_buffer().recent(full_name)]

    def wait_log(self, full_name: str, text: str, timeout: float = 5.0) -> str:
        return wait_until(lambda: next((m for m in self.logs(full_name) if text in m), None), timeout,
                          message=lambda: f"no log line with {text!r}: {self.logs(full_name)}")

    def rows(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        """Rows of a query written for the world's SQLite file (`?` placeholders)."""
        with self.storage.connect() as conn:
            return [r._asdict() for r in conn.exec_driver_sql(sql, args).fetchall()]


class FeishuWorld(RobotWorld):
    """The same world with Feishu robots, pointed at the Feishu simulator through their `domain`."""

    def robot(self, agent: str, client_id: str = "cli_demo_feishu", secret: str = "demo-feishu-secret", name: str = "",
              **config: Any) -> str:
        full_name = f"imRobots.{name or 'fs_' + uuid.uuid4().hex[:6]}"
        advanced = {**FAST, "heartbeatSeconds": 0.6}
        body = {"agent": agent, "appId": client_id, "appSecret": secret, "domain": self.sim.base_url, "advanced": advanced, **config}
        write_element(self.app_dir, full_name, instance(FEISHU_TYPE), body)
        return full_name
