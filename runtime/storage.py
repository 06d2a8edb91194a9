"""The app's database, whose tables belong to the families and Types that declare them.

One definition for two engines: tables are SQLAlchemy `Table`s and queries SQLAlchemy Core,
so the same code runs on the embedded SQLite file (the default: one file per app in its
state folder, WAL mode so the editor reads while robots write) and on a shared PostgreSQL
server (`--database postgresql://...`, several replicas on one database). A family (Meta) or
Type declares its tables with the contract's `migrations` hook; each owner's version is kept
in `schema_versions`, so old databases upgrade in place and owners never collide.

An owner also says which of its columns hold an instance's fullName (`InstanceHistory`): that
is the instance's history, which a rename carries to the new name and a delete removes, so no
owner has to be told about either and a user's Type gets the same treatment as ours.
"""
from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import (Column, Connection, Engine, Float, Integer, MetaData, Table, Text, create_engine, delete, event, func, insert, inspect,
                        literal_column, select, update)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.schema import CreateColumn
from sqlalchemy.sql.dml import Insert

from .redaction import redactor

STATE_DIR_NAME = ".element-studio"
DATABASE_NAME = "app.sqlite3"
DATABASE_URL_VARIABLE = "ELEMENT_STUDIO_DATABASE_URL"
SQLITE_BUSY_SECONDS = 10  # how long a connection waits for another process's lock on the SQLite file
MIGRATION_LOCK = 0x456C5374  # the advisory lock that lets one replica at a time migrate a PostgreSQL database

Step = Callable[[Connection], None]

_versions_metadata = MetaData()
schema_versions = Table(
    "schema_versions", _versions_metadata,
    Column("owner", Text, primary_key=True),
    Column("version", Integer, nullable=False),
)
# Where an instance went: old URLs (a bookmarked feedback page) lead to the new name.
renamed_instances = Table(
    "renamed_instances", _versions_metadata,
    Column("old", Text, primary_key=True),
    Column("new", Text, nullable=False),
    Column("at", Float, nullable=False),
)


@dataclass(frozen=True)
class InstanceHistory:
    """Rows of an owner's table that belong to one instance: `column` holds its fullName.
    `label` says what rows are, in the plural ("ratings"), for "delete takes 12 ratings", and
    `one` what one row is ("rating"), for "1 rating" (without it the plural serves every count)."""

    table: str
    column: str
    label: str
    one: str = ""


class DatabaseUrlError(ValueError):
    """A --database value this product cannot use; the message never repeats the password."""


@dataclass(frozen=True)
class Migrations:
    """A family's or Type's own tables: `tables` holds their newest shape (created when missing,
    so a fresh database gets them whole and an older one adopts the tables it already has);
    `steps` change tables an earlier release created, applied once each, in order (never edit a
    released step: add the next one). A step is `add_column(...)` or any `step(conn)` written
    with SQLAlchemy Core; it must skip what a fresh database already has. `history`: the
    columns of these tables that hold an instance's fullName."""

    tables: MetaData
    steps: tuple[Step, ...] = field(default=())
    history: tuple[InstanceHistory, ...] = ()

    def __post_init__(self) -> None:
        for item in self.history:
            table = self.tables.tables.get(item.table)
            if table is None or item.column not in table.c:
                raise ValueError(f"InstanceHistory: {item.table}.{item.column} is not a column of these migrations' tables")

    @property
    def version(self) -> int:
        return 1 + len(self.steps)


def add_column(table: str, column: Column) -> Step:
    """A migration step adding `column` to `table` (skipped when the table already has it)."""
    def step(conn: Connection) -> None:
        if column.name in {c["name"] for c in inspect(conn).get_columns(table)}:
            return
        ddl = CreateColumn(column).compile(dialect=conn.dialect)
        conn.exec_driver_sql(f"ALTER TABLE {conn.dialect.identifier_preparer.quote(table)} ADD COLUMN {ddl}")

    return step


def state_dir(app_dir: Path) -> Path:
    """The app's state folder, created with a .gitignore so it never lands in a commit."""
    folder = app_dir / STATE_DIR_NAME
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# Element Studio state: databases and logs, never committed\n*\n", encoding="utf-8")
    return folder


