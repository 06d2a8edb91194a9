"""Renames, deletes and broken files as a person meets them: a refused action changes nothing, a
rename carries the instance's history (every owner's rows, the Logs) and its old pages lead to the
new name, a delete says what goes with it, and a config.json broken on disk is shown, not hidden."""
from __future__ import annotations

import socket

import pytest

from element_studio.elements.aiagents.chat_memory import ChatMemory
from element_studio.elements.imRobots.Meta.feedback_store import Feedback, store_feedback
from element_studio.elements.imRobots.Meta.message_log import log_received
from element_studio.runtime.logs import instance_logger
from tests.editor.html_checks import Page
from tests.support.elements import copy_fixture, write_element

ROBOT_TYPE = "imRobots.dingTalkStreamType"


@pytest.fixture
def probe(app_dir, supervisor):
    """A running probe service (a Type from outside the product, with its own table)."""
    listener = socket.create_server(("127.0.0.1", 0))
    copy_fixture("probe", app_dir)
    write_element(app_dir, "probes.one", {"title": "Probe", "type": "probes.tcpProbeType", "backendBundleEntry": "."},
                  {"host": "127.0.0.1", "port": listener.getsockname()[1], "token": "probe-token-123"})
    supervisor.app.refresh()
    assert supervisor.start("probes.one").state == "running"
    yield "probes.one"
    listener.close()


@pytest.fixture
def robot_with_history(app_dir, supervisor):
    """A robot and its agent with a message, two people's ratings and remembered turns."""
    write_element(app_dir, "aiagents.helpdesk", {"title": "Helpdesk", "type": "aiagents.knowledgeBaseType", "backendBundleEntry": "."},
                  {"sources": ["faq.json"]})
    write_element(app_dir, "imRobots.bot", {"title": "Bot", "type": ROBOT_TYPE, "backendBundleEntry": "."},
                  {"agent": "aiagents.helpdesk", "clientId": "ding-1", "clientSecret": "secret-for-the-bot-1"})
    app = supervisor.app
    app.refresh()

    class Incoming:
        msg_id, conversation_id, sender, question = "m1", "c1", "ann", "Where is the manual?"

    log_received(app.storage, "imRobots.bot", Incoming())
    for user, rating in (("ann", "notHelpful"), ("bob", "helpful")):
        store_feedback(app.storage, Feedback("imRobots.bot", "m1", user, rating))
    ChatMemory(app.storage, "aiagents.helpdesk", 5, 3600).remember("c1", "Where is the manual?", "On the shelf.")
    instance_logger("imRobots.bot").info("answered msgId m1")
    return "imRobots.bot"


def chip_of(html: str, name: str) -> dict[str, str]:
    """The attributes of the instance's first status chip on the page."""
    return next(a for tag, a in Page(html).elements if tag == "span" and a.get("data-chip") == name)


def test_a_refused_rename_or_delete_leaves_a_running_service_running(session, supervisor, probe, app_dir):
    write_element(app_dir, "probes.taken", {"title": "Taken", "type": "probes.tcpProbeType", "backendBundleEntry": "."}, {})
    supervisor.app.refresh()
    response = session.post(f"/instances/{probe}/rename", {"new_name": "taken"}, htmx=False)
    assert response.headers["Location"] == f"/instances/{probe}"
    page = session.get(f"/instances/{probe}").get_data(as_text=True)
    assert "Not renamed" in page and "already exists" in page
    assert supervisor.status(probe).state == "running" and "chip--running" in chip_of(page, probe)["class"]
    for bad in ("../../etc", "2x", "a.b"):
        session.post(f"/instances/{probe}/rename", {"new_name": bad}, htmx=False)
        assert supervisor.status(probe).state == "running"
    assert (app_dir / "probes" / "one").is_dir()


