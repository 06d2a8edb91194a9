"""fullNames are dotted identifiers; validating them here keeps every path inside its root."""
from __future__ import annotations

import re
from pathlib import Path

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
FULL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
MAX_NAME_LENGTH = 64  # one segment, i.e. one folder name: far below any file system's limit


def is_identifier(segment: str) -> bool:
    """True for a folder name usable as one fullName segment."""
    return bool(IDENTIFIER.match(segment))


def is_full_name(name: str) -> bool:
    """True for a dotted fullName such as `notify.opsHook`."""
    return bool(FULL_NAME.match(name))


def name_problem(full_name: str) -> str | None:
    """Why `full_name` cannot name a new element folder (a segment that is no identifier, or too
    long), or None when it can."""
    for segment in full_name.split("."):
        if not is_identifier(segment):
            return f"{_shown(segment)!r} is not an identifier (letters, digits, _; not starting with a digit)"
        if len(segment) > MAX_NAME_LENGTH:
            return f"{_shown(segment)!r} is too long: {len(segment)} characters, at most {MAX_NAME_LENGTH}"
    return None


def _shown(segment: str) -> str:
    return segment if len(segment) <= 40 else segment[:40] + "…"


def folder_of(root: Path, full_name: str) -> Path:
    """The folder of `full_name` under `root`; raises ValueError for anything but a fullName."""
    if not is_full_name(full_name):
        raise ValueError(f"{full_name!r} is not a valid fullName (dotted identifiers like notify.opsHook)")
    return root.joinpath(*full_name.split("."))


def family_of(full_name: str) -> str:
    """The first segment: `notify.opsHook` belongs to the family `notify`."""
    return full_name.split(".", 1)[0]
