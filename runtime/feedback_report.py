"""Reading the feedback robots store: counts per day, rated answers (worst first), CSV export."""
from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass

from .storage import Storage

RATINGS = ("veryHelpful", "helpful", "somewhatHelpful", "notHelpful")
NEGATIVE = "notHelpful"
DAY = 86_400


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
