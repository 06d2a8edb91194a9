"""Presses stored with the answers they rate, and what the feedback page shows: daily counts, worst
answers first, a CSV a spreadsheet opens."""
from __future__ import annotations

import csv
import dataclasses
import io
import sqlite3

from sqlalchemy import insert

from element_studio.elements.imRobots.Meta.feedback_store import Feedback, counts_by_day, feedback, feedback_csv, rated_answers, store_feedback, totals
from element_studio.elements.imRobots.Meta.incoming import TEXT, Incoming
from element_studio.elements.imRobots.Meta.message_log import ANSWERED, log_outcome, log_received
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


FIRST_RELEASE = """
CREATE TABLE schema_versions (owner TEXT PRIMARY KEY, version INTEGER NOT NULL);
INSERT INTO schema_versions VALUES ('imRobots.Meta', 1);
CREATE TABLE message_log (id INTEGER PRIMARY KEY, robot TEXT NOT NULL, msg_id TEXT NOT NULL, conversation_id TEXT NOT NULL,
    sender TEXT NOT NULL, question TEXT NOT NULL, answer TEXT, outcome TEXT NOT NULL, received_at REAL NOT NULL, answered_at REAL,
    UNIQUE (robot, msg_id));
CREATE TABLE feedback (id INTEGER PRIMARY KEY, robot TEXT NOT NULL, conversation_id TEXT NOT NULL, user_id TEXT NOT NULL,
    message_id TEXT NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL, rating TEXT NOT NULL, created_at REAL NOT NULL,
    UNIQUE (robot, message_id, user_id, rating));
CREATE INDEX feedback_by_robot ON feedback (robot, created_at);
"""


def test_a_database_with_repeated_presses_keeps_each_persons_latest_rating_when_upgraded(tmp_path):
    from element_studio.elements.imRobots.Meta import migrations
    from element_studio.elements.imRobots.Meta.ratings import RATINGS
    from element_studio.runtime.storage import Storage

    path = tmp_path / "app.sqlite3"
    with sqlite3.connect(path) as raw:  # a database the first release wrote: one row per person per button
        raw.executescript(FIRST_RELEASE)
        for user, rating, at in [("ann", "helpful", 1), ("ann", "notHelpful", 3), ("ann", "veryHelpful", 2), ("bob", "helpful", 1)]:
            raw.execute("INSERT INTO feedback (robot, conversation_id, user_id, message_id, question, answer, rating, created_at)"
                        " VALUES ('imRobots.bot', 'c', ?, 'm1', 'q', 'a', ?, ?)", (user, rating, at))
    upgraded = Storage(path, {"imRobots.Meta": migrations})
    assert upgraded.migrate()["imRobots.Meta"] == 3
    assert totals(upgraded, "imRobots.bot") == {"veryHelpful": 0, "helpful": 1, "somewhatHelpful": 0, "notHelpful": 1}
    press = Feedback(robot="imRobots.bot", msg_id="m1", user_id="ann", rating=RATINGS[0])
    assert store_feedback(upgraded, press) and not store_feedback(upgraded, press)  # the new key: a later press replaces
    assert totals(upgraded, "imRobots.bot")["veryHelpful"] == 1 and totals(upgraded, "imRobots.bot")["notHelpful"] == 0


def test_a_press_is_stored_with_the_answer_it_rates_and_a_person_keeps_one_rating(app_dir, database):
    storage = App(app_dir, database_url=database).storage
    asked = Incoming(msg_id="m1", kind=TEXT, question="Où est ma carte ?", msgtype="text", conversation_id="cid-log", in_group=True,
                     sender="staff1", sender_name="Zoë")
    log_received(storage, "imRobots.bot", asked)
    log_outcome(storage, "imRobots.bot", "m1", "Dans le tiroir.", ANSWERED)
    press = Feedback("imRobots.bot", "m1", "user1", "helpful", conversation_id="cid-press")
    assert store_feedback(storage, press) is True
    assert store_feedback(storage, press) is False  # the same rating again: counted once
    assert store_feedback(storage, dataclasses.replace(press, rating="notHelpful")) is True  # changed their mind: replaced
    assert store_feedback(storage, Feedback("imRobots.bot", "unlogged", "user1", "helpful", conversation_id="cid-press")) is True
    rows = {(a.message_id, a.user_id): a for a in rated_answers(storage, "imRobots.bot")}
    assert [(k, a.rating, a.conversation_id, a.question, a.answer) for k, a in sorted(rows.items())] == [
        (("m1", "user1"), "notHelpful", "cid-log", "Où est ma carte ?", "Dans le tiroir."),
        (("unlogged", "user1"), "helpful", "cid-press", "", ""),
    ]
