"""The Feedback pages: 14 days as a chart, totals, rated answers (not helpful first), CSV export."""
from __future__ import annotations

import csv
import io
import re
import time

import pytest
from sqlalchemy import insert, update

from element_studio.elements.imRobots.Meta.pages.feedback import bar_chart
from element_studio.elements.imRobots.Meta.feedback_store import Feedback, feedback, store_feedback
from element_studio.elements.imRobots.Meta.message_log import message_log
from tests.support.elements import instance, write_element

ROBOT = "imRobots.deskBot"


@pytest.fixture
def robot(app_dir, supervisor):
    write_element(app_dir, "aiagents.helpdesk", instance("aiagents.knowledgeBaseType", title="Helpdesk", at_start=False), {"sources": ["faq.json"]})
    write_element(app_dir, ROBOT, instance("imRobots.dingTalkStreamType", title="Desk robot", at_start=False),
                  {"agent": "aiagents.helpdesk", "clientId": "ding-desk", "clientSecret": "desk-secret-value"})
    supervisor.app.refresh()
    return ROBOT


def rate(storage, msg_id: str, rating: str, question: str, answer: str, days_ago: float = 0) -> None:
    """A press stored the way the robot stores it: the message log row, then the feedback row."""
    with storage.connect() as conn:
        conn.execute(insert(message_log).values(robot=ROBOT, msg_id=msg_id, conversation_id="cid1", sender="u1", question=question,
                                                answer=answer, outcome="answered", received_at=time.time()))
    assert store_feedback(storage, Feedback(ROBOT, msg_id, "u1", rating, "cid1"))
    if days_ago:
        with storage.connect() as conn:
            conn.execute(update(feedback).where(feedback.c.message_id == msg_id).values(created_at=feedback.c.created_at - days_ago * 86_400))


def test_bar_chart_stacks_each_days_ratings_best_at_the_bottom():
    chart = bar_chart([("2025-03-01", {"veryHelpful": 2, "notHelpful": 2}), ("2025-03-02", {}), ("2025-03-03", {"helpful": 1})], bar_height=100)
    first, empty, third = chart.bars
    assert chart.top == 4 and chart.total == 5 and [b.label for b in chart.bars] == ["03-01", "03-02", "03-03"]
    assert [(s.rating, s.y, s.height) for s in first.segments] == [("veryHelpful", 50.0, 50.0), ("notHelpful", 0.0, 50.0)]
    assert empty.segments == () and empty.total == 0
    assert [(s.rating, s.y, s.height) for s in third.segments] == [("helpful", 75.0, 25.0)]
    assert first.x < empty.x < third.x


def test_the_feedback_tab_shows_totals_a_chart_and_the_not_helpful_answers_first(session, robot, supervisor):
    storage = supervisor.app.storage
    rate(storage, "m1", "veryHelpful", "How do I add a robot?", "Press **New**.", days_ago=3)
    rate(storage, "m2", "notHelpful", "Does it speak WeCom?", "No <script>alert(1)</script>", days_ago=1)
    rate(storage, "m3", "helpful", "Where are logs?", "In the Logs tab.")
    page = session.get(f"/instances/{ROBOT}/feedback").get_data(as_text=True)
    assert 'aria-current="page">Feedback</a>' in page
    totals = dict(re.findall(r'data-rating="(\w+)">(\d+)<', page))
    assert totals == {"veryHelpful": "1", "helpful": "1", "somewhatHelpful": "0", "notHelpful": "1"}
    assert page.count('<g class="fb__bar">') == 14 and page.count('<rect class="fb__seg--') == 3
    questions = re.findall(r'<p class="fb__question">([^<]+)</p>', page)
    assert questions[0] == "Does it speak WeCom?" and set(questions) == {"How do I add a robot?", "Does it speak WeCom?", "Where are logs?"}
    assert "<strong>New</strong>" in page and "<script>alert" not in page
    assert 'href="/instances/imRobots.deskBot/feedback.csv"' in page


def test_the_csv_export_is_a_download_of_every_rating(session, robot, supervisor):
    rate(supervisor.app.storage, "m1", "veryHelpful", "How do I add a robot?", "Press New.")
    response = session.get(f"/instances/{ROBOT}/feedback.csv")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{ROBOT}-feedback.csv"'
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).removeprefix("\ufeff"))))
    assert [(r["rating"], r["question"], r["answer"], r["message_id"]) for r in rows] == [
        ("veryHelpful", "How do I add a robot?", "Press New.", "m1")]


def test_the_csv_opens_in_a_spreadsheet_with_chinese_intact_and_no_cell_runs_as_a_formula(session, robot, supervisor):
    rate(supervisor.app.storage, "m1", "notHelpful", '=HYPERLINK("http://evil.example","点我")', "机器人怎么接入钉钉？")
    response = session.get(f"/instances/{ROBOT}/feedback.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.get_data().startswith("\ufefftime_utc,".encode())  # the UTF-8 byte order mark Excel needs
    row = next(csv.DictReader(io.StringIO(response.get_data(as_text=True).removeprefix("\ufeff"))))
    assert row["question"] == '\'=HYPERLINK("http://evil.example","点我")' and row["answer"] == "机器人怎么接入钉钉？"


def test_the_overview_lists_every_robot_from_the_top_bar(session, robot, supervisor):
    rate(supervisor.app.storage, "m1", "notHelpful", "Q", "A")
    assert 'href="/feedback"' in session.get("/").get_data(as_text=True)
    page = session.get("/feedback").get_data(as_text=True)
    row = re.search(r"<tr>\s*<th scope=\"row\"><a href=\"/instances/imRobots.deskBot/feedback\">Desk robot</a>.*?</tr>", page, re.S).group(0)
    assert re.findall(r"<td>(?:<strong>)?(\d+)", row) == ["0", "0", "0", "1", "1"]


def test_a_robot_without_ratings_points_to_the_playground(session, robot):
    page = session.get(f"/instances/{ROBOT}/feedback").get_data(as_text=True)
    assert "No ratings yet" in page and f'href="/instances/{ROBOT}/playground"' in page
