"""The IM robot family's feedback store: a press of a rating button on a final card, stored
with the question and answer it rates, and read back as counts per day, rated answers (worst
first), the ratings of given answers and a CSV export.

One person's rating of one answer is one rating, as in every rating UI: a later press
replaces the earlier one (`ONE_RATING_PER_PERSON` turned the old one-row-per-button key into
that, keeping each person's latest press).
"""
from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass

from element_studio.contract import Storage

from .ratings import NEGATIVE, RATINGS

DAY = 86_400
TABLE = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    robot TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    rating TEXT NOT NULL,
    created_at REAL NOT NULL,
    UNIQUE (robot, message_id, user_id, rating)
);
CREATE INDEX IF NOT EXISTS feedback_by_robot ON feedback (robot, created_at)
"""
ONE_RATING_PER_PERSON = """
CREATE TABLE feedback_one_per_person (
    id INTEGER PRIMARY KEY,
    robot TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    rating TEXT NOT NULL,
    created_at REAL NOT NULL,
    UNIQUE (robot, message_id, user_id)
);
INSERT INTO feedback_one_per_person SELECT * FROM feedback AS f WHERE f.id = (
    SELECT g.id FROM feedback AS g WHERE g.robot = f.robot AND g.message_id = f.message_id AND g.user_id = f.user_id
    ORDER BY g.created_at DESC, g.id DESC LIMIT 1);
DROP TABLE feedback;
ALTER TABLE feedback_one_per_person RENAME TO feedback;
CREATE INDEX IF NOT EXISTS feedback_by_robot ON feedback (robot, created_at)
"""
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run such a cell as a formula


@dataclass(frozen=True)
class Feedback:
    """One button press on a final card."""

    robot: str
    msg_id: str
    user_id: str
    rating: str
    conversation_id: str = ""


def store_feedback(storage: Storage, feedback: Feedback) -> bool:
    """Store a press with the question and answer it rates, replacing the same person's earlier
    rating of that answer; False when it is the rating they had already given.

    One upserting INSERT ... SELECT statement: a read-then-write transaction would fail with
    "database is locked" when another write lands in between (SQLite cannot upgrade a stale
    snapshot). `WHERE true` tells SQLite's parser the ON CONFLICT belongs to the INSERT.
    """
    with storage.connect() as conn:
        cursor = conn.execute(
            "INSERT INTO feedback (robot, conversation_id, user_id, message_id, question, answer, rating, created_at)"
            " SELECT :robot, COALESCE(NULLIF(m.conversation_id, ''), :conversation), :user, :msg, COALESCE(m.question, ''),"
            " COALESCE(m.answer, ''), :rating, :now"
            " FROM (SELECT 1) LEFT JOIN message_log AS m ON m.robot = :robot AND m.msg_id = :msg WHERE true"
            " ON CONFLICT (robot, message_id, user_id) DO UPDATE SET rating = excluded.rating, created_at = excluded.created_at"
            " WHERE feedback.rating <> excluded.rating",
            {
                "robot": feedback.robot,
                "conversation": feedback.conversation_id,
                "user": feedback.user_id,
                "msg": feedback.msg_id,
                "rating": feedback.rating,
                "now": time.time(),
            },
        )
        return cursor.rowcount == 1


@dataclass(frozen=True)
class RatedAnswer:
    created_at: float
    rating: str
    user_id: str
    conversation_id: str
    message_id: str
    question: str
    answer: str


def counts_by_day(storage: Storage, robot: str, days: int = 14, now: float | None = None) -> list[tuple[str, dict[str, int]]]:
    """One row per day (oldest first, days without feedback included) with a count per rating."""
    now = time.time() if now is None else now
    start_day = int(now // DAY) - days + 1
    with storage.connect() as conn:
        rows = conn.execute(
            "SELECT CAST(created_at / 86400 AS INTEGER) AS day, rating, count(*) AS n FROM feedback"
            " WHERE robot = ? AND created_at >= ? GROUP BY day, rating",
            (robot, start_day * DAY),
        ).fetchall()
    table = {day: dict.fromkeys(RATINGS, 0) for day in range(start_day, start_day + days)}
    for row in rows:
        table.setdefault(row["day"], dict.fromkeys(RATINGS, 0))[row["rating"]] = row["n"]
    return [(time.strftime("%Y-%m-%d", time.gmtime(day * DAY)), counts) for day, counts in sorted(table.items())]


def totals(storage: Storage, robot: str) -> dict[str, int]:
    """All-time count per rating."""
    with storage.connect() as conn:
        rows = conn.execute("SELECT rating, count(*) AS n FROM feedback WHERE robot = ? GROUP BY rating", (robot,)).fetchall()
    found = dict.fromkeys(RATINGS, 0)
    found.update({row["rating"]: row["n"] for row in rows})
    return found


def rated_answers(storage: Storage, robot: str, limit: int = 50) -> list[RatedAnswer]:
    """The most recent rated answers, "not helpful" ones first: those are the ones to fix."""
    with storage.connect() as conn:
        rows = conn.execute(
            "SELECT created_at, rating, user_id, conversation_id, message_id, question, answer FROM feedback"
            " WHERE robot = ? ORDER BY rating = ? DESC, created_at DESC LIMIT ?",
            (robot, NEGATIVE, limit),
        ).fetchall()
    return [RatedAnswer(**dict(row)) for row in rows]


def feedback_csv(storage: Storage, robot: str) -> str:
    """Every rating of one robot as CSV, oldest first, for a spreadsheet: it starts with a
    UTF-8 byte order mark (Excel reads Chinese text right only then) and no cell can become a
    formula (anyone in a chat writes the question text)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(["time_utc", "rating", "user_id", "conversation_id", "message_id", "question", "answer"])
    with storage.connect() as conn:
        rows = conn.execute(
            "SELECT created_at, rating, user_id, conversation_id, message_id, question, answer FROM feedback WHERE robot = ? ORDER BY created_at",
            (robot,),
        ).fetchall()
    for row in rows:
        writer.writerow([time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(row["created_at"])), *map(inert_cell, list(row)[1:])])
    return out.getvalue()


def inert_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula gets a leading quote."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def ratings_of(storage: Storage, robot: str, msg_ids: list[str]) -> dict[str, list[str]]:
    """The ratings recorded for each of these answers (one per person), in press order."""
    if not msg_ids:
        return {}
    marks = ",".join("?" * len(msg_ids))
    found: dict[str, list[str]] = {}
    with storage.connect() as conn:
        for row in conn.execute(f"SELECT message_id, rating FROM feedback WHERE robot = ? AND message_id IN ({marks}) ORDER BY created_at",
                                (robot, *msg_ids)):
            found.setdefault(row["message_id"], []).append(row["rating"])
    return found
