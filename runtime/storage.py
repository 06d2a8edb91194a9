"""The app's database, whose tables belong to the families and Types that declare them.

One definition for two engines: tables are SQLAlchemy `Table`s and queries SQLAlchemy Core,
so the same code runs on the embedded SQLite file (the default: one file per app in its
state folder, WAL mode so the editor reads while robots write) and on a shared PostgreSQL
server (`--database postgresql://...`, several replicas on one database). A family (Meta) or
Type declares its tables with the contract's `migrations` hook; each owner's version is kept
in `schema_versions`, so old databases upgrade in place and owners never collide.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Column, Connection, Engine, Integer, MetaData, Table, Text, create_engine, event, func, inspect, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.schema import CreateColumn
from sqlalchemy.sql.dml import Insert

from .redaction import redactor

STATE_DIR_NAME = ".element-studio"
DATABASE_NAME = "app.sqlite3"
DATABASE_URL_VARIABLE = "ELEMENT_STUDIO_DATABASE_URL"
MIGRATION_LOCK = 0x456C5374  # the advisory lock that lets one replica at a time migrate a PostgreSQL database

Step = Callable[[Connection], None]

_versions_metadata = MetaData()
schema_versions = Table(
    "schema_versions", _versions_metadata,
    Column("owner", Text, primary_key=True),
    Column("version", Integer, nullable=False),
)


class DatabaseUrlError(ValueError):
    """A --database value this product cannot use; the message never repeats the password."""


@dataclass(frozen=True)
class Migrations:
    """A family's or Type's own tables: `tables` holds their newest shape (created when missing,
    so a fresh database gets them whole and an older one adopts the tables it already has);
    `steps` change tables an earlier release created, applied once each, in order (never edit a
    released step: add the next one). A step is `add_column(...)` or any `step(conn)` written
    with SQLAlchemy Core; it must skip what a fresh database already has."""

    tables: MetaData
    steps: tuple[Step, ...] = field(default=())

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

    def insert_new(self, table: Table) -> Insert:
        """An INSERT that skips a row colliding with a unique key: the one-statement way to record
        something exactly once, whichever replica is first. `conn.execute(...).first()` is a row
        when it inserted, None when the row was there already."""
        dialect = postgresql if self.dialect == "postgresql" else sqlite
        return dialect.insert(table).on_conflict_do_nothing().returning(literal_column("1"))

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
        if version is not None and version >= migrations.version:
            return version
        migrations.tables.create_all(conn)
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
        with self.engine.begin() as conn:
            yield conn

    def close(self) -> None:
        """Close the pooled connections (the next `connect` opens new ones)."""
        self.engine.dispose()


def _engine(url: URL) -> Engine:
    if url.get_backend_name() == "postgresql":
        return create_engine(url, pool_size=5, max_overflow=10, pool_pre_ping=True, pool_recycle=1800, hide_parameters=True)
    engine = create_engine(url, connect_args={"timeout": 10, "check_same_thread": False}, hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _sqlite_settings(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # transactions are begun below, not by the driver
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
            dbapi_connection.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _begin_immediate(conn: Connection) -> None:
        # take the write lock up front: a deferred transaction that reads and then writes fails
        # with "database is locked" when another writer got in between
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
