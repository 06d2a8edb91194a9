"""What the feedback page shows: daily counts, worst answers first, a CSV a spreadsheet opens."""
from __future__ import annotations

import csv
import io

from sqlalchemy import insert

from element_studio.elements.imRobots.Meta.feedback_store import counts_by_day, feedback, feedback_csv, rated_answers, totals
from element_studio.runtime.app import App

NOW = 1_800_000_000.0


def add(storage, rating, at, message_id, robot="imRobots.bot", question="q?", answer="a."):
    with storage.connect() as conn:
        conn.execute(insert(feedback).values(robot=robot, conversation_id="cid", user_id="user1", message_id=message_id,
                                             question=question, answer=answer, rating=rating, created_at=at))


def test_counts_per_day_rated_answers_worst_first_and_csv(app_dir, database):
    storage = App(app_dir, database_url=database).storage
    add(storage, "veryHelpful", NOW - 100, "m1")
    add(storage, "notHelpful", NOW - 86_400 * 2, "m2", question='Why, "really"?', answer="Because,\nreasons")
    add(storage, "helpful", NOW - 50, "m3")
    add(storage, "notHelpful", NOW - 10, "m4", robot="imRobots.other")

    days = counts_by_day(storage, "imRobots.bot", days=3, now=NOW)
    assert [counts["veryHelpful"] for _, counts in days] == [0, 0, 1]
    assert [counts["notHelpful"] for _, counts in days] == [1, 0, 0]
    assert totals(storage, "imRobots.bot") == {"veryHelpful": 1, "helpful": 1, "somewhatHelpful": 0, "notHelpful": 1}

    answers = rated_answers(storage, "imRobots.bot")
    assert [a.message_id for a in answers] == ["m2", "m3", "m1"]

    rows = list(csv.reader(io.StringIO(feedback_csv(storage, "imRobots.bot"))))
    assert rows[0] == ["time_utc", "rating", "user_id", "conversation_id", "message_id", "question", "answer"]
    assert rows[1][1:] == ["notHelpful", "user1", "cid", "m2", 'Why, "really"?', "Because,\nreasons"]
    assert len(rows) == 4
