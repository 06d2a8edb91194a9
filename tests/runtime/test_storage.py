"""The app's database, on both engines: each family's and Type's own versioned migrations, rows that
survive a new App, one-time inserts; the SQLite file in WAL mode in a git-ignored state folder,
older SQLite files upgraded in place; a PostgreSQL URL's password never shown."""
from __future__ import annotations

import sqlite3
import subprocess
import threading

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, Text, func, insert, select

from element_studio.elements.imRobots.Meta.feedback_store import feedback
from element_studio.runtime.app import App
from element_studio.runtime.storage import DatabaseUrlError, Migrations, Storage, add_column, database_url

PRESS = {"robot": "r", "conversation_id": "c", "user_id": "u", "message_id": "m", "question": "q", "answer": "a",
         "rating": "helpful", "created_at": 1.0}


def notes_migrations(*steps) -> Migrations:
    metadata = MetaData()
    Table("notes", metadata, Column("id", Integer, primary_key=True), Column("body", Text, nullable=False))
    return Migrations(metadata, steps)


def test_every_owner_has_its_own_version_and_rows_survive_a_new_app(app_dir, database):
    with App(app_dir, database_url=database).storage.connect() as conn:
        conn.execute(insert(feedback).values(PRESS))
    storage = App(app_dir, database_url=database).storage
    assert storage.migrate() == {"imRobots.Meta": 3, "aiagents.Meta": 1, "element-studio": 1}  # tables belong to their declarers
    with storage.connect() as conn:
        assert conn.execute(select(func.count()).select_from(feedback)).scalar() == 1


def test_a_unique_insert_records_a_row_once_whichever_connection_is_first(app_dir, database):
    first, second = App(app_dir, database_url=database).storage, App(app_dir, database_url=database).storage
    with first.connect() as conn:
        assert conn.execute(first.insert_new(feedback).values(PRESS)).first() is not None
    with second.connect() as conn:
        assert conn.execute(second.insert_new(feedback).values(PRESS)).first() is None
        assert conn.execute(select(func.count()).select_from(feedback)).scalar() == 1


def test_an_owners_newer_step_upgrades_an_existing_database_in_place_and_leaves_other_owners_alone(tmp_path, database):
    url = database or tmp_path / "app.sqlite3"
    other = MetaData()
    Table("other", other, Column("x", Text))
    with Storage(url, {"notes.Meta": notes_migrations(), "other.Meta": Migrations(other)}).connect() as conn:
        conn.execute(insert(notes_migrations().tables.tables["notes"]).values(body="hi"))
    pinned = Column("pinned", Integer, server_default="0")
    upgraded = Storage(url, {"notes.Meta": notes_migrations(add_column("notes", pinned)), "other.Meta": Migrations(other)})
    assert upgraded.migrate() == {"notes.Meta": 2, "other.Meta": 1}
    with upgraded.connect() as conn:
        row = conn.execute(select(Table("notes", MetaData(), autoload_with=conn))).one()
    assert (row.body, row.pinned) == ("hi", 0)


def test_a_fresh_database_gets_the_newest_shape_and_skips_the_steps_it_already_has(tmp_path, database):
    metadata = MetaData()
    Table("notes", metadata, Column("id", Integer, primary_key=True), Column("pinned", Integer, server_default="0"))
    storage = Storage(database or tmp_path / "app.sqlite3", {"notes.Meta": Migrations(metadata, (add_column("notes", Column("pinned", Integer)),))})
    assert storage.migrate() == {"notes.Meta": 2}


def test_the_sqlite_file_lives_in_a_git_ignored_state_folder_in_wal_mode(app_dir):
    with App(app_dir).storage.connect() as conn:
        conn.execute(insert(feedback).values(PRESS))
    path = app_dir / ".element-studio" / "app.sqlite3"
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    subprocess.run(["git", "init", "-q", str(app_dir)], check=True)
    ignored = subprocess.run(["git", "-C", str(app_dir), "status", "--porcelain", "--ignored"], capture_output=True, text=True).stdout
    assert "!! .element-studio/" in ignored


