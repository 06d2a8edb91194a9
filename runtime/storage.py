"""The app's SQLite database, whose tables belong to the families and Types that declare them.

One file per app in its state folder, WAL mode so the editor can read while robots write.
A family (Meta) or Type declares its own tables as numbered migrations (the contract's
`migrations` hook); each owner's steps are applied once, in order, and its version is kept in
`schema_versions`, so old databases upgrade in place and owners never collide.

An owner also says which of its columns hold an instance's fullName (`InstanceHistory`): that
is the instance's history, which a rename carries to the new name and a delete removes, so no
owner has to be told about either and a user's Type gets the same treatment as ours.
"""
from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

STATE_DIR_NAME = ".element-studio"
DATABASE_NAME = "app.sqlite3"
VERSIONS_TABLE = "CREATE TABLE IF NOT EXISTS schema_versions (owner TEXT PRIMARY KEY, version INTEGER NOT NULL)"
# Where an instance went: old URLs (a bookmarked feedback page) lead to the new name.
RENAMES_TABLE = "CREATE TABLE IF NOT EXISTS renamed_instances (old TEXT PRIMARY KEY, new TEXT NOT NULL, at REAL NOT NULL)"
_SQL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class InstanceHistory:
    """Rows of an owner's table that belong to one instance: `column` holds its fullName.
    `label` says what a row is, in the plural ("ratings"), for "delete takes 12 ratings"."""

    table: str
    column: str
    label: str

    def __post_init__(self) -> None:
        for name in (self.table, self.column):
            if not _SQL_NAME.fullmatch(name):
                raise ValueError(f"InstanceHistory: {name!r} is not a plain SQL table or column name")


@dataclass(frozen=True)
class Migrations:
    """A family's or Type's own tables: SQL scripts applied once each, in order (never edit a
    released step: add the next one). Write them with IF NOT EXISTS so a database that already
    has the tables adopts them. `history`: the columns that hold an instance's fullName."""

    steps: tuple[str, ...]
    history: tuple[InstanceHistory, ...] = ()


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

    def adopt(self, migrations: Mapping[str, Migrations]) -> None:
        """The owners changed (a Type was added to the app): migrate again on next use."""
        with self._lock:
            if dict(migrations) != self.migrations:
                self.migrations = dict(migrations)
                self._migrated = False

    def migrate(self) -> dict[str, int]:
        """Bring every owner's tables to its newest version; returns the versions by owner."""
        with self._lock:
            conn = self._open()
            try:
                conn.execute(VERSIONS_TABLE)
                conn.execute(RENAMES_TABLE)
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

    # an instance's history ----------------------------------------------------------------
    def history_columns(self) -> list[InstanceHistory]:
        """Every owner's declared history columns."""
        return [item for _, migrations in sorted(self.migrations.items()) for item in migrations.history]

    def history_counts(self, full_name: str) -> list[tuple[str, int]]:
        """(label, rows) of each kind of history `full_name` has; kinds without rows left out."""
        counts = []
        with self.connect() as conn:
            for item in self.history_columns():
                rows = conn.execute(f"SELECT count(*) FROM {item.table} WHERE {item.column} = ?", (full_name,)).fetchone()[0]
                if rows:
                    counts.append((item.label, rows))
        return counts

    @staticmethod
    def move_history(conn: sqlite3.Connection, columns: list[InstanceHistory], old: str, new: str) -> None:
        """Inside the caller's transaction: every row of `old` now belongs to `new`, and `old`'s
        URLs lead to `new`. Rows a deleted instance of the new name left behind give way."""
        for item in columns:
            conn.execute(f"UPDATE OR REPLACE {item.table} SET {item.column} = ? WHERE {item.column} = ?", (new, old))
        conn.execute("DELETE FROM renamed_instances WHERE old = ?", (new,))
        conn.execute("UPDATE renamed_instances SET new = ? WHERE new = ?", (new, old))
        conn.execute("INSERT INTO renamed_instances (old, new, at) VALUES (?, ?, ?)"
                     " ON CONFLICT (old) DO UPDATE SET new = excluded.new, at = excluded.at", (old, new, time.time()))

    @staticmethod
    def delete_history(conn: sqlite3.Connection, columns: list[InstanceHistory], full_name: str) -> None:
        """Inside the caller's transaction: remove every row of `full_name`."""
        for item in columns:
            conn.execute(f"DELETE FROM {item.table} WHERE {item.column} = ?", (full_name,))
        conn.execute("DELETE FROM renamed_instances WHERE new = ?", (full_name,))

    def renamed_to(self, old: str) -> str | None:
        """The name an instance called `old` was renamed to, if it was."""
        with self.connect() as conn:
            row = conn.execute("SELECT new FROM renamed_instances WHERE old = ?", (old,)).fetchone()
        return row["new"] if row else None