def database_url(value: str) -> URL:
    """A PostgreSQL or SQLite URL, with the driver this product uses (psycopg 3 for PostgreSQL).

    The password is registered with the redactor at once: no log line or error shows it."""
    try:
        url = make_url(value)
    except ArgumentError:
        raise DatabaseUrlError("--database: not a database URL (expected postgresql://user:password@host:5432/dbname)") from None
    if url.password:
        redactor.add(str(url.password))
    backend = url.get_backend_name()
    if backend in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        return url.set(drivername="sqlite+pysqlite")
    raise DatabaseUrlError(f"--database: {backend}:// is not supported: use postgresql://... (or sqlite:///path/app.sqlite3)")


def shown(url: URL) -> str:
    """The URL as logs and pages may show it: the password masked."""
    return url.set(drivername=url.get_backend_name()).render_as_string(hide_password=True)


class Storage:
    """The app's database: an engine with its connection pool; every owner's migrations run
    once, on first use."""

    def __init__(self, url: URL | str | Path, migrations: Mapping[str, Migrations] | None = None) -> None:
        if isinstance(url, Path):
            url = URL.create("sqlite+pysqlite", database=str(url))
        self.url = database_url(url) if isinstance(url, str) else url
        self.migrations = dict(migrations or {})
        self.engine = _engine(self.url)
        self._migrated = False
        self._lock = threading.Lock()
        # SQLite: every transaction here begins IMMEDIATE (takes the write lock), and a thread
        # waiting for that lock sleeps in growing steps (up to 0.1 s) even after it is free; the
        # threads of this process queue on this lock instead and go the moment it is free (50
        # answers remembering their chats at once waited up to 0.8 s). Other processes still
        # meet SQLite's own wait.
        self._one_writer: threading.RLock | None = threading.RLock() if self.dialect == "sqlite" else None

    @classmethod
    def for_app(cls, app_dir: Path, migrations: Mapping[str, Migrations] | None = None, url: str | None = None) -> Storage:
        """The database `url` names, else the app's own SQLite file."""
        return cls(url if url else state_dir(app_dir) / DATABASE_NAME, migrations)

    @property
    def dialect(self) -> str:
        """"sqlite" or "postgresql"."""
        return self.engine.dialect.name

    @property
    def path(self) -> Path | None:
        """The SQLite file (None on a server database)."""
        return Path(self.url.database) if self.dialect == "sqlite" and self.url.database else None

    def describe(self) -> str:
        """Where the data lives, for logs and the editor (never the password)."""
        return f"SQLite file {self.path}" if self.path else f"PostgreSQL {shown(self.url)}"

    def insert(self, table: Table) -> Insert:
        """This engine's INSERT, which knows `on_conflict_do_nothing` and `on_conflict_do_update`
        (the same on SQLite and PostgreSQL)."""
        dialect = postgresql if self.dialect == "postgresql" else sqlite
        return dialect.insert(table)

    def insert_new(self, table: Table) -> Insert:
        """An INSERT that skips a row colliding with a unique key: the one-statement way to record
        something exactly once, whichever replica is first. `conn.execute(...).first()` is a row
        when it inserted, None when the row was there already."""
        return self.insert(table).on_conflict_do_nothing().returning(literal_column("1"))

    def adopt(self, migrations: Mapping[str, Migrations]) -> None:
        """The owners changed (a Type was added to the app): migrate again on next use."""
        with self._lock:
            if dict(migrations) != self.migrations:
                self.migrations = dict(migrations)
                self._migrated = False

    def migrate(self) -> dict[str, int]:
        """Bring every owner's tables to its newest version; returns the versions by owner."""
        with self._lock:
            with self.engine.begin() as conn:
                if self.dialect == "postgresql":
                    conn.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK)))
                _versions_metadata.create_all(conn)
                versions = {row.owner: row.version for row in conn.execute(select(schema_versions))}
                for owner, migrations in sorted(self.migrations.items()):
                    versions[owner] = self._migrate_owner(conn, owner, migrations, versions.get(owner))
            self._migrated = True
            return versions

    def _migrate_owner(self, conn: Connection, owner: str, migrations: Migrations, version: int | None) -> int:
        migrations.tables.create_all(conn)  # a table added in a later release is missing at any version
        if version is not None and version >= migrations.version:
            return version
        for step in migrations.steps[max(0, (version or 1) - 1):]:
            step(conn)
        if version is None:
            conn.execute(self.insert_new(schema_versions).values(owner=owner, version=migrations.version))
        else:
            conn.execute(update(schema_versions).where(schema_versions.c.owner == owner).values(version=migrations.version))
        return migrations.version

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection inside one transaction: committed on success, rolled back on error."""
        if not self._migrated:
            self.migrate()
        with self._one_writer or contextlib.nullcontext(), self.engine.begin() as conn:
            yield conn

    def close(self) -> None:
        """Close the pooled connections (the next `connect` opens new ones)."""
        self.engine.dispose()

    # an instance's history ----------------------------------------------------------------
    def history_columns(self) -> list[tuple[Table, InstanceHistory]]:
        """Every owner's declared history, with its table."""
        return [(migrations.tables.tables[item.table], item)
                for _, migrations in sorted(self.migrations.items()) for item in migrations.history]

    def history_counts(self, full_name: str) -> list[tuple[InstanceHistory, int]]:
        """(kind, rows) of each kind of history `full_name` has; kinds without rows left out."""
        counts = []
        with self.connect() as conn:
            for table, kind in self.history_columns():
                rows = conn.execute(select(func.count()).select_from(table).where(table.c[kind.column] == full_name)).scalar_one()
                if rows:
                    counts.append((kind, rows))
        return counts

    def move_history(self, conn: Connection, old: str, new: str) -> None:
        """Inside the caller's transaction: every row of `old` now belongs to `new`, and `old`'s
        URLs lead to `new`. Rows a deleted instance of the new name left behind give way."""
        for table, kind in self.history_columns():
            conn.execute(delete(table).where(table.c[kind.column] == new))
            conn.execute(update(table).where(table.c[kind.column] == old).values({kind.column: new}))
        conn.execute(delete(renamed_instances).where(renamed_instances.c.old == new))
        conn.execute(update(renamed_instances).where(renamed_instances.c.new == old).values(new=new))
        conn.execute(delete(renamed_instances).where(renamed_instances.c.old == old))
        conn.execute(insert(renamed_instances).values(old=old, new=new, at=time.time()))

    def delete_history(self, conn: Connection, full_name: str) -> None:
        """Inside the caller's transaction: remove every row of `full_name`."""
        for table, kind in self.history_columns():
            conn.execute(delete(table).where(table.c[kind.column] == full_name))
        conn.execute(delete(renamed_instances).where(renamed_instances.c.new == full_name))

    def renamed_to(self, old: str) -> str | None:
        """The name an instance called `old` was renamed to, if it was."""
        with self.connect() as conn:
            return conn.execute(select(renamed_instances.c.new).where(renamed_instances.c.old == old)).scalar_one_or_none()


def _engine(url: URL) -> Engine:
    if url.get_backend_name() == "postgresql":
        return create_engine(url, pool_size=5, max_overflow=10, pool_pre_ping=True, pool_recycle=1800, hide_parameters=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_SECONDS, "check_same_thread": False}, hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _sqlite_settings(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # transactions are begun below, not by the driver
        _write_ahead_log(dbapi_connection)
        for pragma in ("synchronous=NORMAL", "foreign_keys=ON"):
            dbapi_connection.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _begin_immediate(conn: Connection) -> None:
        # take the write lock up front: a deferred transaction that reads and then writes fails
        # with "database is locked" when another writer got in between
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _write_ahead_log(dbapi_connection: Any, wait: float = SQLITE_BUSY_SECONDS) -> None:
    """Put a new database file in WAL mode. Two replicas opening the same new file at once: the
    switch fails at once with "database is locked" while the other holds a lock (SQLite's busy
    wait does not cover it), so it is tried again until `wait` seconds have passed."""
    deadline = time.monotonic() + wait
    while True:
        try:
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.05)
