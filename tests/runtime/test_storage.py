"""The app's SQLite database: WAL, each family's and Type's own versioned migrations, a state
folder git ignores."""
from __future__ import annotations

import sqlite3
import subprocess

from element_studio.runtime.app import App
from element_studio.runtime.storage import Migrations, Storage

NOTES_V1 = "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)"


def test_database_lives_in_a_git_ignored_state_folder_in_wal_mode(app_dir):
    app = App(app_dir)
    with app.storage.connect() as conn:
        conn.execute("INSERT INTO feedback (robot, conversation_id, user_id, message_id, question, answer, rating, created_at) VALUES ('r','c','u','m','q','a','helpful',1)")
    path = app_dir / ".element-studio" / "app.sqlite3"
    assert path.is_file()
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    versions = dict(raw.execute("SELECT owner, version FROM schema_versions"))
    assert versions == {"imRobots.Meta": 2, "aiagents.Meta": 1}  # the tables belong to the families that declare them
    subprocess.run(["git", "init", "-q", str(app_dir)], check=True)
    ignored = subprocess.run(["git", "-C", str(app_dir), "status", "--porcelain", "--ignored"], capture_output=True, text=True).stdout
    assert "!! .element-studio/" in ignored


def test_rows_survive_a_new_app_object_and_a_second_rating_is_not_counted_twice(app_dir):
    insert = "INSERT OR IGNORE INTO feedback (robot, conversation_id, user_id, message_id, question, answer, rating, created_at) VALUES ('r','c','u','m','q','a','helpful',1)"
    with App(app_dir).storage.connect() as conn:
        conn.execute(insert)
        conn.execute(insert)
    with App(app_dir).storage.connect() as conn:
        assert conn.execute("SELECT count(*) FROM feedback").fetchone()[0] == 1


def test_an_owners_newer_migration_upgrades_an_existing_database_in_place_and_leaves_other_owners_alone(tmp_path):
    path = tmp_path / "app.sqlite3"
    with Storage(path, {"notes.Meta": Migrations((NOTES_V1,)), "other.Meta": Migrations(("CREATE TABLE other (x)",))}).connect() as conn:
        conn.execute("INSERT INTO notes (body) VALUES ('hi')")
    upgraded = Storage(path, {"notes.Meta": Migrations((NOTES_V1, "ALTER TABLE notes ADD COLUMN pinned INTEGER DEFAULT 0")),
                              "other.Meta": Migrations(("CREATE TABLE other (x)",))})
    assert upgraded.migrate() == {"notes.Meta": 2, "other.Meta": 1}  # "other" is not run again
    with upgraded.connect() as conn:
        row = conn.execute("SELECT body, pinned FROM notes").fetchone()
    assert (row["body"], row["pinned"]) == ("hi", 0)


def test_a_database_written_before_per_owner_versions_adopts_its_tables(tmp_path):
    """Version 0.1 kept every table in one PRAGMA user_version migration: the families' IF NOT
    EXISTS steps adopt those tables and keep their rows."""
    path = tmp_path / "app.sqlite3"
    old = sqlite3.connect(path)
    old.executescript("CREATE TABLE chat_memory (id INTEGER PRIMARY KEY, agent TEXT NOT NULL, chat_id TEXT NOT NULL, role TEXT NOT NULL,"
                      " content TEXT NOT NULL, created_at REAL NOT NULL); INSERT INTO chat_memory VALUES (1, 'a', 'c', 'user', 'kept', 1);"
                      " PRAGMA user_version = 1;")
    old.close()
    app_dir = tmp_path / "app"
    (app_dir / ".element-studio").mkdir(parents=True)
    path.rename(app_dir / ".element-studio" / "app.sqlite3")
    with App(app_dir).storage.connect() as conn:
        assert conn.execute("SELECT content FROM chat_memory").fetchone()["content"] == "kept"
