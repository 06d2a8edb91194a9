"""Running robots from the browser (real headless Chromium, a live editor, a Supervisor and the
DingTalk simulator): start and stop with live chips, health, save-and-restart, test
connection, live logs, and how the pages look with a robot running."""
from __future__ import annotations

import re
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.elements import copy_fixture, instance, write_element
from tests.support.waiting import wait_until

pytestmark = pytest.mark.browser
CLIENT_ID = "dingdemo"
SECRET = "sim-secret-5f1c9a7e"
TITLE = "Support robot"
AGENT = "aiagents.scripted"
FAST = {"reconnectMinSeconds": 0.05, "reconnectMaxSeconds": 0.4, "heartbeatSeconds": 5, "httpTimeoutSeconds": 2}
SCREENSHOTS = Path(tempfile.gettempdir()) / "element-studio-runtime-screenshots"


@pytest.fixture
def sim_apps():
    return {CLIENT_ID: SECRET}


@pytest.fixture
def robot(sim, app_dir, supervisor) -> str:
    """A stopped DingTalk robot answering with the scripted agent (a fresh name: log records are
    kept per fullName for the whole process), and a second robot that needs setup."""
    name = f"imRobots.support_{uuid.uuid4().hex[:6]}"
    copy_fixture("scripted_agent", app_dir)
    write_element(app_dir, AGENT, instance("aiagents.scriptedType", "Scripted agent", at_start=False),
                  {"chunks": ["Hello", " from the robot"]})
    descriptor = {"title": TITLE, "type": "imRobots.dingTalkStreamType", "backendBundleEntry": ".",
                  "description": "Answers the #support group."}
    write_element(app_dir, name, descriptor, {"agent": AGENT, "clientId": CLIENT_ID, "clientSecret": SECRET, "advanced": FAST})
    write_element(app_dir, "imRobots.salesBot", {**descriptor, "title": "Sales robot"}, {"agent": AGENT, "clientId": ""})
    supervisor.app.refresh()
    return name


def button(page, name: str):
    """A button by its exact name ("Start X" is inside "Restart X")."""
    return page.get_by_role("button", name=name, exact=True)


def chip(page, robot: str, where: str = ".page-head"):
    return page.locator(f"{where} [data-chip='{robot}']")


def test_start_and_stop_from_home_and_instance_page_change_the_chip_without_a_reload(sim, robot, page, live_server, supervisor):
    page.goto(live_server + "/")
    page.evaluate("window.marker = 'same page'")
    row = page.locator(f"#row-runtime-{robot.replace('.', '-')}")
    expect(row.locator("[data-chip]")).to_have_text("Stopped")
    expect(button(page, "Start Sales robot")).to_be_disabled()
    expect(page.locator("#why-imRobots-salesBot")).to_contain_text("fill in clientId")

    button(page, f"Start {TITLE}").click()
    expect(row.locator("[data-chip]")).to_have_text("Connected")
    assert sim.wait_for_connection(CLIENT_ID)
    button(page, f"Stop {TITLE}").click()
    expect(row.locator("[data-chip]")).to_have_text("Stopped")
    wait_until(lambda: sim.live_connection_count(CLIENT_ID) == 0, message="the socket stayed open")

    supervisor.start(robot)  # started elsewhere (the CLI, another tab): the poll brings it
    expect(row.locator("[data-chip]")).to_have_text("Connected")
    button(page, "Stop all").click()
    expect(row.locator("[data-chip]")).to_have_text("Stopped")
    expect(page.locator(".toast")).to_contain_text("Stopped 2 services")
    button(page, "Start all").click()
    expect(row.locator("[data-chip]")).to_have_text("Connected")
    expect(page.locator(".toast").last).to_contain_text("1 of 2 running, 1 needs setup")
    assert page.evaluate("window.marker") == "same page"

    page.goto(live_server + f"/instances/{robot}")
    expect(chip(page, robot)).to_have_text("Connected")
    health = page.get_by_label("Health")
    expect(health).to_contain_text("Connected since")
    expect(health).to_contain_text(re.compile(r"Reconnects\s*0"))
    expect(button(page, f"Start {TITLE}")).to_be_disabled()

    sim.register_app(CLIENT_ID, "a-new-secret-in-the-console")  # the secret was changed in DingTalk
    sim.drop_connection(CLIENT_ID)
    expect(chip(page, robot)).to_have_text("Error")
    expect(page.locator(f"[data-chip-note='{robot}']")).to_contain_text("credentials refused (HTTP 401")
    expect(health).to_contain_text("Next try")
    expect(button(page, f"Restart {TITLE}")).to_be_enabled()

    button(page, f"Stop {TITLE}").click()
    expect(chip(page, robot)).to_have_text("Stopped")
    expect(chip(page, robot, ".side")).to_have_text("Stopped")
    expect(button(page, f"Stop {TITLE}")).to_be_disabled()
    expect(page.locator("#runtime-panel")).to_contain_text("Not running")


