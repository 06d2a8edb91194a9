"""The IM robot family's message log: every message a robot handled and how its answer ended.

Plain functions over the app's storage; robots call them with `asyncio.to_thread` so the
event loop never waits on the disk. Any IM Type's robot writes the same rows, so the
playground and the feedback page read them the same way.

The writes run statements built once, given their values when executed: building a statement
with `.values(...)` costs SQLAlchemy about 0.3 ms of Python, and a burst of 1,000 answers makes
thousands of these writes while the robots' loop waits for the same interpreter lock.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Column, Float, Integer, MetaData, Table, Text, UniqueConstraint, bindparam, select, update

from element_studio.contract import Storage, add_column, redactor

ANSWERING = "answering"
ANSWERED = "answered"
FAILED = "failed"
TIMED_OUT = "timeout"
BUSY = "busy"
NOT_TEXT = "not_text"
TOO_LONG = "too_long"
STOPPED = "stopped"
ENDED_BADLY = (FAILED, TIMED_OUT, STOPPED)

metadata = MetaData()
message_log = Table(
    "message_log", metadata,
    Column("id", Integer, primary_key=True),
    Column("robot", Text, nullable=False),
    Column("msg_id", Text, nullable=False),
    Column("conversation_id", Text, nullable=False),
    Column("sender", Text, nullable=False),
    Column("question", Text, nullable=False),
    Column("answer", Text),
    Column("outcome", Text, nullable=False),
    Column("received_at", Float, nullable=False),
    Column("answered_at", Float),
    Column("error", Text),  # why an answer ended badly (redacted), for the playground
    UniqueConstraint("robot", "msg_id"),
)
_OUTCOME = update(message_log).where(message_log.c.robot == bindparam("of_robot"), message_log.c.msg_id == bindparam("of_msg_id"))


class Received(Protocol):
    """What the log needs of an incoming message (each Type parses its platform's own)."""

    msg_id: str
    conversation_id: str
    sender: str
    question: str


def log_received(storage: Storage, robot: str, incoming: Received, outcome: str = ANSWERING) -> bool:
    """Record a new message; False when this robot already has it (answered before a restart,
    or by another replica on the same database)."""
    return (robot, incoming.msg_id) in log_all_received(storage, [(robot, incoming)], outcome)


def log_all_received(storage: Storage, received: list[tuple[str, Received]], outcome: str = ANSWERING) -> set[tuple[str, str]]:
    """Record new messages of any robots in one statement (a thousand questions arriving at once
    took a thousand statements, 46 ms of the interpreter lock the robots' loop waits for, now
    5 ms); returns the (robot, msgId) pairs recorded now. A message the log holds already is
    skipped: whichever replica inserts a message first has it, the others get nothing back."""
    if not received:
        return set()
    now = time.time()
    with storage.connect() as conn:
        rows = conn.execute(storage.insert(message_log).on_conflict_do_nothing().returning(message_log.c.robot, message_log.c.msg_id), [
            {"robot": robot, "msg_id": incoming.msg_id, "conversation_id": incoming.conversation_id, "sender": incoming.sender,
             "question": incoming.question, "outcome": outcome, "received_at": now} for robot, incoming in received])
        return {(row.robot, row.msg_id) for row in rows}


def log_outcome(storage: Storage, robot: str, msg_id: str, answer: str, outcome: str, error: str = "") -> None:
    """Record how an answer ended, and why when it ended badly (redacted before it is stored)."""
    with storage.connect() as conn:
        conn.execute(_OUTCOME, {"of_robot": robot, "of_msg_id": msg_id, "answer": answer, "outcome": outcome, "answered_at": time.time(),
                                "error": redactor.redact(error) or None})


@dataclass(frozen=True)
class Ending:
    """How a message's answer stands: its outcome and, when it ended badly, why."""

    outcome: str
    error: str = ""


def outcomes(storage: Storage, robot: str, msg_ids: list[str]) -> dict[str, Ending]:
    """How each of these messages' answers stands (absent: not recorded yet)."""
    if not msg_ids:
        return {}
    with storage.connect() as conn:
        rows = conn.execute(select(message_log.c.msg_id, message_log.c.outcome, message_log.c.error)
                            .where(message_log.c.robot == robot, message_log.c.msg_id.in_(msg_ids)))
        return {row.msg_id: Ending(row.outcome, row.error or "") for row in rows}


remember_errors = add_column("message_log", Column("error", Text))  # migration step 3
