"""An INSERT that can say what to do on a conflict (`on_conflict_do_update`), in the dialect
of the app's database: SQLite and PostgreSQL spell the same statement."""
from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

from element_studio.contract import Storage


def insert_or_update(storage: Storage, table: Table):
    """`insert(table)` of the storage's dialect; chain `.values(...).on_conflict_do_update(...)`."""
    return (postgresql if storage.dialect == "postgresql" else sqlite).insert(table)
