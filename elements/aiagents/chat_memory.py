"""Per-chat memory of an agent: the last N exchanges, in the app's SQLite database.

One place for every agent Type: rows of the `chat_memory` table keyed by (agent fullName,
chat id). A chat idle for longer than the agent's idle time starts afresh; older exchanges
beyond the last N are deleted as new ones arrive, so the table stays small. Calls block
(SQLite): agents call them through `asyncio.to_thread`.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

from element_studio.contract import Storage

CLEANUP_EVERY_SECONDS = 600.0
TABLE = """
CREATE TABLE IF NOT EXISTS chat_memory (
    id INTEGER PRIMARY KEY,
    agent TEXT NOT NULL,
    chat_id TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS chat_memory_by_chat ON chat_memory (agent, chat_id, id)
"""


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
            rows = conn.execute(
                "SELECT role, content, created_at FROM chat_memory WHERE agent = ? AND chat_id = ? ORDER BY id DESC LIMIT ?",
                (self.agent, chat_id, 2 * self.max_turns),
            ).fetchall()
        if not rows or rows[0]["created_at"] < self.clock() - self.idle_seconds:
            return []
        messages = [{"role": row["role"], "content": row["content"]} for row in reversed(rows)]
        if messages and messages[0]["role"] == "assistant":
            messages.pop(0)  # never start with half an exchange
        return messages

    def remember(self, chat_id: str, question: str, answer: str) -> None:
        """Store one exchange; forget the chat's expired or surplus turns."""
        now = self.clock()
        with self.storage.connect() as conn:
            last = conn.execute(
                "SELECT max(created_at) FROM chat_memory WHERE agent = ? AND chat_id = ?", (self.agent, chat_id)
            ).fetchone()[0]
            if last is not None and last < now - self.idle_seconds:
                conn.execute("DELETE FROM chat_memory WHERE agent = ? AND chat_id = ?", (self.agent, chat_id))
            if self.max_turns > 0:
                conn.executemany(
                    "INSERT INTO chat_memory (agent, chat_id, role, content, created_at) VALUES (?, ?, ?, ?, ?)",
                    [(self.agent, chat_id, "user", question, now), (self.agent, chat_id, "assistant", answer, now)],
                )
            conn.execute(
                """DELETE FROM chat_memory WHERE agent = ? AND chat_id = ? AND id NOT IN (
                       SELECT id FROM chat_memory WHERE agent = ? AND chat_id = ? ORDER BY id DESC LIMIT ?)""",
                (self.agent, chat_id, self.agent, chat_id, 2 * self.max_turns),
            )
        self._cleanup_expired(now)

    def _cleanup_expired(self, now: float) -> None:
        """Now and then, delete the chats of this agent that went idle (others never ask again)."""
        with self._cleanup_lock:
            if now - self._last_cleanup < CLEANUP_EVERY_SECONDS:
                return
            self._last_cleanup = now
        with self.storage.connect() as conn:
            conn.execute(
                """DELETE FROM chat_memory WHERE agent = ? AND chat_id IN (
                       SELECT chat_id FROM chat_memory WHERE agent = ? GROUP BY chat_id HAVING max(created_at) < ?)""",
                (self.agent, self.agent, now - self.idle_seconds),
            )
