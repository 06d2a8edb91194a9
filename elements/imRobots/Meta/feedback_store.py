"""The IM robot family's feedback store: a press of a rating button on a final card, stored
with the question and answer it rates, and read back as counts per day, rated answers (worst
first), the ratings of given answers and a CSV export."""
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


@dataclass(frozen=True)
class Feedback:
    """One button press on a final card."""

    robot: str
    msg_id: str
    user_id: str
    rating: str
    conversation_id: str = ""


def store_feedback(storage: Storage, feedback: Feedback) -> bool:
    """Store a press with the question and answer it rates; False when the same user already
    pressed the same button on the same answer.

    One INSERT ... SELECT statement: a read-then-write transaction would fail with "database
    is locked" when another write lands in between (SQLite cannot upgrade a stale snapshot).
    """
    with storage.connect() as conn:
        cursor = conn.execute(
            "INSERT OR IGNORE INTO feedback (robot, conversation_id, user_id, message_id, question, answer, rating, created_at)"
            " SELECT :robot, COALESCE(NULLIF(m.conversation_id, ''), :conversation), :user, :msg, COALESCE(m.question, ''),"
            " COALESCE(m.answer, ''), :rating, :now"
            " FROM (SELECT 1) LEFT JOIN message_log AS m ON m.robot = :robot AND m.msg_id = :msg",
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
    """Every rating of one robot as CSV, oldest first, for a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["time_utc", "rating", "user_id", "conversation_id", "message_id", "question", "answer"])
    with storage.connect() as conn:
        rows = conn.execute(
            "SELECT created_at, rating, user_id, conversation_id, message_id, question, answer FROM feedback WHERE robot = ? ORDER BY created_at",
            (robot,),
        ).fetchall()
    for row in rows:
        writer.writerow([time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(row["created_at"])), *list(row)[1:]])
    return out.getvalue()


def ratings_of(storage: Storage, robot: str, msg_ids: list[str]) -> dict[str, list[str]]:
    """The ratings recorded for each of these answers, in press order."""
    if not msg_ids:
        return {}
    marks = ",".join("?" * len(msg_ids))
    found: dict[str, list[str]] = {}
    with storage.connect() as conn:
        for row in conn.execute(f"SELECT message_id, rating FROM feedback WHERE robot = ? AND message_id IN ({marks}) ORDER BY created_at",
                                (robot, *msg_ids)):
            found.setdefault(row["message_id"], []).append(row["rating"])
    return found
