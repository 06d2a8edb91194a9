"""The Playground says what stops a chat and how to fix it; it works for the sample app as shipped."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from element_studio.elements.imRobots.Meta.feedback_store import feedback

from tests.support.robots import FAST
from tests.support.elements import copy_fixture, copy_sample_app, instance, write_element
from tests.support.waiting import wait_until

ROBOT = "imRobots.madeUp"
MADE_UP_SECRET = "made-up-secret-9f3e2a"


pytestmark = pytest.mark.usefixtures("sim")


@pytest.fixture
def made_up_robot(simulators, app_dir, supervisor, sim):
    """A new robot with credentials the simulator has never seen."""
    copy_fixture("scripted_agent", app_dir)
    write_element(app_dir, "aiagents.scripted", instance("aiagents.scriptedType", at_start=False), {"chunks": ["Hi"]})
    write_element(app_dir, ROBOT, instance("imRobots.dingTalkStreamType", title="Made-up robot", at_start=False),
                  {"agent": "aiagents.scripted", "clientId": "ding-made-up", "clientSecret": MADE_UP_SECRET, "advanced": FAST})
    supervisor.app.refresh()
    simulators["imRobots.dingTalkStreamType"] = sim
    return ROBOT


def composer(session, name: str) -> str:
    page = session.get(f"/instances/{name}/playground").get_data(as_text=True)
    return re.search(r'<(form|div) id="pg-composer".*?</\1>', page, re.S).group(0)


def wait_connected(supervisor, name: str, sim) -> None:
    supervisor.start(name)
    wait_until(lambda: supervisor.status(name).detail.get("connection") == "connected", timeout=5)


def test_without_the_simulator_the_tab_says_how_to_get_it(simulators, session, made_up_robot, supervisor):
    simulators.clear()
    notice = composer(session, ROBOT)
    assert "Robots here connect to the real platform" in notice and "--simulators on" in notice
    assert "hx-trigger" not in notice and "<textarea" not in notice


def test_unknown_credentials_are_registered_with_the_simulator_in_one_click_without_sending_the_secret(session, made_up_robot, sim, supervisor):
    notice = composer(session, ROBOT)
    assert "does not know" in notice and "ding-made-up" in notice and "Register these credentials with the simulator" in notice
    registered = session.post(f"/instances/{ROBOT}/playground/register")
    assert registered.status_code == 200 and MADE_UP_SECRET not in registered.get_data(as_text=True)
    assert sim.sim.apps.authenticate("ding-made-up", MADE_UP_SECRET) is not None
    stopped = registered.get_data(as_text=True)
    assert "The robot is stopped" in stopped and f'href="/instances/{ROBOT}"' in stopped
    assert 'hx-trigger="every 1500ms"' in stopped  # the notice turns into the chat once the robot runs
    wait_connected(supervisor, ROBOT, sim)
    assert '<textarea id="pg-text"' in session.get(f"/instances/{ROBOT}/playground/composer").get_data(as_text=True)


def test_a_clientid_the_simulator_knows_with_another_secret_can_be_rekeyed(session, made_up_robot, sim):
    sim.register_app("ding-made-up", "someone-elses-secret")
    assert "knows another secret for" in composer(session, ROBOT)
    session.post(f"/instances/{ROBOT}/playground/register")
    assert sim.sim.apps.authenticate("ding-made-up", MADE_UP_SECRET) is not None


def test_a_question_to_a_stopped_robot_gets_the_notice_instead(session, made_up_robot, sim):
    sim.register_app("ding-made-up", MADE_UP_SECRET)
    answer = session.post(f"/instances/{ROBOT}/playground/messages", {"text": "Anyone there?"})
    assert answer.headers["HX-Retarget"] == "#pg-composer" and "The robot is stopped" in answer.get_data(as_text=True)
    assert sim.messages("ding-made-up") == []


def test_a_service_of_another_family_has_no_playground_or_feedback(session, supervisor, app_dir):
    copy_fixture("probe", app_dir)
    write_element(app_dir, "probes.one", instance("probes.tcpProbeType", at_start=False), {"host": "127.0.0.1", "port": 1})
    supervisor.app.refresh()
    page = session.get("/instances/probes.one").get_data(as_text=True)
    assert ">Logs<" in page and ">Playground<" not in page and ">Feedback</a>" not in page.split('class="tabs"')[1].split("</nav>")[0]
    assert session.get("/instances/probes.one/playground").status_code == 404
    assert session.get("/instances/probes.one/feedback").status_code == 404


def test_presses_and_turns_of_other_conversations_are_refused(session, made_up_robot, sim, supervisor):
    sim.register_app("ding-made-up", MADE_UP_SECRET)
    wait_connected(supervisor, ROBOT, sim)
    msg_id = sim.send_message("ding-made-up", "From someone else", sender_staff_id="other")
    card = sim.wait_for_card(msg_id)
    assert session.get(f"/instances/{ROBOT}/playground/turn", query_string={"msg": msg_id}).status_code == 404
    assert session.post(f"/instances/{ROBOT}/playground/press", {"card": card.card_biz_id, "button": "x"}).status_code == 404


def poll_turn(session, name: str, msg_id: str, until: str, timeout: float = 10.0) -> str:
    """The turn's fragment once it shows `until`, polled like the page's htmx does."""
    def turn() -> str:
        return session.get(f"/instances/{name}/playground/turn", query_string={"msg": msg_id}).get_data(as_text=True)

    return wait_until(lambda: next((html for html in [turn()] if until in html), None), timeout, message=lambda: turn())


def test_the_sample_app_answers_in_the_playground_with_no_credentials(simulators, session, app_dir, supervisor, sim):
    """The README's run command: the sample robot, its helpdesk agent and the demo credentials in .env."""
    copy_sample_app(app_dir)
    supervisor.app.refresh()
    simulators["imRobots.dingTalkStreamType"] = sim
    robot = "imRobots.dingTalkDemo"
    wait_connected(supervisor, robot, sim)
    turn = session.post(f"/instances/{robot}/playground/messages", {"text": "How do I add a robot?", "mode": "single", "nick": "Ann"})
    msg_id = re.search(r'data-msg-id="([^"]+)"', turn.get_data(as_text=True)).group(1)
    final = poll_turn(session, robot, msg_id, 'data-state="final"')
    assert "hx-trigger" not in final.split(">", 1)[0]  # the page stops polling at the final card
    assert "😄 Very helpful" in final and "Final card" in final
    button, card = re.search(r"hx-vals='\{\"button\": \"(feedback_veryHelpful_\w+)\", \"card\": \"(\w+)\"\}'", final).groups()
    pressed = session.post(f"/instances/{robot}/playground/press", {"card": card, "button": button}).get_data(as_text=True)
    assert "Recorded in the feedback table" in pressed or "Sending your rating" in pressed
    poll_turn(session, robot, msg_id, "Recorded in the feedback table: 😄 Very helpful")
    with supervisor.app.storage.connect() as conn:
        rows = [tuple(r) for r in conn.execute(select(feedback.c.rating, feedback.c.question).where(feedback.c.robot == robot))]
    assert rows == [("veryHelpful", "How do I add a robot?")]


