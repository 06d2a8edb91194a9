"""The Playground in real headless Chromium: ask a running robot through the simulator, watch the
card stream, press "Very helpful", and find the rating on the Feedback page and in its CSV."""
from __future__ import annotations

import csv
import io
import shutil
import tempfile
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import insert, select

from element_studio.elements.imRobots.Meta.feedback_store import feedback
from element_studio.elements.imRobots.Meta.message_log import message_log

from tests.support.robots import FAST
from tests.support.elements import copy_fixture, instance, write_element
from tests.support.screenshots import screenshot_dir
from tests.support.waiting import wait_until

SCREENSHOTS = screenshot_dir()
ROBOT = "imRobots.helpBot"
QUESTION = "How do I add a robot?"
ANSWER = [
    "To add a robot, open **Elements** and press **New** under *DingTalk robot*.",
    "\n\n1. Pick the agent that answers (e.g. `aiagents.helpdesk`).",
    "\n2. Paste the app's Client ID and Client Secret from the DingTalk console.",
    "\n3. Save, then start it: the chip turns *Connected*.",
    "\n\nMore in the [DingTalk docs](https://open.dingtalk.com/document/).",
]
PAST_RATINGS = [  # (days ago, rating, question): earlier presses, so the chart has a history
    (9, "veryHelpful", "Where do robot logs go?"), (8, "helpful", "Can one agent serve two robots?"),
    (6, "notHelpful", "Does it work with WeCom?"), (6, "veryHelpful", "How do I change the thinking text?"),
    (4, "somewhatHelpful", "What is a Type?"), (3, "helpful", "How do I use a proxy?"),
    (2, "veryHelpful", "Where is the feedback stored?"), (1, "helpful", "How do I stop a robot?"),
]


pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("sim")]


@pytest.fixture
def app_dir():
    """A fixed app path, so the pictures (which show the instance's folder) only change with the pages."""
    folder = Path(tempfile.gettempdir()) / "element-studio-playground" / "support-app"
    shutil.rmtree(folder.parent, ignore_errors=True)
    folder.mkdir(parents=True)
    yield folder
    shutil.rmtree(folder.parent, ignore_errors=True)


@pytest.fixture
def robot(simulators, sim, app_dir, supervisor):
    """A running robot answering with the scripted agent, which streams its chunks slowly."""
    copy_fixture("scripted_agent", app_dir)
    write_element(app_dir, "aiagents.helpdesk", instance("aiagents.scriptedType", title="Helpdesk", at_start=False),
                  {"chunks": ANSWER, "delaySeconds": 0.6})  # slow enough to see it stream on a busy machine
    write_element(app_dir, ROBOT, {**instance("imRobots.dingTalkStreamType", title="Help robot"),
                                   "description": "Answers the #support group from the helpdesk agent."},
                  {"agent": "aiagents.helpdesk", "clientId": "dingdemo", "clientSecret": "{{DINGTALK_CLIENT_SECRET}}",
                   "updateIntervalSeconds": 0, "updateEveryChunks": 1, "advanced": FAST})
    (app_dir / ".env").write_text("DINGTALK_CLIENT_SECRET=demo-secret\n")
    supervisor.app.refresh()
    simulators["imRobots.dingTalkStreamType"] = sim
    supervisor.start(ROBOT)
    wait_until(lambda: supervisor.status(ROBOT).detail.get("connection") == "connected", timeout=5)
    return ROBOT


def seed_past_ratings(storage) -> None:
    """Ratings from other days, written as the robot writes them (message log + feedback)."""
    now = time.time()
    with storage.connect() as conn:
        for index, (days, rating, question) in enumerate(PAST_RATINGS):
            at, msg_id, answer = now - days * 86_400, f"past{index}", f"About *{question}*: see the docs."
            conn.execute(insert(message_log).values(robot=ROBOT, msg_id=msg_id, conversation_id="cidGroup", sender="staff7", question=question,
                                                    answer=answer, outcome="answered", received_at=at, answered_at=at))
            conn.execute(insert(feedback).values(robot=ROBOT, conversation_id="cidGroup", user_id="staff7", message_id=msg_id,
                                                 question=question, answer=answer, rating=rating, created_at=at))


