"""Element folders on disk: discovery of every `e.json` under the element roots.

Discovery only reads and validates descriptors; it never imports code, so a broken Type
cannot stop the editor or `check` from listing everything else.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from .errors import ElementError, InvalidNameError, SchemaViolationError, ShadowedElementError
from .json_files import read_json
from .names import is_identifier
from .quick_validity import quick_check

SCHEMAS_DIR = Path(__file__).resolve().parent.parent / "schemas"
SKIPPED_FOLDERS = {"__pycache__", "node_modules"}
Signature = tuple[int, int, int]  # a file's modification time (ns), size and inode


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
    read: dict[Path, tuple[Signature, dict[str, Any]]] = field(default_factory=dict)  # the valid descriptors, for the next discover


@cache
def element_validator() -> Draft202012Validator:
    """The e.json validator, compiled once."""
    return Draft202012Validator(_element_schema())


@cache
def element_quick_check() -> Callable[[Any], bool] | None:
    """The quick check of e.json (see quick_validity): 1,000 robots' files read in 30 ms less."""
    return quick_check(_element_schema())


@cache
def _element_schema() -> dict[str, Any]:
    return json.loads((SCHEMAS_DIR / "element.schema.json").read_text(encoding="utf-8"))


def discover(roots: list[ElementRoot], known: dict[Path, tuple[Signature, dict[str, Any]]] | None = None) -> Discovery:
    """Find and validate the elements of every root; earlier roots win a fullName clash.

    `known`: what the last discover `read`; an e.json unchanged since (the same modification
    time, size and inode) is not parsed and validated again. The supervisor's start reads
    every folder right after App() did: with 1,000 robots, 50 of its 70 ms."""
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
                descriptor = _descriptor(folder, full_name, known or {}, found.read)
            except ElementError as exc:
                found.problems.append(exc)
                continue
            found.elements[full_name] = Element(full_name, folder, root, descriptor)
    return found


def _descriptor(folder: Path, full_name: str, known: dict[Path, tuple[Signature, dict[str, Any]]],
                read: dict[Path, tuple[Signature, dict[str, Any]]]) -> dict[str, Any]:
    """The folder's descriptor, from `known` when its e.json has not changed; noted in `read`."""
    path = folder / "e.json"
    try:
        found = path.stat()
    except OSError:
        return load_descriptor(folder, full_name)  # gone meanwhile: says so as a read would
    signature = (found.st_mtime_ns, found.st_size, found.st_ino)
    cached = known.get(path)
    descriptor = cached[1] if cached is not None and cached[0] == signature else load_descriptor(folder, full_name)
    read[path] = (signature, descriptor)
    return descriptor


def load_descriptor(folder: Path, full_name: str) -> dict[str, Any]:
    """Read and validate one e.json."""
    descriptor = read_json(folder / "e.json", full_name)
    quick = element_quick_check()
    if quick is not None and quick(descriptor):
        return descriptor
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
