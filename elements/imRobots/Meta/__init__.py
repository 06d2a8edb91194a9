"""imRobots.Meta: the IM robot family's shared code, the same for every IM Type.

The message log, the answer journal, the API call count, the feedback store and the ratings
live here once; the family's editor pages (playground, feedback) plug into the editor through
the contract's `editor_pages`.
"""
from typing import Any

from element_studio.contract import InstanceHistory, Migrations

from . import answer_journal, api_usage, feedback_store, message_log  # noqa: F401  (each adds its table to the metadata)

migrations = Migrations(
    message_log.metadata,  # the message log's, the answer journal's, the API count's and the feedback store's tables
    steps=(feedback_store.one_rating_per_person, message_log.remember_errors),
    history=(InstanceHistory("message_log", "robot", "logged messages", one="logged message"),
             InstanceHistory("feedback", "robot", "ratings", one="rating")),
)

__all__ = ["editor_pages", "migrations"]


def __getattr__(name: str) -> Any:
    """`editor_pages`, imported when the editor first asks for it: the pages import Flask, which
    a process running only robots never needs (55 ms of its start)."""
    if name == "editor_pages":
        from .pages.all_pages import editor_pages

        return editor_pages
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
