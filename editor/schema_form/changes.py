"""What a save will change: key order kept from the file, and a diff with secrets masked."""
from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from typing import Any

from element_studio.runtime.schema import mask_secrets, url_password

from .paths import MISSING, get_at

SECRET_KEPT = "•••••• (secret, unchanged)"
SECRET_NEW = "•••••• (secret, new value)"


def order_like(old: Any, new: Any) -> Any:
    """`new` with its keys in the order `old` had them (new keys after), recursively.

    A save rewrites only what changed: people diff these files in git, so keys that keep
    their value also keep their place.
    """
    if isinstance(old, dict) and isinstance(new, dict):
        ordered = {key: order_like(old[key], new[key]) for key in old if key in new}
        ordered.update({key: value for key, value in new.items() if key not in ordered})
        return ordered
    if isinstance(old, list) and isinstance(new, list):
        return [order_like(old[i], item) if i < len(old) else item for i, item in enumerate(new)]
    return new


@dataclass
class DiffLine:
    """One line of a diff: kind is "+", "-", " " (context) or "@" (a hunk header)."""

    kind: str
    text: str


@dataclass
class FileChange:
    """The diff of one file."""

    file: str
    lines: list[DiffLine] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(line.kind in "+-" for line in self.lines)


def masked(schema: dict[str, Any], before: Any, after: Any) -> tuple[Any, Any]:
    """Both versions with every secret shown as a mask that only says whether it changed."""
    old = mask_secrets(schema, before, lambda path, value: SECRET_KEPT)

    def mask_new(path: tuple, value: Any) -> str:
        previous = get_at(before, path)
        return SECRET_KEPT if previous is not MISSING and value in (previous, url_password(previous)) else SECRET_NEW

    return old, mask_secrets(schema, after, mask_new)


def file_change(file: str, before: Any, after: Any) -> FileChange:
    """A unified diff of two JSON documents as they are written (2-space indent)."""
    old = _dump(before).splitlines()
    new = _dump(after).splitlines()
    change = FileChange(file)
    for line in list(difflib.unified_diff(old, new, lineterm="", n=2))[2:]:
        kind = "@" if line.startswith("@@") else line[:1]
        change.lines.append(DiffLine(kind, line if kind == "@" else line[1:]))
    return change


def _dump(value: Any) -> str:
    if value is MISSING:
        return ""
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"