def test_a_markdown_mode_robot_answers_with_a_rendered_webhook_reply(simulators, session, app_dir, supervisor, sim):
    copy_fixture("scripted_agent", app_dir)
    write_element(app_dir, "aiagents.scripted", instance("aiagents.scriptedType", at_start=False),
                  {"chunks": ["**Bold** answer", " <img src=x onerror=alert(1)>"]})
    write_element(app_dir, "imRobots.mdBot", instance("imRobots.dingTalkStreamType", title="Markdown robot", at_start=False),
                  {"agent": "aiagents.scripted", "clientId": "dingdemo", "clientSecret": "demo-secret", "replyMode": "markdown", "advanced": FAST})
    supervisor.app.refresh()
    simulators["imRobots.dingTalkStreamType"] = sim
    wait_connected(supervisor, "imRobots.mdBot", sim)
    turn = session.post("/instances/imRobots.mdBot/playground/messages", {"text": "Markdown please"}).get_data(as_text=True)
    msg_id = re.search(r'data-msg-id="([^"]+)"', turn).group(1)
    answer = poll_turn(session, "imRobots.mdBot", msg_id, 'data-state="answered"')
    assert "<strong>Bold</strong> answer" in answer and "markdown reply" in answer
    assert "onerror" not in answer and "<img" not in answer and "dt-card" not in answer


def test_an_answer_that_failed_says_why_in_the_playground(simulators, session, app_dir, supervisor, sim):
    copy_fixture("scripted_agent", app_dir)
    write_element(app_dir, "aiagents.scripted", instance("aiagents.scriptedType", at_start=False),
                  {"chunks": ["Half an answer"], "raiseAfter": 1, "userMessage": ""})
    write_element(app_dir, "imRobots.failBot", instance("imRobots.dingTalkStreamType", title="Failing robot", at_start=False),
                  {"agent": "aiagents.scripted", "clientId": "dingdemo", "clientSecret": "demo-secret", "advanced": FAST})
    supervisor.app.refresh()
    simulators["imRobots.dingTalkStreamType"] = sim
    wait_connected(supervisor, "imRobots.failBot", sim)
    turn = session.post("/instances/imRobots.failBot/playground/messages", {"text": "Will this work?"}).get_data(as_text=True)
    msg_id = re.search(r'data-msg-id="([^"]+)"', turn).group(1)
    ended = poll_turn(session, "imRobots.failBot", msg_id, 'data-state="failed"')
    assert "Why it ended: agent aiagents.scripted failed on msgId" in ended
    assert "ScriptedAgentError: scripted failure at the end" in ended