def shoot(page, name: str) -> None:
    """docs/screenshots/<name>.png at laptop width and <name>-phone.png at phone width (one screenful each)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, height, suffix in ((1280, 1060, ""), (390, 1100, "-phone")):
        page.set_viewport_size({"width": width, "height": height})
        page.reload()
        page.wait_for_timeout(150)
        page.screenshot(path=str(SCREENSHOTS / f"{name}{suffix}.png"))
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_question_streams_into_a_card_and_very_helpful_lands_on_the_feedback_page(robot, page, live_server, supervisor):
    page.goto(f"{live_server}/instances/{ROBOT}/playground")
    expect(page.get_by_role("link", name="Playground")).to_have_attribute("aria-current", "page")
    page.get_by_label("Sender").fill("Mei")
    page.get_by_label("Question").fill(QUESTION)
    page.get_by_label("Question").press("Enter")

    card = page.locator(".dt-card")
    expect(page.locator(".bubble--me")).to_have_text(f"@Help robot {QUESTION}")
    expect(card).to_have_attribute("data-state", "streaming")  # an intermediate version, before the final one
    streamed = card.locator(".dt-md").inner_text()
    expect(card).to_have_attribute("data-state", "final", timeout=10_000)
    expect(card.locator(".dt-card__head")).to_have_text(QUESTION)
    expect(card).to_contain_text("Save, then start it: the chip turns Connected.")
    assert streamed and len(streamed) < len(card.locator(".dt-md").inner_text())
    expect(card.locator(".dt-md strong").first).to_have_text("Elements")
    expect(card.get_by_role("link", name="DingTalk docs")).to_have_attribute("rel", "noopener noreferrer nofollow")
    expect(page.get_by_label("Question")).to_have_value("")

    card.get_by_role("button", name="😄 Very helpful").click()
    expect(page.locator(".pg__recorded")).to_contain_text("Recorded in the feedback table: 😄 Very helpful")
    expect(card.get_by_role("button", name="😄 Very helpful")).to_have_attribute("aria-pressed", "true")
    with supervisor.app.storage.connect() as conn:
        rows = [r._asdict() for r in conn.execute(select(feedback).where(feedback.c.robot == ROBOT))]
    assert [(r["rating"], r["question"]) for r in rows] == [("veryHelpful", QUESTION)]
    assert rows[0]["answer"] == "".join(ANSWER) and rows[0]["user_id"].startswith("playground-")
    shoot(page, "playground")

    page.get_by_text("Single chat").click()
    page.get_by_label("Question").fill("And how do I stop it?")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".turn")).to_have_count(2)
    second = page.locator(".turn").nth(1)
    expect(second.locator(".bubble--me")).to_have_text("And how do I stop it?")  # no @mention in a single chat
    expect(second.locator(".dt-card")).to_have_attribute("data-state", "final", timeout=10_000)
    page.reload()
    expect(page.locator(".turn")).to_have_count(2)
    expect(page.locator(".pg__recorded")).to_have_count(1)

    seed_past_ratings(supervisor.app.storage)
    page.get_by_role("link", name="Feedback", exact=True).last.click()
    expect(page.locator("h2#fb-title")).to_have_text("Feedback")
    expect(page.locator('[data-rating="veryHelpful"]')).to_have_text("4")
    expect(page.locator(".fb__item").first.locator(".rating")).to_have_text("Not helpful")
    newest_good = page.locator(".fb__item").filter(has_text=QUESTION)
    expect(newest_good.locator(".rating")).to_have_text("Very helpful")
    expect(newest_good).to_contain_text("Pick the agent that answers")
    expect(page.locator(".fb__bar rect")).to_have_count(len(PAST_RATINGS) + 1)
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    assert download.value.suggested_filename == f"{ROBOT}-feedback.csv"
    exported = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert {"rating": "veryHelpful", "question": QUESTION} in [{k: r[k] for k in ("rating", "question")} for r in exported]
    shoot(page, "feedback")
    for name in ("playground", "playground-phone", "feedback", "feedback-phone"):
        assert (SCREENSHOTS / f"{name}.png").stat().st_size > 10_000


def test_a_chinese_reader_asks_in_chinese_gets_chinese_card_chrome_and_a_chinese_feedback_page(robot, browser, live_server, supervisor):
    """The playground and the feedback page for a Chinese browser (README.zh-CN's pictures)."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 1060}, device_scale_factor=1)
    tab = context.new_page()
    tab.set_default_timeout(8000)
    tab.goto(f"{live_server}/instances/{ROBOT}/playground")
    expect(tab.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(tab.get_by_role("link", name="调试台")).to_have_attribute("aria-current", "page")
    tab.get_by_label("发送者").fill("小梅")
    tab.get_by_label("问题").fill("怎么添加机器人？")
    tab.get_by_label("问题").press("Enter")
    card = tab.locator(".dt-card")
    expect(card).to_have_attribute("data-state", "final", timeout=10_000)
    card.get_by_role("button", name="😄 非常有帮助").click()
    expect(tab.locator(".pg__recorded")).to_contain_text("已记录到反馈表：😄 非常有帮助")
    tab.wait_for_timeout(150)
    tab.screenshot(path=str(SCREENSHOTS / "playground.zh-CN.png"))

    seed_past_ratings(supervisor.app.storage)
    tab.get_by_role("link", name="反馈", exact=True).last.click()
    expect(tab.locator("h2#fb-title")).to_have_text("反馈")
    expect(tab.locator(".fb__item").filter(has_text="怎么添加机器人？").locator(".rating")).to_have_text("非常有帮助")
    tab.wait_for_timeout(150)
    tab.screenshot(path=str(SCREENSHOTS / "feedback.zh-CN.png"))
    context.close()
    for name in ("playground.zh-CN", "feedback.zh-CN"):
        assert (SCREENSHOTS / f"{name}.png").stat().st_size > 10_000
