"""The robot's rows in the app's SQLite database: every message it handled and every feedback press.

Plain functions over `runtime.storage.Storage`; callers run them with `asyncio.to_thread`
so the event loop never waits on the disk.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from element_studio.runtime.storage import Storage

from .messages import Incoming

ANSWERING = "answering"
ANSWERED = "answered"
FAILED = "failed"
TIMED_OUT = "timeout"
BUSY = "busy"
NOT_TEXT = "not_text"
STOPPED = "stopped"


def log_received(storage: Storage, robot: str, incoming: Incoming, outcome: str = ANSWERING) -> bool:
    """Record a new message; False when this robot already has it (answered before a restart)."""
    with storage.connect() as conn:
        cursor = conn.execute(
            "INSERT OR IGNORE INTO message_log (robot, msg_id, conversation_id, sender, question, outcome, received_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (robot, incoming.msg_id, incoming.conversation_id, incoming.sender, incoming.question, outcome, time.time()),
        )
        return cursor.rowcount == 1


def log_outcome(storage: Storage, robot: str, msg_id: str, answer: str, outcome: str) -> None:
    """Record how an answer ended."""
    with storage.connect() as conn:
        conn.execute(
            "UPDATE message_log SET answer = ?, outcome = ?, answered_at = ? WHERE robot = ? AND msg_id = ?",
            (answer, outcome, time.time(), robot, msg_id),
        )


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
