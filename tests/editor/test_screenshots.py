"""The README's pictures of the home page and a robot's form, at laptop and phone widths.

They are written to docs/screenshots only by `bash scripts/screenshots.sh`; a test run writes them
to a temp folder (tests/support/screenshots.py).
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.elements import write_element
from tests.support.screenshots import screenshot_dir

SCREENSHOTS = screenshot_dir()


@pytest.fixture
def app_dir():
    """A fixed app path, so the pictures (which show the instance's folder) only change when the pages do."""
    folder = Path(tempfile.gettempdir()) / "element-studio-screenshots" / "support-app"
    shutil.rmtree(folder.parent, ignore_errors=True)
    folder.mkdir(parents=True)
    yield folder
    shutil.rmtree(folder.parent, ignore_errors=True)


@pytest.fixture
def support_robot(app_dir, supervisor):
    """Two agents and a robot that needs its Client ID, the secret in the app's .env."""
    for name, title in (("helpdesk", "Helpdesk"), ("salesDesk", "Sales desk")):
        write_element(app_dir, f"aiagents.{name}", {"title": title, "type": "aiagents.knowledgeBaseType", "backendBundleEntry": "."},
                      {"sources": ["faq.json"]})
    write_element(app_dir, "imRobots.supportBot", {"title": "Support robot", "type": "imRobots.dingTalkStreamType", "backendBundleEntry": ".",
                                                   "backendLoadTime": "afterAppInit", "description": "Answers the #support group from the helpdesk agent."},
                  {"agent": "aiagents.helpdesk", "clientId": "ding-demo-app", "clientSecret": "{{DINGTALK_CLIENT_SECRET}}", "replyMode": "card"})
    (app_dir / ".env").write_text("DINGTALK_CLIENT_SECRET=demo-secret-for-screenshots\n")
    supervisor.app.refresh()
    return "imRobots.supportBot"


def test_screenshots_of_home_and_an_instance_form(browser, live_server, support_robot):
    for width, height, suffix in ((1280, 1500, ""), (390, 1700, "-phone")):
        context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
        tab = context.new_page()
        tab.set_viewport_size({"width": width, "height": 760})
        tab.goto(live_server + "/")
        tab.screenshot(path=str(SCREENSHOTS / f"home{suffix}.png"), full_page=True)
        tab.set_viewport_size({"width": width, "height": height})
        tab.goto(f"{live_server}/instances/{support_robot}")
        tab.get_by_label("Client ID").fill("")
        tab.get_by_role("button", name="Review & save").click()
        expect(tab.locator("#summary")).to_contain_text("Client ID")
        expect(tab.locator(".panel--review")).to_be_visible()
        tab.wait_for_timeout(300)  # let htmx's scroll to the review panel finish, then show the top
        tab.evaluate("window.scrollTo(0, 0)")
        tab.screenshot(path=str(SCREENSHOTS / f"instance-form{suffix}.png"))
        context.close()
    for file in ("home.png", "instance-form.png", "home-phone.png", "instance-form-phone.png"):
        assert (SCREENSHOTS / file).stat().st_size > 10_000


def test_screenshots_in_chinese(browser, live_server, support_robot):
    """The home page and a form for a Chinese browser (the README.zh-CN's pictures; CJK fonts from install-chromium.sh)."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 1500}, device_scale_factor=1)
    tab = context.new_page()
    tab.set_viewport_size({"width": 1280, "height": 760})
    tab.goto(live_server + "/")
    expect(tab.locator("html")).to_have_attribute("lang", "zh-CN")
    tab.screenshot(path=str(SCREENSHOTS / "home.zh-CN.png"), full_page=True)
    tab.set_viewport_size({"width": 1280, "height": 1500})
    tab.goto(f"{live_server}/instances/{support_robot}")
    tab.get_by_label("Client ID").fill("")
    tab.get_by_role("button", name="检查并保存").click()
    expect(tab.locator("#summary")).to_contain_text("Client ID")
    expect(tab.locator(".panel--review")).to_be_visible()
    tab.wait_for_timeout(300)
    tab.evaluate("window.scrollTo(0, 0)")
    tab.screenshot(path=str(SCREENSHOTS / "instance-form.zh-CN.png"))
    context.close()
