"""Renames and references in real headless Chromium: a rename keeps the history and offers to point
the instances that refer to the renamed one at its new name; pickers offer only what fits and a
review refuses a reference that names nothing."""
from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from element_studio.elements.imRobots.Meta.feedback_store import Feedback, store_feedback
from element_studio.elements.imRobots.Meta.message_log import log_received
from tests.support.elements import write_element

pytestmark = pytest.mark.browser
ROBOT_TYPE = "imRobots.dingTalkStreamType"
LLM = {"baseUrl": "http://127.0.0.1:9/v1", "apiKey": "", "model": "test-model"}


@pytest.fixture
def agents_and_robot(app_dir, supervisor):
    """A knowledge base, two OpenAI-compatible agents (one using the knowledge base) and a robot with a rated answer."""
    write_element(app_dir, "aiagents.helpdesk", {"title": "Helpdesk", "type": "aiagents.knowledgeBaseType", "backendBundleEntry": "."},
                  {"sources": []})
    write_element(app_dir, "aiagents.gpt", {"title": "GPT", "type": "aiagents.openaiCompatibleType", "backendBundleEntry": "."},
                  {**LLM, "knowledgeBase": "aiagents.helpdesk"})
    write_element(app_dir, "aiagents.gpt2", {"title": "GPT two", "type": "aiagents.openaiCompatibleType", "backendBundleEntry": "."}, LLM)
    write_element(app_dir, "imRobots.bot", {"title": "Bot", "type": ROBOT_TYPE, "backendBundleEntry": "."},
                  {"agent": "aiagents.helpdesk", "clientId": "ding-1", "clientSecret": "secret-of-the-bot-1"})
    app = supervisor.app
    app.refresh()

    class Incoming:
        msg_id, conversation_id, sender, question = "m1", "c1", "ann", "Where is the manual?"

    log_received(app.storage, "imRobots.bot", Incoming())
    store_feedback(app.storage, Feedback("imRobots.bot", "m1", "ann", "notHelpful"))
    return app_dir


def config_of(app_dir, name: str) -> dict:
    return json.loads(app_dir.joinpath(*name.split("."), "config.json").read_text())


def test_a_rename_offers_to_repoint_the_references_and_keeps_the_history(page, live_server, agents_and_robot):
    app_dir = agents_and_robot
    page.goto(live_server + "/instances/aiagents.helpdesk")
    page.get_by_label("Name", exact=True).fill("desk")
    page.get_by_role("button", name="Rename", exact=True).click()
    expect(page.locator("h1")).to_have_text("Rename aiagents.helpdesk to aiagents.desk?")
    expect(page.get_by_role("checkbox", name="imRobots.bot")).to_be_checked()
    expect(page.get_by_role("checkbox", name="aiagents.gpt")).to_be_checked()
    page.get_by_role("checkbox", name="aiagents.gpt").uncheck()
    page.get_by_role("button", name="Rename to aiagents.desk").click()
    page.wait_for_url(re.compile(r"/instances/aiagents\.desk$"))
    expect(page.locator(".toast--success")).to_contain_text("imRobots.bot now names aiagents.desk")
    expect(page.locator(".toast--success")).to_contain_text("Still naming aiagents.helpdesk: aiagents.gpt")
    assert config_of(app_dir, "imRobots.bot")["agent"] == "aiagents.desk"
    assert config_of(app_dir, "aiagents.gpt")["knowledgeBase"] == "aiagents.helpdesk"

    page.goto(live_server + "/instances/imRobots.bot")
    page.get_by_label("Name", exact=True).fill("support")
    page.get_by_role("button", name="Rename", exact=True).click()
    page.wait_for_url(re.compile(r"/instances/imRobots\.support$"))
    expect(page.locator(".toast--success")).to_contain_text("Its history came along: 1 logged message, 1 rating.")
    page.get_by_role("navigation", name="Instance").get_by_role("link", name="Feedback").click()
    expect(page.locator("main")).to_contain_text("Where is the manual?")
    page.goto(live_server + "/instances/imRobots.bot/feedback")  # a bookmark of the old name
    assert page.url.endswith("/instances/imRobots.support/feedback")


def test_pickers_offer_only_what_fits_and_a_review_refuses_a_reference_to_nothing(page, live_server, agents_and_robot):
    app_dir = agents_and_robot
    page.goto(live_server + "/instances/aiagents.gpt2")
    options = page.get_by_label("Knowledge base").locator("option").evaluate_all("os => os.map(o => o.value)")
    assert options == ["", "aiagents.helpdesk"]  # neither itself nor another OpenAI agent
    page.goto(live_server + "/instances/imRobots.bot")
    options = page.get_by_label("Agent").locator("option").evaluate_all("os => os.map(o => o.value)")
    assert options == ["", "aiagents.gpt", "aiagents.gpt2", "aiagents.helpdesk"]

    write_element(app_dir, "aiagents.gpt2", {"title": "GPT two", "type": "aiagents.openaiCompatibleType", "backendBundleEntry": "."},
                  {**LLM, "knowledgeBase": "aiagents.gpt"})  # changed on disk: another OpenAI agent
    page.goto(live_server + "/instances/aiagents.gpt2")
    page.get_by_role("button", name="Review & save").click()
    expect(page.locator("#summary")).to_contain_text("aiagents.gpt is an instance of aiagents.openaiCompatibleType, not of aiagents.knowledgeBaseType")
    expect(page.get_by_role("button", name=re.compile(r"^Save"))).to_have_count(0)
    page.get_by_label("Knowledge base").select_option("aiagents.helpdesk")
    page.get_by_role("button", name="Review & save").click()
    page.get_by_role("button", name=re.compile(r"^Save")).click()
    expect(page.locator(".toast--success")).to_contain_text("Saved")
    assert config_of(app_dir, "aiagents.gpt2")["knowledgeBase"] == "aiagents.helpdesk"
