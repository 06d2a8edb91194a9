"""The app's SQLite database: chat memory, feedback, message log.

One file per app in its state folder, WAL mode so the editor can read while robots write,
and numbered migrations tracked in `PRAGMA user_version` so old databases upgrade in place.
"""
from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MIGRATIONS: list[str] = [
    # 1: what the robots and agents keep
    """
    CREATE TABLE chat_memory (
        id INTEGER PRIMARY KEY,
        agent TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
        content TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE INDEX chat_memory_by_chat ON chat_memory (agent, chat_id, id);

    CREATE TABLE feedback (
        id INTEGER PRIMARY KEY,
        robot TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        message_id TEXT NOT NULL,
        question TEXT NOT NULL,
        answer TEXT NOT NULL,
        rating TEXT NOT NULL,
        created_at REAL NOT NULL,
        UNIQUE (robot, message_id, user_id, rating)
    );
    CREATE INDEX feedback_by_robot ON feedback (robot, created_at);

    CREATE TABLE message_log (
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
    );
    """,
]

STATE_DIR_NAME = ".element-studio"
DATABASE_NAME = "app.sqlite3"


def state_dir(app_dir: Path) -> Path:
    """The app's state folder, created with a .gitignore so it never lands in a commit."""
    folder = app_dir / STATE_DIR_NAME
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# Element Studio state: databases and logs, never committed\n*\n", encoding="utf-8")
    return folder


class Storage:
    """Opens connections to the app's database; migrations run once, on first use."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._migrated = False
        self._lock = threading.Lock()

    @classmethod
    def for_app(cls, app_dir: Path) -> Storage:
        return cls(state_dir(app_dir) / DATABASE_NAME)

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    def migrate(self) -> int:
        """Bring the database to the newest version; returns that version."""
        with self._lock:
            conn = self._open()
            try:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                    conn.execute("BEGIN IMMEDIATE")
                    try:
                        for statement in filter(str.strip, script.split(";")):
                            conn.execute(statement)
                        conn.execute(f"PRAGMA user_version = {number}")
                        conn.execute("COMMIT")
                    except BaseException:
                        conn.execute("ROLLBACK")
                        raise
                self._migrated = True
                return len(MIGRATIONS)
            finally:
                conn.close()

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection inside one transaction: committed on success, rolled back on error.

        BEGIN IMMEDIATE takes the write lock up front: a deferred transaction that reads and then
        writes fails with "database is locked" when another writer got in between.
        """
        if not self._migrated:
            self.migrate()
        conn = self._open()
        try:
            conn.execute("BEGIN IMMEDIATE")
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.close()
