"""The answer journal: every answer in flight, written before the answer starts.

A question is ACKed before it is answered (the platform would resend it otherwise), so after a
crash (`kill -9`, an out-of-memory kill) nobody resends it: without this journal its card would
stay on "Thinking…" forever. A row holds what a restarted robot needs to finish the answer or to
end its card: the question and who asked it, the Type's reply address (serialised by the Type),
the card's id and until when the reply address works. The row is deleted when the answer ends.

Plain functions, one portable SQL statement each; robots call them through `asyncio.to_thread`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from element_studio.contract import Storage

from .incoming import TEXT, Incoming

TABLE = """
CREATE TABLE IF NOT EXISTS answer_journal (
    robot TEXT NOT NULL,
    msg_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    in_group INTEGER NOT NULL,
    sender TEXT NOT NULL,
    sender_name TEXT NOT NULL,
    msgtype TEXT NOT NULL,
    question TEXT NOT NULL,
    reply_to TEXT NOT NULL,
    reply_until REAL NOT NULL,
    card_id TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    started_at REAL NOT NULL,
    PRIMARY KEY (robot, msg_id)
)
"""


@dataclass(frozen=True)
class JournalEntry:
    """An answer that began and has not ended: the question, its card and how often it was begun."""

    incoming: Incoming
    card_id: str
    attempts: int  # 1 for the first answer, +1 each time a restarted robot answers it again
    started_at: float  # epoch seconds of the first attempt


def begin(storage: Storage, robot: str, incoming: Incoming, reply_to: str, card_id: str) -> None:
    """Journal an answer about to start (a later attempt of the same message replaces its row)."""
    with storage.connect() as conn:
        conn.execute(
            "INSERT INTO answer_journal (robot, msg_id, conversation_id, in_group, sender, sender_name, msgtype, question,"
            " reply_to, reply_until, card_id, attempts, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)"
            " ON CONFLICT (robot, msg_id) DO UPDATE SET card_id = excluded.card_id, attempts = answer_journal.attempts + 1",
            (robot, incoming.msg_id, incoming.conversation_id, int(incoming.in_group), incoming.sender, incoming.sender_name,
             incoming.msgtype, incoming.question, reply_to, incoming.reply_until, card_id, time.time()),
        )


def set_card(storage: Storage, robot: str, msg_id: str, card_id: str) -> None:
    """Remember a card id the platform assigned when the card was sent."""
    with storage.connect() as conn:
        conn.execute("UPDATE answer_journal SET card_id = ? WHERE robot = ? AND msg_id = ?", (card_id, robot, msg_id))


def end(storage: Storage, robot: str, msg_id: str) -> None:
    """The answer ended (answered, or ended with an apology): nothing left to recover."""
    with storage.connect() as conn:
        conn.execute("DELETE FROM answer_journal WHERE robot = ? AND msg_id = ?", (robot, msg_id))


def unfinished(storage: Storage, robot: str, load_address) -> list[JournalEntry]:
    """Every answer of this robot that began and never ended, oldest first; `load_address` is
    the Type's reader of the reply addresses it wrote."""
    with storage.connect() as conn:
        rows = conn.execute("SELECT * FROM answer_journal WHERE robot = ? ORDER BY started_at", (robot,)).fetchall()
    return [
        JournalEntry(
            incoming=Incoming(
                msg_id=row["msg_id"], kind=TEXT, question=row["question"], msgtype=row["msgtype"],
                conversation_id=row["conversation_id"], in_group=bool(row["in_group"]), sender=row["sender"],
                sender_name=row["sender_name"], reply_to=load_address(row["reply_to"]), reply_until=row["reply_until"],
            ),
            card_id=row["card_id"],
            attempts=row["attempts"],
            started_at=row["started_at"],
        )
        for row in rows
    ]
