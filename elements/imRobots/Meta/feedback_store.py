"""The IM robot family's feedback store: a press of a rating button on a final card, stored
with the question and answer it rates, and read back as counts per day, rated answers (worst
first), the ratings of given answers and a CSV export."""
from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass

from sqlalchemy import Column, Float, Index, Integer, Table, Text, UniqueConstraint, func, literal, select, true

from element_studio.contract import Storage

from .message_log import message_log, metadata
from .ratings import NEGATIVE, RATINGS

DAY = 86_400
feedback = Table(
    "feedback", metadata,
    Column("id", Integer, primary_key=True),
    Column("robot", Text, nullable=False),
    Column("conversation_id", Text, nullable=False),
    Column("user_id", Text, nullable=False),
    Column("message_id", Text, nullable=False),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("rating", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    UniqueConstraint("robot", "message_id", "user_id", "rating"),
    Index("feedback_by_robot", "robot", "created_at"),
)
RATED_COLUMNS = (feedback.c.created_at, feedback.c.rating, feedback.c.user_id, feedback.c.conversation_id, feedback.c.message_id,
                 feedback.c.question, feedback.c.answer)


@dataclass(frozen=True)
class Feedback:
    """One button press on a final card."""

    robot: str
    msg_id: str
    user_id: str
    rating: str
    conversation_id: str = ""


def store_feedback(storage: Storage, press: Feedback) -> bool:
    """Store a press with the question and answer it rates; False when the same user already
    pressed the same button on the same answer (on any replica: the unique insert is the dedupe).

    One INSERT ... SELECT statement: a read-then-write transaction would fail with "database
    is locked" when another write lands in between (SQLite cannot upgrade a stale snapshot).
    """
    m = message_log.alias("m")
    rated = (select(literal(press.robot), func.coalesce(func.nullif(m.c.conversation_id, ""), press.conversation_id),
                    literal(press.user_id), literal(press.msg_id), func.coalesce(m.c.question, ""), func.coalesce(m.c.answer, ""),
                    literal(press.rating), literal(time.time()))
             .select_from(select(literal(1).label("one")).subquery())
             .outerjoin(m, (m.c.robot == press.robot) & (m.c.msg_id == press.msg_id))
             .where(true()))  # SQLite needs a WHERE before ON CONFLICT in an INSERT ... SELECT
    columns = ["robot", "conversation_id", "user_id", "message_id", "question", "answer", "rating", "created_at"]
    with storage.connect() as conn:
        return conn.execute(storage.insert_new(feedback).from_select(columns, rated)).first() is not None


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
    """One row per day (oldest first, days without feedback included) with a count per rating.

    Days are counted here, not in SQL: the engines round a cast to an integer differently."""
    now = time.time() if now is None else now
    start_day = int(now // DAY) - days + 1
    with storage.connect() as conn:
        rows = conn.execute(select(feedback.c.created_at, feedback.c.rating)
                            .where(feedback.c.robot == robot, feedback.c.created_at >= start_day * DAY)).all()
    table = {day: dict.fromkeys(RATINGS, 0) for day in range(start_day, start_day + days)}
    for row in rows:
        counts = table.setdefault(int(row.created_at // DAY), dict.fromkeys(RATINGS, 0))
        counts[row.rating] = counts.get(row.rating, 0) + 1
    return [(time.strftime("%Y-%m-%d", time.gmtime(day * DAY)), counts) for day, counts in sorted(table.items())]


def totals(storage: Storage, robot: str) -> dict[str, int]:
    """All-time count per rating."""
    with storage.connect() as conn:
        rows = conn.execute(select(feedback.c.rating, func.count().label("n")).where(feedback.c.robot == robot)
                            .group_by(feedback.c.rating)).all()
    found = dict.fromkeys(RATINGS, 0)
    found.update({row.rating: row.n for row in rows})
    return found


def rated_answers(storage: Storage, robot: str, limit: int = 50) -> list[RatedAnswer]:
    """The most recent rated answers, "not helpful" ones first: those are the ones to fix."""
    with storage.connect() as conn:
        rows = conn.execute(select(*RATED_COLUMNS).where(feedback.c.robot == robot)
                            .order_by((feedback.c.rating == NEGATIVE).desc(), feedback.c.created_at.desc()).limit(limit)).all()
    return [RatedAnswer(**row._asdict()) for row in rows]


def feedback_csv(storage: Storage, robot: str) -> str:
    """Every rating of one robot as CSV, oldest first, for a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["time_utc", "rating", "user_id", "conversation_id", "message_id", "question", "answer"])
    with storage.connect() as conn:
        rows = conn.execute(select(*RATED_COLUMNS).where(feedback.c.robot == robot).order_by(feedback.c.created_at)).all()
    for row in rows:
        writer.writerow([time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(row.created_at)), *list(row)[1:]])
    return out.getvalue()


def ratings_of(storage: Storage, robot: str, msg_ids: list[str]) -> dict[str, list[str]]:
    """The ratings recorded for each of these answers, in press order."""
    if not msg_ids:
        return {}
    found: dict[str, list[str]] = {}
    with storage.connect() as conn:
        rows = conn.execute(select(feedback.c.message_id, feedback.c.rating)
                            .where(feedback.c.robot == robot, feedback.c.message_id.in_(msg_ids)).order_by(feedback.c.created_at))
        for row in rows:
            found.setdefault(row.message_id, []).append(row.rating)
    return found
