"""What a posted form says beyond its values: chosen variants, shown branches, stashes, secret modes.

The browser holds no state of its own: everything the server needs to re-render a section the
way the user left it travels in hidden `<name>/$marker` inputs and comes back with each post.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from element_studio.runtime.json_files import loads_bounded

from .paths import MARKER, escape, list_index, marker, unescape

FormData = Mapping[str, list[str]]
SECRET_MODES = ("keep", "replace", "clear")


def as_lists(form: Any) -> dict[str, list[str]]:
    """A plain {name: [values]} from a werkzeug MultiDict, a dict of lists or a dict of strings."""
    if form is None:
        return {}
    if hasattr(form, "lists"):
        return {key: list(values) for key, values in form.lists()}
    return {key: (list(value) if isinstance(value, (list, tuple)) else [value]) for key, value in dict(form).items()}


@dataclass
class UiState:
    """Read access to a posted form's values and markers."""

    form: FormData = field(default_factory=dict)
    _origins: dict[str, list[int | None] | None] = field(default_factory=dict, init=False, repr=False, compare=False)
    _key_fields: dict[str, list[tuple[str, str]]] | None = field(default=None, init=False, repr=False, compare=False)
    _indices: dict[str, set[int]] | None = field(default=None, init=False, repr=False, compare=False)

    def first(self, name: str) -> str | None:
        """The first value posted under `name`, or None when the browser sent none."""
        values = self.form.get(name)
        return values[0] if values else None

    def has(self, name: str) -> bool:
        return name in self.form

    def index(self, name: str, what: str) -> int | None:
        """An integer marker (`$variant`, `$shown`), or None when absent or malformed."""
        raw = self.first(marker(name, what))
        return int(raw) if raw is not None and raw.isdigit() else None

    def json(self, name: str, what: str) -> dict[str, Any]:
        """A JSON object marker (`$stash`, `$extra`); {} when absent or not an object."""
        raw = self.first(marker(name, what))
        if not raw:
            return {}
        try:
            value = loads_bounded(raw)
        except ValueError:  # broken or too deeply nested: a stash is ours, so drop it
            return {}
        return value if isinstance(value, dict) else {}

    def origins(self, name: str) -> list[int | None] | None:
        """The list at `name`: for each item on the page, its index in the stored file (None for
        an item added since), as its `$from` marker was posted (StoredConfig checks it); None
        when none was (a page built from the file: each item is where the file has it)."""
        if name not in self._origins:
            raw = self.first(marker(name, "from"))
            try:
                found = loads_bounded(raw) if raw else None
            except ValueError:
                found = None
            valid = isinstance(found, list) and all(i is None or type(i) is int and i >= 0 for i in found)
            self._origins[name] = found if valid else None
        return self._origins[name]

    def markers_under(self, names: list[str], what: str) -> list[tuple[str, str]]:
        """The posted `$what` markers of the fields at `names` and inside them: a stashed list's
        `$from` goes on with its stash, so when it is shown again its items are still the
        stored items they were (not matched by position)."""
        ending = f"/{MARKER}{what}"
        return [(key, values[0]) for key, values in self.form.items() if values and key.endswith(ending)
                and any(key == marker(name, what) or key.startswith(name + "/") for name in names)]

    def secret_mode(self, name: str) -> str | None:
        mode = self.first(marker(name, "secret"))
        return mode if mode in SECRET_MODES else None

    def submitted_under(self, name: str) -> bool:
        """Whether any input inside `name` was posted (the group was on the page)."""
        prefix = name + "/"
        return any(key.startswith(prefix) for key in self.form)

    def entry_keys(self, name: str) -> list[tuple[str, str, str]]:
        """The entries of the map at `name` as posted (see build._map): (the name of the entry's
        `$key` field, the key the page was built with, the key as typed now), in page order."""
        if self._key_fields is None:  # every map's `$key` fields, found in one pass over the form
            self._key_fields = {}
            suffix = f"/{MARKER}key"
            for field_name in self.form:
                if field_name.endswith(suffix):
                    parent, _, segment = field_name[: -len(suffix)].rpartition("/")
                    if segment:
                        self._key_fields.setdefault(parent, []).append((field_name, segment))
        return [(field_name, unescape(segment), (self.first(field_name) or "").strip())
                for field_name, segment in self._key_fields.get(name, [])]

    def page_key(self, name: str, key: str) -> str:
        """The key an entry of the map at `name` was built with, for the key it has now: an
        entry renamed since the page was built keeps its fields' names until it is rebuilt
        (parse reads the value under the old name, the key from its `$key` field)."""
        built = [old for _field, old, typed in self.entry_keys(name) if typed == key]
        return key if not built or key in built else built[0]

    def page_name(self, name: str) -> str:
        """The name on the page of the field whose value is at `name` now (see page_key):
        where a message about the value is shown."""
        page, *segments = name.split("/")
        for segment in segments:
            page = f"{page}/{escape(self.page_key(page, unescape(segment)))}"
        return page

    def indices_under(self, name: str) -> list[int]:
        """Array item indices posted under `name`, in order."""
        if self._indices is None:  # every list's indices, found in one pass over the form
            self._indices = {}
            for key in self.form:
                parts = key.split("/")
                for depth in range(1, len(parts)):
                    index = list_index(parts[depth])
                    if index is not None:
                        self._indices.setdefault("/".join(parts[:depth]), set()).add(index)
        return sorted(self._indices.get(name, ()))