def test_a_sqlite_file_of_the_previous_release_keeps_its_rows_and_gains_the_new_tables(app_dir):
    """Written by 0.1: the families' tables created by SQL steps, versions per owner; the runtime's tables are new."""
    (app_dir / ".element-studio").mkdir()
    old = sqlite3.connect(app_dir / ".element-studio" / "app.sqlite3")
    old.executescript("""
        CREATE TABLE schema_versions (owner TEXT PRIMARY KEY, version INTEGER NOT NULL);
        INSERT INTO schema_versions VALUES ('imRobots.Meta', 1), ('aiagents.Meta', 1);
        CREATE TABLE message_log (id INTEGER PRIMARY KEY, robot TEXT NOT NULL, msg_id TEXT NOT NULL, conversation_id TEXT NOT NULL,
            sender TEXT NOT NULL, question TEXT NOT NULL, answer TEXT, outcome TEXT NOT NULL, received_at REAL NOT NULL,
            answered_at REAL, UNIQUE (robot, msg_id));
        CREATE TABLE feedback (id INTEGER PRIMARY KEY, robot TEXT NOT NULL, conversation_id TEXT NOT NULL, user_id TEXT NOT NULL,
            message_id TEXT NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL, rating TEXT NOT NULL, created_at REAL NOT NULL,
            UNIQUE (robot, message_id, user_id, rating));
        INSERT INTO feedback VALUES (1, 'r', 'c', 'u', 'm', 'kept question', 'a', 'helpful', 1);
        CREATE TABLE chat_memory (id INTEGER PRIMARY KEY, agent TEXT NOT NULL, chat_id TEXT NOT NULL, role TEXT NOT NULL,
            content TEXT NOT NULL, created_at REAL NOT NULL);
        INSERT INTO chat_memory VALUES (1, 'a', 'c', 'user', 'kept', 1);
    """)
    old.close()
    storage = App(app_dir).storage
    assert storage.migrate() == {"imRobots.Meta": 3, "aiagents.Meta": 1, "element-studio": 1}
    with storage.connect() as conn:
        assert conn.execute(select(feedback.c.question)).scalar() == "kept question"
        assert conn.execute(storage.insert_new(feedback).values(PRESS)).first() is None  # its unique key still holds
        assert conn.exec_driver_sql("SELECT content FROM chat_memory").scalar() == "kept"
        assert conn.exec_driver_sql("SELECT count(*) FROM replicas").scalar() == 0


def test_a_database_written_before_per_owner_versions_adopts_its_tables(app_dir):
    """Before 0.1 every table was one PRAGMA user_version migration: the families adopt those tables and their rows."""
    (app_dir / ".element-studio").mkdir()
    old = sqlite3.connect(app_dir / ".element-studio" / "app.sqlite3")
    old.executescript("CREATE TABLE chat_memory (id INTEGER PRIMARY KEY, agent TEXT NOT NULL, chat_id TEXT NOT NULL, role TEXT NOT NULL,"
                      " content TEXT NOT NULL, created_at REAL NOT NULL); INSERT INTO chat_memory VALUES (1, 'a', 'c', 'user', 'kept', 1);"
                      " PRAGMA user_version = 1;")
    old.close()
    with App(app_dir).storage.connect() as conn:
        assert conn.exec_driver_sql("SELECT content FROM chat_memory").scalar() == "kept"


def test_a_database_url_password_is_masked_and_redacted(postgres_server, caplog):
    from element_studio.runtime.redaction import redactor

    url = database_url(f"postgresql://{postgres_server.user}:s3cret-pw@127.0.0.1:{postgres_server.port}/postgres")
    storage = Storage(url)
    assert "s3cret-pw" not in storage.describe() and "***" in storage.describe()
    assert redactor.redact("connect with s3cret-pw") == "connect with ***"


def test_an_unsupported_or_broken_database_url_is_refused_with_a_clear_message():
    with pytest.raises(DatabaseUrlError, match="mysql:// is not supported"):
        database_url("mysql://root:pw@db/app")
    with pytest.raises(DatabaseUrlError, match="not a database URL") as raised:
        database_url("pw-only-secret")
    assert "pw-only-secret" not in str(raised.value)


def test_a_table_a_later_release_adds_is_created_in_a_database_already_at_the_owners_version(tmp_path, database):
    url = database or tmp_path / "app.sqlite3"
    assert Storage(url, {"notes.Meta": notes_migrations()}).migrate() == {"notes.Meta": 1}
    grown = notes_migrations().tables
    tags = Table("note_tags", grown, Column("note", Integer, nullable=False), Column("tag", Text, nullable=False))
    later = Storage(url, {"notes.Meta": Migrations(grown)})
    assert later.migrate() == {"notes.Meta": 1}
    with later.connect() as conn:
        conn.execute(insert(tags).values(note=1, tag="urgent"))
        assert conn.execute(select(func.count()).select_from(tags)).scalar() == 1


def test_a_new_sqlite_file_another_process_holds_a_lock_on_is_opened_once_the_lock_goes(tmp_path):
    """Two replicas opening the same new file at once: the switch to WAL mode fails at once while
    the other holds a lock, so it is tried again, not reported as "database is locked"."""
    path = tmp_path / "app.sqlite3"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("CREATE TABLE started_first (x)")
    other.execute("BEGIN IMMEDIATE")
    threading.Timer(0.5, lambda: other.execute("COMMIT")).start()
    storage = Storage(path)
    with storage.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    storage.close()
    other.close()
