"""The Playground draws DingTalk AI cards (replyMode aiCard) as they stream, in real headless
Chromium: typed out update by update, then finished with the feedback buttons, whose press
comes back over the stream and lands in the feedback table."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from element_studio.elements.imRobots.Meta.feedback_store import feedback

from tests.support.elements import copy_fixture, instance, write_element
from tests.support.robots import FAST
from tests.support.waiting import wait_until

ROBOT = "imRobots.aiBot"
ANSWER = ["AI cards ", "type the answer ", "as it **streams**, ", "then finish ", "with buttons."]

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("sim")]


@pytest.fixture
def ai_robot(simulators, sim, app_dir, supervisor):
    copy_fixture("scripted_agent", app_dir)
    write_element(app_dir, "aiagents.slow", instance("aiagents.scriptedType", at_start=False), {"chunks": ANSWER, "delaySeconds": 0.4})
    write_element(app_dir, ROBOT, instance("imRobots.dingTalkStreamType", title="AI card robot"),
                  {"agent": "aiagents.slow", "clientId": "dingdemo", "clientSecret": "demo-secret", "replyMode": "aiCard",
                   "updateIntervalSeconds": 0, "updateEveryChunks": 1, "advanced": FAST})
    supervisor.app.refresh()
    simulators["imRobots.dingTalkStreamType"] = sim
    supervisor.start(ROBOT)
    wait_until(lambda: supervisor.status(ROBOT).detail.get("connection") == "connected", timeout=5)
    return ROBOT


def test_an_ai_card_streams_in_the_playground_and_finishes_with_its_feedback_buttons(ai_robot, page, live_server, sim, supervisor):
    page.goto(f"{live_server}/instances/{ROBOT}/playground")
    page.get_by_text("Single chat").click()
    page.get_by_label("Question").fill("How do AI cards look?")
    page.get_by_label("Question").press("Enter")

    card = page.locator(".dt-card")
    expect(card).to_have_attribute("data-state", "streaming")
    expect(card.locator(".dt-md")).to_contain_text("AI cards")
    streamed = card.locator(".dt-md").inner_text()
    expect(card).to_have_attribute("data-state", "final", timeout=10_000)
    expect(card.locator(".dt-md")).to_have_text("AI cards type the answer as it streams, then finish with buttons.")
    expect(card.locator(".dt-md strong")).to_have_text("streams")
    assert streamed and len(streamed) < len(card.locator(".dt-md").inner_text())
    [record] = sim.cards(client_id="dingdemo")
    assert record.callback_type == "STREAM" and any(v.kind == "stream" for v in record.versions)
    assert record.versions[-1].card_data["cardParamMap"]["flowStatus"] == "3"

    card.get_by_role("button", name="😊 Helpful").click()
    expect(page.locator(".pg__recorded")).to_contain_text("Recorded in the feedback table: 😊 Helpful")
    expect(card.get_by_role("button", name="😊 Helpful")).to_have_attribute("aria-pressed", "true")
    with supervisor.app.storage.connect() as conn:
        assert [r.rating for r in conn.execute(select(feedback).where(feedback.c.robot == ROBOT))] == ["helpful"]
