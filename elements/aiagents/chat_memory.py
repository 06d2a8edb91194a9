"""Per-chat memory of an agent: the last N exchanges, in the app's database.

One place for every agent Type: rows of the `chat_memory` table keyed by (agent fullName,
chat id). A chat idle for longer than the agent's idle time starts afresh; older exchanges
beyond the last N are deleted as new ones arrive, so the table stays small. Calls block
(database I/O): agents call them through `asyncio.to_thread`.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import CheckConstraint, Column, Float, Index, Integer, MetaData, Table, Text, delete, func, insert, select

from element_studio.contract import Storage

CLEANUP_EVERY_SECONDS = 600.0
metadata = MetaData()
chat_memory = Table(
    "chat_memory", metadata,
    Column("id", Integer, primary_key=True),
    Column("agent", Text, nullable=False),
    Column("chat_id", Text, nullable=False),
    Column("role", Text, CheckConstraint("role IN ('user', 'assistant')"), nullable=False),
    Column("content", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Index("chat_memory_by_chat", "agent", "chat_id", "id"),
)


class ChatMemory:
    """The remembered turns of one agent instance, per chat id."""

    def __init__(
        self,
        storage: Storage,
        agent: str,
        max_turns: int,
        idle_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.storage = storage
        self.agent = agent
        self.max_turns = max(0, int(max_turns))
        self.idle_seconds = float(idle_seconds)
        self.clock = clock
        self._last_cleanup = 0.0
        self._cleanup_lock = threading.Lock()

    @classmethod
    def for_instance(cls, node) -> ChatMemory:
        """The memory an agent instance's config asks for (`maxHistoryTurns`, `memoryIdleMinutes`)."""
        config = node.config
        return cls(node.app.storage, node.fullName, config["maxHistoryTurns"], 60.0 * config["memoryIdleMinutes"])

    def recall(self, chat_id: str) -> list[dict[str, str]]:
        """The chat's last `max_turns` exchanges as chat messages, oldest first; [] once idle too long."""
        if self.max_turns == 0:
            return []
        with self.storage.connect() as conn:
            rows = conn.execute(select(chat_memory.c.role, chat_memory.c.content, chat_memory.c.created_at)
                                .where(*self._of_chat(chat_id)).order_by(chat_memory.c.id.desc()).limit(2 * self.max_turns)).all()
        if not rows or rows[0].created_at < self.clock() - self.idle_seconds:
            return []
        messages = [{"role": row.role, "content": row.content} for row in reversed(rows)]
        if messages and messages[0]["role"] == "assistant":
            messages.pop(0)  # never start with half an exchange
        return messages

    def remember(self, chat_id: str, question: str, answer: str) -> None:
        """Store one exchange; forget the chat's expired or surplus turns."""
        now = self.clock()
        with self.storage.connect() as conn:
            last = conn.execute(select(func.max(chat_memory.c.created_at)).where(*self._of_chat(chat_id))).scalar()
            if last is not None and last < now - self.idle_seconds:
                conn.execute(delete(chat_memory).where(*self._of_chat(chat_id)))
            if self.max_turns > 0:
                conn.execute(insert(chat_memory), [
                    {"agent": self.agent, "chat_id": chat_id, "role": "user", "content": question, "created_at": now},
                    {"agent": self.agent, "chat_id": chat_id, "role": "assistant", "content": answer, "created_at": now},
                ])
            kept = select(chat_memory.c.id).where(*self._of_chat(chat_id)).order_by(chat_memory.c.id.desc()).limit(2 * self.max_turns)
            conn.execute(delete(chat_memory).where(*self._of_chat(chat_id), chat_memory.c.id.not_in(kept.scalar_subquery())))
        self._cleanup_expired(now)

    def _cleanup_expired(self, now: float) -> None:
        """Now and then, delete the chats of this agent that went idle (others never ask again)."""
        with self._cleanup_lock:
            if now - self._last_cleanup < CLEANUP_EVERY_SECONDS:
                return
            self._last_cleanup = now
        idle = (select(chat_memory.c.chat_id).where(chat_memory.c.agent == self.agent).group_by(chat_memory.c.chat_id)
                .having(func.max(chat_memory.c.created_at) < now - self.idle_seconds))
        with self.storage.connect() as conn:
            conn.execute(delete(chat_memory).where(chat_memory.c.agent == self.agent, chat_memory.c.chat_id.in_(idle.scalar_subquery())))

    def _of_chat(self, chat_id: str) -> tuple:
        """The WHERE clauses for one chat of this agent."""
        return chat_memory.c.agent == self.agent, chat_memory.c.chat_id == chat_id
