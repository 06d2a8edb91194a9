"""The stored config as the fields of a page see it: list items may have moved since the page
was built, and what the runtime holds secret stays secret on the page."""
from __future__ import annotations

from typing import Any

from element_studio.runtime.schema import MISSING, Path, RememberedSchema, secret_paths

from .paths import escape, get_at, list_index
from .schemas import GROUPS
from .state import UiState


class StoredConfig:
    def __init__(self, schema: dict[str, Any], original: Any, ui: UiState, prefix: str) -> None:
        self.original = original
        self.ui = ui
        self.prefix = prefix
        # remembered: the walk skips the values whose schemas hold no secret
        found = secret_paths(RememberedSchema(schema), original) if original is not MISSING else []
        self.secrets = {tuple(map(str, path)) for path in found}
        self._where: dict[Path, Path | None] = {(): ()}
        self._names: dict[Path, str] = {(): prefix}
        self._origins: dict[Path, list[int | None] | None] = {}
        self._slots: dict[Path, int] = {}

    def fix(self, path: Path, slots: int) -> None:
        """The list at `path` is a tuple whose first `slots` places each have their own schema:
        no `$from` moves what is in them (a secret's place could otherwise become a plain one)."""
        self._slots[path] = slots

    def at(self, path: Path) -> Any:
        """What the file holds for the field at `path` on the page (MISSING for a new list item)."""
        where = self.where(path)
        return MISSING if where is None else get_at(self.original, where)

    def kind(self, kind: str, path: Path) -> str:
        """The widget kind for the field at `path` whose schema asks for `kind`: "secret" when the
        runtime holds the stored value secret (a key one branch marks secret stays one in a branch
        that does not), or holds one inside a JSON box. A group keeps its kind: it shows its own
        fields, each checked here, and its choices stay usable."""
        if kind in GROUPS or not self.secrets:
            return kind
        if self.is_secret(path):
            return "secret"
        steps = self._steps(path) if kind == "any" else None
        return "secret" if steps is not None and any(secret[: len(steps)] == steps for secret in self.secrets) else kind

    def is_secret(self, path: Path) -> bool:
        """Whether the runtime holds the stored value at `path` (or a value it sits in) secret."""
        steps = self._steps(path) if self.secrets else None
        return steps is not None and any(steps[:depth] in self.secrets for depth in range(len(steps) + 1))

    def _steps(self, path: Path) -> tuple[str, ...] | None:
        where = self.where(path)
        return None if where is None else tuple(map(str, where))

    def where(self, path: Path) -> Path | None:
        """Where the value at `path` on the page is in the file, or None for a list item added
        since the page was built (and what is inside one)."""
        if path not in self._where:  # each field asks for its own path: its parent's is known
            parent = self.where(path[:-1])
            index = list_index(path[-1])
            origins = self.origins(path[:-1]) if parent is not None and index is not None else None
            if parent is None or origins is not None and (index >= len(origins) or origins[index] is None):
                self._where[path] = None
            else:
                self._where[path] = (*parent, path[-1] if origins is None else origins[index])
        return self._where[path]

    def origins(self, path: Path) -> list[int | None] | None:
        """For the list at `path`, which stored item each item on the page is (see
        build._array), as posted in its `$from` marker; None when none was posted (the page was
        built from the file). A marker is believed only for a list the file holds, and each
        stored item is claimed once: a forged marker cannot copy a stored value elsewhere."""
        if path not in self._origins:
            posted = self.ui.origins(self._name(path))
            where = self.where(path)
            stored = get_at(self.original, where) if where is not None else MISSING
            slots = min(self._slots.get(path, 0), len(posted or []))
            if posted is None or not isinstance(stored, list):
                self._origins[path] = None
            else:
                claimed: set[int] = set(range(slots))
                checked: list[int | None] = list(range(slots))
                for index in posted[slots:]:
                    if index is not None and index < len(stored) and index not in claimed:
                        claimed.add(index)
                        checked.append(index)
                    else:
                        checked.append(None)
                self._origins[path] = checked
        return self._origins[path]

    def _name(self, path: Path) -> str:
        if path not in self._names:
            self._names[path] = f"{self._name(path[:-1])}/{escape(path[-1])}"
        return self._names[path]
