"""The family's connection loop, through each Type and its simulator: a second robot with the
same platform app waits with a clear error and connects once the first stops."""
from __future__ import annotations

import pytest

# platform -> (its world fixture, the simulator's demo app, what the platform calls the app id)
PLATFORMS = {"dingtalk": ("world", "dingdemo", "clientId"), "feishu": ("feishu_world", "cli_demo_feishu", "App ID")}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_second_robot_with_the_same_app_waits_with_a_clear_error(request, platform):
    fixture, app, app_id_name = PLATFORMS[platform]
    world = request.getfixturevalue(fixture)
    agent = world.agent(chunks=["ok"])
    first, second = world.robot(agent, name=f"first_{platform}"), world.robot(agent, name=f"second_{platform}")
    world.start(first)
    world.start(second, connected=False)
    status = world.wait_status(second, lambda s: s.state == "error", timeout=3)
    assert status.message == f"{app_id_name} {app} is already connected by imRobots.first_{platform} (one connection per {app_id_name})"
    world.supervisor.stop(first)
    world.wait_status(second, lambda s: s.state == "running" and s.detail["connection"] == "connected", timeout=4)
    assert world.sim.live_connection_count(app) == 1
