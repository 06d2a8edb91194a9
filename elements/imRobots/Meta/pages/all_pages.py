"""The IM robot family's pages in the editor: the playground and the feedback pages, and the
stylesheet they share."""
from flask import Blueprint

from element_studio.contract import EditorPage

from . import feedback, playground

assets = Blueprint("im_robots_assets", __name__, static_folder="static", static_url_path="/_im_robots")
editor_pages = [EditorPage(assets), playground.page, feedback.page]
