"""The sample app's Feishu robot in the family's Playground: a question in the group (an
@mention) gets a streamed CardKit card with feedback buttons, and a press lands on the Feedback
page, through the built-in Feishu simulator."""
from __future__ import annotations

import re

import pytest

from element_studio.runtime.supervisor import Supervisor
from tests.support.elements import copy_sample_app
from tests.support.waiting import wait_until

from .test_playground_states import poll_turn, wait_connected

ROBOT = "imRobots.feishuDemo"
FEISHU = "imRobots.feishuType"


@pytest.fixture
def supervisor(app, feishu_sim):
    """The supervisor as `serve` builds it offline: the Feishu Type reaches its simulator."""
    sup = Supervisor(app, offline_endpoints={FEISHU: feishu_sim.base_url})
    yield sup
    sup.shutdown(timeout=5)


def test_the_sample_feishu_robot_answers_in_the_playground_with_a_card_and_buttons(simulators, session, app_dir, supervisor, feishu_sim):
    copy_sample_app(app_dir)
    supervisor.app.refresh()
    simulators[FEISHU] = feishu_sim
    wait_connected(supervisor, ROBOT, feishu_sim)
    turn = session.post(f"/instances/{ROBOT}/playground/messages", {"text": "How do I add a robot?", "mode": "group", "nick": "Li"})
    msg_id = re.search(r'data-msg-id="([^"]+)"', turn.get_data(as_text=True)).group(1)
    final = poll_turn(session, ROBOT, msg_id, 'data-state="final"', timeout=20)
    assert "How do I add a robot?" in final and "Final card" in final
    assert all(label in final for label in ("😄 Very helpful", "😊 Helpful", "🙂 Somewhat helpful", "😅 Not helpful"))
    [card] = feishu_sim.cards(msg_id=msg_id)
    assert [v.kind for v in card.versions][0] == "create" and card.versions[-1].kind == "update"
    pressed = session.post(f"/instances/{ROBOT}/playground/press", {"card": card.card_biz_id, "button": "fb_veryHelpful"})
    assert pressed.status_code == 200
    poll_turn(session, ROBOT, msg_id, "Recorded in the feedback table: 😄 Very helpful")
    feedback = wait_until(lambda: "How do I add a robot?" in (page := session.get(f"/instances/{ROBOT}/feedback").get_data(as_text=True)) and page)
    assert "Very helpful" in feedback
    assert "demo-feishu-secret" not in final + feedback
    assert 'class="pg pg--feishu"' in session.get(f"/instances/{ROBOT}/playground").get_data(as_text=True)  # Feishu's look
