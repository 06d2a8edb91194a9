"""What a Loader sees: the tutorial's element objects (`nodes[0]` is the instance)."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .elements import Element
from .logs import instance_logger

if TYPE_CHECKING:
    from .app import App


class ElementNode:
    """One element of the chain given to `Loader(nodes)`, with JitAi's attribute names."""

    def __init__(self, element: Element, app: App, config: dict[str, Any] | None = None) -> None:
        self.element = element
        self.app = app
        self.fullName = element.full_name
        self.title = element.title
        self.type = element.type
        self.description = element.description
        self.folder: Path = element.folder
        self.eJson = dict(element.descriptor)
        self.config: dict[str, Any] = config if config is not None else {}
        self.logger: logging.Logger = instance_logger(element.full_name)

    def getFile(self, name: str) -> str:
        """The text of a file in this element's folder (`config.json` as written, unrendered)."""
        path = (self.folder / name).resolve()
        if self.folder.resolve() not in path.parents:
            raise ValueError(f"{self.fullName}: {name!r} is outside the element folder")
        return path.read_text(encoding="utf-8")

    def __repr__(self) -> str:
        return f"<ElementNode {self.fullName}>"
