"""The answer journal: every answer in flight, written before the answer starts.

A question is ACKed before it is answered (the platform would resend it otherwise), so after a
crash (`kill -9`, an out-of-memory kill) nobody resends it: without this journal its card would
stay on "Thinking…" forever. A row holds what a robot needs to finish the answer or to end its
card: the question and who asked it, the Type's reply address (serialised by the Type), the
card's id, until when the reply address works, and the replica answering it. The row is
deleted when the answer ends; a row whose replica died is claimed by one live replica.

Plain functions over the app's storage; robots call them off the event loop.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Column, Float, Integer, PrimaryKeyConstraint, Table, Text, bindparam, delete, insert, select, update

from element_studio.contract import Storage

from .incoming import Incoming
from .message_log import metadata

answer_journal = Table(
    "answer_journal", metadata,
    Column("robot", Text, nullable=False),
    Column("msg_id", Text, nullable=False),
    Column("replica", Text, nullable=False),
    Column("conversation_id", Text, nullable=False),
    Column("in_group", Integer, nullable=False),
    Column("sender", Text, nullable=False),
    Column("sender_name", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("msgtype", Text, nullable=False),
    Column("question", Text, nullable=False),
    Column("reply_to", Text, nullable=False),
    Column("reply_until", Float, nullable=False),
    Column("card_id", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("started_at", Float, nullable=False),
    PrimaryKeyConstraint("robot", "msg_id"),
)
# Statements built once (see message_log: building one per write costs more than running it).
_THIS_ROW = (answer_journal.c.robot == bindparam("of_robot"), answer_journal.c.msg_id == bindparam("of_msg_id"))
_BEGIN = insert(answer_journal)
_BEGIN_AGAIN = update(answer_journal).where(*_THIS_ROW).values(attempts=answer_journal.c.attempts + 1)
_SET_CARD = update(answer_journal).where(*_THIS_ROW)
_END = delete(answer_journal).where(*_THIS_ROW)
_UNFINISHED = select(answer_journal).where(answer_journal.c.robot == bindparam("of_robot")).order_by(answer_journal.c.started_at)


class Replicas(Protocol):
    """This process among the app's replicas (the contract's Cluster is one)."""

    replica_id: str

    def live_replicas(self, fresh: bool = False) -> set[str]:
        """Ids of the replicas alive now (`fresh`: read now, not as the last heartbeat saw them)."""


class ThisProcessOnly:
    """The replicas when nothing else runs the app: this process (a robot outside a supervisor)."""

    replica_id = "this-process"

    def live_replicas(self, fresh: bool = False) -> set[str]:
        return {self.replica_id}


@dataclass(frozen=True)
class JournalEntry:
    """An answer that began and has not ended: the question, its card and how often it was begun."""

    incoming: Incoming
    card_id: str
    replica: str  # the replica answering it (a dead one's rows are claimed by a live one)
    attempts: int  # 1 for the first answer, +1 each time a robot answers it again
    started_at: float  # epoch seconds of the first attempt


@dataclass(frozen=True)
class Beginning:
    """An answer about to start, as the journal keeps it: `reply_to` is the Type's serialised address."""

    robot: str
    replica: str
    incoming: Incoming
    reply_to: str
    card_id: str


def begin_all(storage: Storage, beginnings: list[Beginning]) -> None:
    """Journal answers about to start, of any robots, in one plain INSERT of many rows."""
    if not beginnings:
        return
    now = time.time()
    with storage.connect() as conn:
        conn.execute(_BEGIN, [{
            "robot": b.robot, "msg_id": b.incoming.msg_id, "replica": b.replica, "conversation_id": b.incoming.conversation_id,
            "in_group": int(b.incoming.in_group), "sender": b.incoming.sender, "sender_name": b.incoming.sender_name,
            "kind": b.incoming.kind, "msgtype": b.incoming.msgtype, "question": b.incoming.question, "reply_to": b.reply_to,
            "reply_until": b.incoming.reply_until, "card_id": b.card_id, "attempts": 1, "started_at": now} for b in beginnings])


def begin_again(storage: Storage, robot: str, replica: str, msg_id: str, card_id: str) -> None:
    """A journaled answer is begun again (after a restart): one more attempt, by this replica."""
    with storage.connect() as conn:
        conn.execute(_BEGIN_AGAIN, {"of_robot": robot, "of_msg_id": msg_id, "replica": replica, "card_id": card_id})


def set_card(storage: Storage, robot: str, msg_id: str, card_id: str) -> None:
    """Remember a card id the platform assigned when the card was sent."""
    with storage.connect() as conn:
        conn.execute(_SET_CARD, {"of_robot": robot, "of_msg_id": msg_id, "card_id": card_id})


def end(storage: Storage, robot: str, msg_id: str) -> None:
    """The answer ended (answered, or ended with an apology): nothing left to recover."""
    with storage.connect() as conn:
        conn.execute(_END, {"of_robot": robot, "of_msg_id": msg_id})


def unfinished(storage: Storage, robot: str, load_address: Callable[[str], Any]) -> list[JournalEntry]:
    """Every answer of this robot that began and never ended, on any replica, oldest first;
    `load_address` is the Type's reader of the reply addresses it wrote."""
    with storage.connect() as conn:
        rows = conn.execute(_UNFINISHED, {"of_robot": robot}).all()
    return [_entry(row, load_address) for row in rows]


def claim_orphans(storage: Storage, robots: Mapping[str, Callable[[str], Any]], live: set[str], to_replica: str) -> dict[str, list[JournalEntry]]:
    """Take over every answer of these robots (each with the Type's reader of its reply addresses)
    whose replica is not in `live` (dead, or an id no replica has any more), in one UPDATE: when
    several live replicas claim at once, each row goes to exactly one of them (the others' UPDATE
    finds it belongs to a live replica now). Returns each robot's claimed answers, oldest first."""
    if not robots:
        return {}
    with storage.connect() as conn:
        rows = conn.execute(
            update(answer_journal).where(answer_journal.c.robot.in_(list(robots)), answer_journal.c.replica.not_in(live | {to_replica}))
            .values(replica=to_replica).returning(*answer_journal.c)).all()
    claimed: dict[str, list[JournalEntry]] = {}
    for row in sorted(rows, key=lambda row: row.started_at):
        claimed.setdefault(row.robot, []).append(_entry(row, robots[row.robot]))
    return claimed


def _entry(row: Any, load_address: Callable[[str], Any]) -> JournalEntry:
    return JournalEntry(
        incoming=Incoming(
            msg_id=row.msg_id, kind=row.kind, question=row.question, msgtype=row.msgtype, conversation_id=row.conversation_id,
            in_group=bool(row.in_group), sender=row.sender, sender_name=row.sender_name, reply_to=load_address(row.reply_to),
            reply_until=row.reply_until,
        ),
        card_id=row.card_id,
        replica=row.replica,
        attempts=row.attempts,
        started_at=row.started_at,
    )
