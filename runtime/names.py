"""fullNames are dotted identifiers; validating them here keeps every path inside its root."""
from __future__ import annotations

import re
from pathlib import Path

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
FULL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def is_identifier(segment: str) -> bool:
    """True for a folder name usable as one fullName segment."""
    return bool(IDENTIFIER.match(segment))


def is_full_name(name: str) -> bool:
    """True for a dotted fullName such as `notify.opsHook`."""
    return bool(FULL_NAME.match(name))


def folder_of(root: Path, full_name: str) -> Path:
    """The folder of `full_name` under `root`; raises ValueError for anything but a fullName."""
    if not is_full_name(full_name):
        raise ValueError(f"{full_name!r} is not a valid fullName (dotted identifiers like notify.opsHook)")
    return root.joinpath(*full_name.split("."))


def family_of(full_name: str) -> str:
    """The first segment: `notify.opsHook` belongs to the family `notify`."""
    return full_name.split(".", 1)[0]
