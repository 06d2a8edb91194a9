"""imRobots.Meta: the IM robot family's shared code, the same for every IM Type.

The message log, the feedback store and the ratings live here once; the family's editor
pages (playground, feedback) plug into the editor through the contract's `editor_pages`.
"""
from element_studio.contract import Migrations

from . import feedback_store, message_log  # noqa: F401  (feedback_store adds its table to the metadata)
from .pages import editor_pages

migrations = Migrations(message_log.metadata)  # the message log's and the feedback store's tables

__all__ = ["editor_pages", "migrations"]
