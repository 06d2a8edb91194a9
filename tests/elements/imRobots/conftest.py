"""Fixtures: the DingTalk simulator on 127.0.0.1 and a RobotWorld around a temp app."""
from __future__ import annotations

import pytest

from element_studio.elements.imRobots.dingTalkStreamType.simulator.thread import SimulatorThread

from .world import RobotWorld

APPS = {"dingdemo": "demo-secret", "dingtwo": "two-secret-value"}


@pytest.fixture
def sim(monkeypatch):
    with SimulatorThread(apps=APPS, redeliver_after=0.5) as simulator:
        monkeypatch.setenv("DINGTALK_OPENAPI_ENDPOINT", simulator.base_url)
        yield simulator


@pytest.fixture
def world(app_dir, sim):
    robots = RobotWorld(app_dir, sim)
    yield robots
    robots.close()
