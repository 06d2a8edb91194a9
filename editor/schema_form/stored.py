"""The stored config as the fields of a page see it: list items may have moved since the page
was built (UiState.stored_path), and what the runtime holds secret stays secret on the page."""
from __future__ import annotations

from typing import Any

from element_studio.runtime.schema import MISSING, Path, RememberedSchema, secret_paths

from .paths import get_at
from .state import UiState


class StoredConfig:
    def __init__(self, schema: dict[str, Any], original: Any, ui: UiState, prefix: str) -> None:
        self.original = original
        self.ui = ui
        self.prefix = prefix
        # remembered: the walk skips the values whose schemas hold no secret
        found = secret_paths(RememberedSchema(schema), original) if original is not MISSING else []
        self.secrets = {tuple(map(str, path)) for path in found}

    def at(self, path: Path) -> Any:
        """What the file holds for the field at `path` on the page (MISSING for a new list item)."""
        where = self.ui.stored_path(self.prefix, path)
        return MISSING if where is None else get_at(self.original, where)

    def is_secret(self, path: Path) -> bool:
        """Whether the runtime holds the stored value at `path` secret: a key one branch marks
        secret stays one in a branch that does not, so the page never shows it."""
        if not self.secrets:
            return False
        where = self.ui.stored_path(self.prefix, path)
        return where is not None and tuple(map(str, where)) in self.secrets