def test_saving_a_running_robot_restarts_it_and_says_so(sim, robot, page, live_server, supervisor):
    supervisor.start(robot)
    sim.wait_for_connection(CLIENT_ID)
    connections = len(sim.connections(CLIENT_ID))
    page.goto(live_server + f"/instances/{robot}")
    page.get_by_label("Thinking text").fill("One moment…")
    page.get_by_role("button", name="Review & save").click()
    expect(page.locator(".panel--review")).to_contain_text("saving restarts it")
    page.get_by_role("button", name="Save and restart").click()
    expect(page.locator(".toast--success")).to_contain_text("Saved and restarted")
    wait_until(lambda: len(sim.connections(CLIENT_ID)) > connections, message="no new connection after the save")
    expect(chip(page, robot)).to_have_text("Connected")
    assert supervisor.app.config(robot)["thinkingText"] == "One moment…"


def test_test_connection_tells_refused_credentials_from_a_good_login_and_an_unreachable_dingtalk(sim, robot, page, live_server, monkeypatch):
    page.goto(live_server + f"/instances/{robot}")
    result = page.locator("#conn-test-result")
    page.get_by_role("button", name="Test connection").click()
    expect(result).to_contain_text(f"ok: connected as {CLIENT_ID}")  # the kept secret, read on the server

    page.locator("#f-config-clientSecret-field").get_by_text("Replace").click()
    page.get_by_label("New value for Client Secret").fill("wrong-secret-0000")
    page.get_by_role("button", name="Test connection").click()
    expect(result).to_contain_text("credentials refused")
    expect(result).to_contain_text("HTTP 401")

    monkeypatch.setenv("DINGTALK_OPENAPI_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    page.get_by_role("button", name="Test connection").click()
    expect(result).to_contain_text("cannot reach DingTalk")
    monkeypatch.setenv("DINGTALK_OPENAPI_ENDPOINT", sim.base_url)
    assert SECRET not in page.content() and "wrong-secret-0000" not in page.content()

    page.goto(live_server + f"/instances/{robot}/logs/")  # other tabs test the saved settings
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator("#conn-test-result")).to_contain_text(f"ok: connected as {CLIENT_ID}")


def test_the_log_view_follows_an_answer_filters_by_level_and_shows_no_secret(sim, robot, page, live_server, supervisor):
    supervisor.start(robot)
    sim.wait_for_connection(CLIENT_ID)
    page.goto(live_server + f"/instances/{robot}/logs/")
    log = page.get_by_role("log")
    expect(log).to_contain_text("connected to DingTalk")
    msg_id = sim.send_message(CLIENT_ID, "How do I reset my password?")
    expect(log).to_contain_text(re.compile(rf"answered msgId {re.escape(msg_id)} in \d+ ms"))
    assert SECRET not in page.content()

    page.get_by_label("Show").select_option("WARNING")
    expect(log).not_to_contain_text("answered msgId")
    expect(log.locator(".log__empty")).to_be_visible()
    sim.drop_connection(CLIENT_ID)
    expect(log.locator(".log__line--warning").first).to_contain_text("disconnected after")
    expect(log.locator(".log__line--info")).to_have_count(0)
    page.get_by_label("Show").select_option("DEBUG")
    expect(log).to_contain_text("answered msgId")
    expect(page.locator("[data-follow-state]")).to_have_text("Following new records")
    assert SECRET not in page.content()


def test_screenshots_of_home_and_a_running_robot_fit_laptop_and_phone(sim, robot, browser, live_server, supervisor):
    """Pictures to look at (not committed), and no page wider than the screen."""
    supervisor.start(robot)
    sim.wait_for_connection(CLIENT_ID)
    sim.send_message(CLIENT_ID, "hello")
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    for width, suffix in ((1280, ""), (390, "-phone")):
        context = browser.new_context(viewport={"width": width, "height": 900}, device_scale_factor=1)
        tab = context.new_page()
        for path, name in (("/", "home"), (f"/instances/{robot}", "instance"), (f"/instances/{robot}/logs/", "logs")):
            tab.goto(live_server + path)
            expect(tab.locator(f"[data-chip='{robot}']").first).to_have_text("Connected")
            tab.wait_for_timeout(1100)  # relative times ("5 s ago") filled in
            tab.screenshot(path=str(SCREENSHOTS / f"{name}{suffix}.png"), full_page=name != "logs")
            assert tab.evaluate("document.documentElement.scrollWidth") <= width, f"{path} is wider than {width} px"
        context.close()
