"""The IM robot family's message log: every message a robot handled and how its answer ended.

Plain functions over the app's storage; robots call them with `asyncio.to_thread` so the
event loop never waits on the disk. Any IM Type's robot writes the same rows, so the
playground and the feedback page read them the same way.
"""
from __future__ import annotations

import time
from typing import Protocol

from element_studio.contract import Storage

ANSWERING = "answering"
ANSWERED = "answered"
FAILED = "failed"
TIMED_OUT = "timeout"
BUSY = "busy"
NOT_TEXT = "not_text"
TOO_LONG = "too_long"
STOPPED = "stopped"
ENDED_BADLY = (FAILED, TIMED_OUT, STOPPED)

TABLE = """
CREATE TABLE IF NOT EXISTS message_log (
    id INTEGER PRIMARY KEY,
    robot TEXT NOT NULL,
    msg_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    sender TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT,
    outcome TEXT NOT NULL,
    received_at REAL NOT NULL,
    answered_at REAL,
    UNIQUE (robot, msg_id)
)
"""


class Received(Protocol):
    """What the log needs of an incoming message (each Type parses its platform's own)."""

    msg_id: str
    conversation_id: str
    sender: str
    question: str


def log_received(storage: Storage, robot: str, incoming: Received, outcome: str = ANSWERING) -> bool:
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


def outcomes(storage: Storage, robot: str, msg_ids: list[str]) -> dict[str, str]:
    """How each of these messages' answers stands (absent: not recorded yet)."""
    if not msg_ids:
        return {}
    marks = ",".join("?" * len(msg_ids))
    with storage.connect() as conn:
        return {row["msg_id"]: row["outcome"] for row in conn.execute(
            f"SELECT msg_id, outcome FROM message_log WHERE robot = ? AND msg_id IN ({marks})", (robot, *msg_ids))}