def test_a_rename_carries_the_history_of_every_owner_and_the_logs(supervisor, robot_with_history, probe, session):  # the probe's tab is mounted when the editor starts
    storage = supervisor.app.storage
    session.post(f"/instances/{probe}/rename", {"new_name": "two"}, htmx=False)
    assert "1 probe events" in session.get("/instances/probes.two").get_data(as_text=True)
    assert "connected to port" in session.get("/instances/probes.two/probe-events").get_data(as_text=True)

    response = session.post("/instances/imRobots.bot/rename", {"new_name": "desk"}, htmx=False)
    assert response.headers["Location"] == "/instances/imRobots.desk"
    page = session.get("/instances/imRobots.desk").get_data(as_text=True)
    assert "Its history came along: 1 logged message, 2 ratings." in page
    feedback = session.get("/instances/imRobots.desk/feedback").get_data(as_text=True)
    assert "Where is the manual?" in feedback
    assert "answered msgId m1" in session.get("/instances/imRobots.desk/logs/").get_data(as_text=True)
    assert storage.history_counts("imRobots.bot") == []

    late = session.post("/instances/imRobots.bot/form/changed", {"_field": "config/agent"})  # the field left by pressing Rename
    assert late.status_code == 204
    old = session.get("/instances/imRobots.bot/feedback?days=14")  # a bookmark of the old name
    assert old.status_code == 302 and old.headers["Location"] == "/instances/imRobots.desk/feedback?days=14"
    assert session.get("/instances/imRobots.bot/feedback.csv").headers["Location"] == "/instances/imRobots.desk/feedback.csv"

    session.post("/instances/aiagents.helpdesk/rename", {"new_name": "desk2", "decided": "1", "repoint": "imRobots.desk"}, htmx=False)
    assert ChatMemory(storage, "aiagents.desk2", 5, 3600).recall("c1")[-1] == {"role": "assistant", "content": "On the shelf."}


def test_a_delete_says_what_history_goes_with_it_and_takes_it(session, supervisor, robot_with_history):
    asked = session.get("/instances/imRobots.bot/delete").get_data(as_text=True)
    assert "its history: <strong class=\"confirm__history\">1 logged message, 2 ratings</strong>" in asked
    in_chinese = session.get("/instances/imRobots.bot/delete", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "以及它的历史记录：<strong class=\"confirm__history\">1 条日志消息、2 条评价</strong>" in in_chinese
    session.post("/instances/imRobots.bot/delete", htmx=False)
    assert supervisor.app.storage.history_counts("imRobots.bot") == []
    session.post("/types/imRobots.dingTalkStreamType/new", {"name": "bot"}, htmx=False)  # a new robot of the same name starts afresh
    assert "Where is the manual?" not in session.get("/instances/imRobots.bot/feedback").get_data(as_text=True)


def test_a_config_broken_on_disk_while_running_is_shown_and_the_page_keeps_its_controls(session, supervisor, probe, app_dir):
    (app_dir / "probes" / "one" / "config.json").write_text('{"host": "127.0.0.1", ')
    home = session.get("/").get_data(as_text=True)
    assert "chip--broken" in chip_of(home, probe)["class"] and "config.json" in chip_of(home, probe)["title"]
    response = session.get(f"/instances/{probe}")
    page = Page(response.get_data(as_text=True))
    assert response.status_code == 422 and "cannot be opened" in response.get_data(as_text=True)
    assert f"/instances/{probe}/logs/" in [a.get("href") for tag, a in page.elements if tag == "a"]  # the Logs tab
    assert "disabled" not in next(b for b in page.buttons if b["_text"].strip() == "Stop")
    assert supervisor.status(probe).state == "running"  # it keeps running with the settings it started with


def test_an_answer_that_fails_for_the_agent_is_one_clear_line_and_the_agents_status_says_why(world, session):
    agent = "aiagents.gpt"
    write_element(world.app_dir, agent, {"title": "GPT", "type": "aiagents.openaiCompatibleType", "backendBundleEntry": "."},
                  {"baseUrl": "http://127.0.0.1:9/v1", "apiKey": "{{UNSET_LLM_KEY}}", "model": "test-model"})
    bot = world.robot(agent)
    world.start(bot)
    world.sim.send_message("dingdemo", "Where is the manual?", sender_staff_id="ann")
    line = world.wait_log(bot, "failed on msgId")
    assert line.endswith("UnresolvedVariableError: aiagents.gpt: config.json field apiKey: variable UNSET_LLM_KEY is not set"
                         " (set it in the environment or in the app's .env file)")
    assert "Traceback" not in "\n".join(world.logs(bot))
    why = "cannot load: config.json field apiKey: variable UNSET_LLM_KEY is not set"
    home = session.get("/").get_data(as_text=True)
    assert "chip--error" in chip_of(home, agent)["class"] and chip_of(home, agent)["title"].startswith(why)
    assert why in session.get(f"/instances/{agent}/logs/").get_data(as_text=True)
