"""Element folders on disk: discovery of every `e.json` under the element roots.

Discovery only reads and validates descriptors; it never imports code, so a broken Type
cannot stop the editor or `check` from listing everything else.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from .errors import ElementError, InvalidNameError, SchemaViolationError, ShadowedElementError
from .json_files import read_json
from .names import is_identifier

SCHEMAS_DIR = Path(__file__).resolve().parent.parent / "schemas"
SKIPPED_FOLDERS = {"__pycache__", "node_modules"}


@dataclass(frozen=True)
class ElementRoot:
    """A folder whose subfolders are elements; `package` is the Python name its code imports as."""

    path: Path
    origin: str  # "shipped" or "app"
    package: str


@dataclass
class Element:
    """One element folder and its descriptor, as found on disk."""

    full_name: str
    folder: Path
    root: ElementRoot
    descriptor: dict[str, Any]

    @property
    def title(self) -> str:
        return str(self.descriptor.get("title", self.full_name))

    @property
    def type(self) -> str:
        return str(self.descriptor.get("type", ""))

    @property
    def description(self) -> str:
        return str(self.descriptor.get("description", ""))

    @property
    def load_time(self) -> str | None:
        return self.descriptor.get("backendLoadTime")

    @property
    def is_meta(self) -> bool:
        return self.type == ""


@dataclass
class Discovery:
    """Everything found under the roots, and everything wrong with it."""

    elements: dict[str, Element] = field(default_factory=dict)
    problems: list[ElementError] = field(default_factory=list)


@cache
def element_validator() -> Draft202012Validator:
    """The e.json validator, compiled once."""
    schema = json.loads((SCHEMAS_DIR / "element.schema.json").read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


def discover(roots: list[ElementRoot]) -> Discovery:
    """Find and validate the elements of every root; earlier roots win a fullName clash."""
    found = Discovery()
    for root in roots:
        for folder in _element_folders(root.path):
            full_name = ".".join(folder.relative_to(root.path).parts)
            bad = [part for part in folder.relative_to(root.path).parts if not is_identifier(part)]
            if bad:
                found.problems.append(
                    InvalidNameError(full_name, "folder", f"folder name {bad[0]!r} is not an identifier (letters, digits, _; not starting with a digit)")
                )
                continue
            if full_name in found.elements:
                winner = found.elements[full_name]
                found.problems.append(
                    ShadowedElementError(
                        full_name, str(folder), f"shadows the {winner.root.origin} element at {winner.folder}; rename it (the {winner.root.origin} one is used)"
                    )
                )
                continue
            try:
                descriptor = load_descriptor(folder, full_name)
            except ElementError as exc:
                found.problems.append(exc)
                continue
            found.elements[full_name] = Element(full_name, folder, root, descriptor)
    return found


def load_descriptor(folder: Path, full_name: str) -> dict[str, Any]:
    """Read and validate one e.json."""
    descriptor = read_json(folder / "e.json", full_name)
    errors = sorted(element_validator().iter_errors(descriptor), key=lambda e: list(e.path))
    if errors:
        error = errors[0]
        where = "e.json" + (f" field {'.'.join(str(p) for p in error.path)}" if error.path else "")
        raise SchemaViolationError(full_name, where, error.message)
    return descriptor


def _element_folders(root: Path):
    """Folders holding an e.json; an element's own subfolders are its code, not elements."""
    if not root.is_dir():
        return
    for current, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_FOLDERS)
        here = Path(current)
        if here != root and "e.json" in files:
            dirs[:] = []
            yield here
