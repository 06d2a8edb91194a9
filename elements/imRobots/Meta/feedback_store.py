"""The IM robot family's feedback store: a press of a rating button on a final card, stored
with the question and answer it rates, and read back as counts per day, rated answers (worst
first), the ratings of given answers and a CSV export.

One person's rating of one answer is one rating, as in every rating UI: a later press
replaces the earlier one (`one_rating_per_person` turned the old one-row-per-button key into
that, keeping each person's latest press).
"""
from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (Column, Connection, Float, Index, Integer, MetaData, Table, Text, UniqueConstraint, bindparam, func, insert, inspect,
                        literal, select, text, true)
from sqlalchemy.schema import DropTable

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
    UniqueConstraint("robot", "message_id", "user_id", name="feedback_one_per_person"),
    Index("feedback_by_robot", "robot", "created_at"),
)
RATED_COLUMNS = (feedback.c.created_at, feedback.c.rating, feedback.c.user_id, feedback.c.conversation_id, feedback.c.message_id,
                 feedback.c.question, feedback.c.answer)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run such a cell as a formula


def one_rating_per_person(conn: Connection) -> None:
    """Migration step 2: the first release kept one row per person per button; keep each
    person's latest press of each answer under the one-rating key (skipped when it is there)."""
    keys = [set(unique["column_names"]) for unique in inspect(conn).get_unique_constraints("feedback")]
    if {"robot", "message_id", "user_id"} in keys:
        return
    later = feedback.alias("later")
    latest = (select(later.c.id)
              .where(later.c.robot == feedback.c.robot, later.c.message_id == feedback.c.message_id, later.c.user_id == feedback.c.user_id)
              .order_by(later.c.created_at.desc(), later.c.id.desc()).limit(1).scalar_subquery())
    rebuilt = feedback.to_metadata(MetaData(), name="feedback_rebuilt")
    rebuilt.indexes.clear()  # index names are global: the index is made again once the old table is gone
    rebuilt.create(conn)
    conn.execute(insert(rebuilt).from_select([c.name for c in feedback.columns], select(feedback).where(feedback.c.id == latest)))
    conn.execute(DropTable(feedback))
    conn.execute(text("ALTER TABLE feedback_rebuilt RENAME TO feedback"))
    for index in feedback.indexes:
        index.create(conn)


@dataclass(frozen=True)
class Feedback:
    """One button press on a final card."""

    robot: str
    msg_id: str
    user_id: str
    rating: str
    conversation_id: str = ""


def store_feedback(storage: Storage, press: Feedback) -> bool:
    """Store a press with the question and answer it rates, replacing the same person's earlier
    rating of that answer; False when it is the rating they had already given.

    One upserting INSERT ... SELECT statement: a read-then-write transaction would fail with
    "database is locked" when another write lands in between (SQLite cannot upgrade a stale
    snapshot)."""
    with storage.connect() as conn:
        rated = conn.execute(_upsert(storage), {"of_robot": press.robot, "of_conversation": press.conversation_id, "of_user": press.user_id,
                                                "of_msg_id": press.msg_id, "of_rating": press.rating, "at": time.time()})
        return rated.first() is not None


_UPSERTS: dict[str, Any] = {}  # dialect -> the statement, built once (building and compiling it was 1.1 ms a press)


def _upsert(storage: Storage) -> Any:
    """The upsert of a press, with bound parameters; `WHERE true` tells SQLite's parser the ON
    CONFLICT belongs to the INSERT."""
    upsert = _UPSERTS.get(storage.dialect)
    if upsert is not None:
        return upsert
    m = message_log.alias("m")
    robot, msg_id = bindparam("of_robot", type_=Text), bindparam("of_msg_id", type_=Text)
    rated = (select(robot, func.coalesce(func.nullif(m.c.conversation_id, ""), bindparam("of_conversation", type_=Text)),
                    bindparam("of_user", type_=Text), msg_id, func.coalesce(m.c.question, ""), func.coalesce(m.c.answer, ""),
                    bindparam("of_rating", type_=Text), bindparam("at", type_=Float))
             .select_from(select(literal(1).label("one")).subquery())
             .outerjoin(m, (m.c.robot == robot) & (m.c.msg_id == msg_id))
             .where(true()))
    columns = ["robot", "conversation_id", "user_id", "message_id", "question", "answer", "rating", "created_at"]
    upsert = storage.insert(feedback).from_select(columns, rated)
    upsert = upsert.on_conflict_do_update(
        index_elements=[feedback.c.robot, feedback.c.message_id, feedback.c.user_id],
        set_={"rating": upsert.excluded.rating, "created_at": upsert.excluded.created_at},
        where=feedback.c.rating != upsert.excluded.rating,
    ).returning(feedback.c.id)
    _UPSERTS[storage.dialect] = upsert
    return upsert


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
    """Every rating of one robot as CSV, oldest first, for a spreadsheet: it starts with a
    UTF-8 byte order mark (Excel reads Chinese text right only then) and no cell can become a
    formula (anyone in a chat writes the question text)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(["time_utc", "rating", "user_id", "conversation_id", "message_id", "question", "answer"])
    with storage.connect() as conn:
        rows = conn.execute(select(*RATED_COLUMNS).where(feedback.c.robot == robot).order_by(feedback.c.created_at)).all()
    for row in rows:
        writer.writerow([time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(row.created_at)), *map(inert_cell, list(row)[1:])])
    return out.getvalue()


def inert_cell(value: str) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula gets a leading quote."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def ratings_of(storage: Storage, robot: str, msg_ids: list[str]) -> dict[str, list[str]]:
    """The ratings recorded for each of these answers (one per person), in press order."""
    if not msg_ids:
        return {}
    found: dict[str, list[str]] = {}
    with storage.connect() as conn:
        rows = conn.execute(select(feedback.c.message_id, feedback.c.rating)
                            .where(feedback.c.robot == robot, feedback.c.message_id.in_(msg_ids)).order_by(feedback.c.created_at))
        for row in rows:
            found.setdefault(row.message_id, []).append(row.rating)
    return found
