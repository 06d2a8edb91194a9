"""Diagnostics: a download in every instance's side panel, with every secret replaced."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from element_studio.runtime.redaction import MASK
from tests.support.robots import FAST
from tests.support.elements import copy_fixture, instance, write_element
from tests.support.waiting import wait_until

ROBOT = "imRobots.diagBot"
SECRET = "diag-secret-7c1f9a2b4e"


pytestmark = pytest.mark.usefixtures("sim")


@pytest.fixture
def sim_apps():
    return {"ding-diag": SECRET}


@pytest.fixture
def robot(simulators, sim, app_dir, supervisor):
    """A running robot whose secret is written into config.json itself (the worst case), after one answer."""
    copy_fixture("scripted_agent", app_dir)
    write_element(app_dir, "aiagents.scripted", instance("aiagents.scriptedType", at_start=False), {"chunks": ["Fine", " thanks"]})
    write_element(app_dir, ROBOT, instance("imRobots.dingTalkStreamType", title="Diagnosed robot"),
                  {"agent": "aiagents.scripted", "clientId": "ding-diag", "clientSecret": SECRET, "advanced": FAST})
    supervisor.app.refresh()
    simulators["imRobots.dingTalkStreamType"] = sim
    supervisor.start(ROBOT)
    wait_until(lambda: supervisor.status(ROBOT).detail.get("connection") == "connected", timeout=5)
    sim.wait_for_card(sim.send_message("ding-diag", "How are you?"), versions=2)
    return ROBOT


@pytest.mark.browser
def test_the_diagnostics_download_has_config_status_and_logs_with_every_secret_replaced(robot, page, live_server, sim):
    page.goto(f"{live_server}/instances/{ROBOT}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download diagnostics").click()
    assert download.value.suggested_filename == f"{ROBOT}-diagnostics.json"
    text = Path(download.value.path()).read_text()
    bundle = json.loads(text)
    assert bundle["instance"] == ROBOT and bundle["eJson"]["type"] == "imRobots.dingTalkStreamType"
    assert bundle["config"]["clientSecret"] == MASK and bundle["config"]["clientId"] == "ding-diag"
    assert bundle["status"]["state"] == "running" and bundle["versions"]["element-studio"]
    assert any("question msgId" in line["message"] for line in bundle["logs"])
    tokens = list(sim.sim.tokens._tokens)  # the access tokens the robot was given: runtime secrets
    assert tokens
    assert [secret for secret in (SECRET, *tokens) if secret in text] == []


def test_every_instance_page_has_the_download_and_unknown_names_are_404(session, robot):
    assert f'href="/instances/{ROBOT}/diagnostics.json"' in session.get(f"/instances/{ROBOT}").get_data(as_text=True)
    assert session.get("/instances/imRobots.nothing/diagnostics.json").status_code == 404
    assert session.get("/instances/..%2Fetc/diagnostics.json").status_code == 404
