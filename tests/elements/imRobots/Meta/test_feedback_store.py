"""What the feedback page shows: daily counts, worst answers first, a CSV a spreadsheet opens."""
from __future__ import annotations

import csv
import io

from element_studio.runtime.app import App
from element_studio.elements.imRobots.Meta.feedback_store import counts_by_day, feedback_csv, rated_answers, totals

NOW = 1_800_000_000.0


def add(storage, rating, at, message_id, robot="imRobots.bot", question="q?", answer="a."):
    with storage.connect() as conn:
        conn.execute(
            "INSERT INTO feedback (robot, conversation_id, user_id, message_id, question, answer, rating, created_at) VALUES (?,?,?,?,?,?,?,?)",
            (robot, "cid", "user1", message_id, question, answer, rating, at),
        )


def test_counts_per_day_rated_answers_worst_first_and_csv(app_dir):
    storage = App(app_dir).storage
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

    text = feedback_csv(storage, "imRobots.bot")
    assert text.startswith("\ufeff")  # Excel reads UTF-8 (Chinese questions) only after a byte order mark
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == ["time_utc", "rating", "user_id", "conversation_id", "message_id", "question", "answer"]
    assert rows[1][1:] == ["notHelpful", "user1", "cid", "m2", 'Why, "really"?', "Because,\nreasons"]
    assert len(rows) == 4


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_stay_text(app_dir):
    storage = App(app_dir).storage
    questions = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2", "@SUM(A1)", "\tTAB", "\rCR", "机器人怎么接入钉钉？"]
    for number, question in enumerate(questions):
        add(storage, "helpful", NOW + number, f"m{number}", question=question, answer="=1+1")
    rows = list(csv.reader(io.StringIO(feedback_csv(storage, "imRobots.bot")[1:])))[1:]
    assert [row[5] for row in rows] == ["'" + q for q in questions[:-1]] + ["机器人怎么接入钉钉？"]
    assert {row[6] for row in rows} == {"'=1+1"}


def test_a_database_with_repeated_presses_keeps_each_persons_latest_rating_when_upgraded(tmp_path):
    from element_studio.elements.imRobots.Meta import migrations
    from element_studio.runtime.storage import Migrations, Storage

    path = tmp_path / "app.sqlite3"
    with Storage(path, {"imRobots.Meta": Migrations(migrations.steps[:1])}).connect() as conn:  # the released first version
        for user, rating, at in [("ann", "helpful", 1), ("ann", "notHelpful", 3), ("ann", "veryHelpful", 2), ("bob", "helpful", 1)]:
            conn.execute("INSERT INTO feedback (robot, conversation_id, user_id, message_id, question, answer, rating, created_at)"
                         " VALUES ('imRobots.bot', 'c', ?, 'm1', 'q', 'a', ?, ?)", (user, rating, at))
    upgraded = Storage(path, {"imRobots.Meta": migrations})
    assert upgraded.migrate()["imRobots.Meta"] == 2
    assert totals(upgraded, "imRobots.bot") == {"veryHelpful": 0, "helpful": 1, "somewhatHelpful": 0, "notHelpful": 1}
