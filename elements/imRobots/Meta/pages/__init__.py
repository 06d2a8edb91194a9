"""The IM robot family's pages in the editor: the playground and the feedback pages."""
from . import feedback, playground

editor_pages = [playground.page, feedback.page]
