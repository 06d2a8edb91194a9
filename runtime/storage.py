"""The app's SQLite database, whose tables belong to the families and Types that declare them.

One file per app in its state folder, WAL mode so the editor can read while robots write.
A family (Meta) or Type declares its own tables as numbered migrations (the contract's
`migrations` hook); each owner's steps are applied once, in order, and its version is kept in
`schema_versions`, so old databases upgrade in place and owners never collide.
"""
from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

STATE_DIR_NAME = ".element-studio"
DATABASE_NAME = "app.sqlite3"
VERSIONS_TABLE = "CREATE TABLE IF NOT EXISTS schema_versions (owner TEXT PRIMARY KEY, version INTEGER NOT NULL)"


@dataclass(frozen=True)
class Migrations:
    """A family's or Type's own tables: SQL scripts applied once each, in order (never edit a
    released step: add the next one). Write them with IF NOT EXISTS so a database that already
    has the tables adopts them."""

    steps: tuple[str, ...]


def state_dir(app_dir: Path) -> Path:
    """The app's state folder, created with a .gitignore so it never lands in a commit."""
    folder = app_dir / STATE_DIR_NAME
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# Element Studio state: databases and logs, never committed\n*\n", encoding="utf-8")
    return folder


class Storage:
    """Opens connections to the app's database; every owner's migrations run once, on first use."""

    def __init__(self, path: Path, migrations: Mapping[str, Migrations] | None = None) -> None:
        self.path = path
        self.migrations = dict(migrations or {})
        self._migrated = False
        self._lock = threading.Lock()

    @classmethod
    def for_app(cls, app_dir: Path, migrations: Mapping[str, Migrations] | None = None) -> Storage:
        return cls(state_dir(app_dir) / DATABASE_NAME, migrations)

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    def migrate(self) -> dict[str, int]:
        """Bring every owner's tables to its newest version; returns the versions by owner."""
        with self._lock:
            conn = self._open()
            try:
                conn.execute(VERSIONS_TABLE)
                versions = {row["owner"]: row["version"] for row in conn.execute("SELECT owner, version FROM schema_versions")}
                for owner, migrations in sorted(self.migrations.items()):
                    versions[owner] = self._migrate_owner(conn, owner, migrations.steps, versions.get(owner, 0))
                self._migrated = True
                return versions
            finally:
                conn.close()

    @staticmethod
    def _migrate_owner(conn: sqlite3.Connection, owner: str, steps: Sequence[str], version: int) -> int:
        for number, script in enumerate(steps[version:], start=version + 1):
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in filter(str.strip, script.split(";")):
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_versions (owner, version) VALUES (?, ?)"
                             " ON CONFLICT (owner) DO UPDATE SET version = excluded.version", (owner, number))
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return max(version, len(steps))

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
