"""The app's SQLite database: WAL, versioned migrations, a state folder git ignores."""
from __future__ import annotations

import sqlite3
import subprocess

from element_studio.runtime import storage as storage_module
from element_studio.runtime.app import App


def test_database_lives_in_a_git_ignored_state_folder_in_wal_mode(app_dir):
    app = App(app_dir)
    with app.storage.connect() as conn:
        conn.execute("INSERT INTO feedback (robot, conversation_id, user_id, message_id, question, answer, rating, created_at) VALUES ('r','c','u','m','q','a','helpful',1)")
    path = app_dir / ".element-studio" / "app.sqlite3"
    assert path.is_file()
    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert raw.execute("PRAGMA user_version").fetchone()[0] == len(storage_module.MIGRATIONS)
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


def test_a_newer_migration_upgrades_an_existing_database_in_place(app_dir, monkeypatch):
    with App(app_dir).storage.connect() as conn:
        conn.execute("INSERT INTO chat_memory (agent, chat_id, role, content, created_at) VALUES ('a','c','user','hi',1)")
    monkeypatch.setattr(storage_module, "MIGRATIONS", [*storage_module.MIGRATIONS, "ALTER TABLE chat_memory ADD COLUMN tokens INTEGER DEFAULT 0"])
    with App(app_dir).storage.connect() as conn:
        row = conn.execute("SELECT content, tokens FROM chat_memory").fetchone()
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    assert (row["content"], row["tokens"], version) == ("hi", 0, len(storage_module.MIGRATIONS))
