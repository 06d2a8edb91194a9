"""Creating instance folders: `e.json` + `config.json` + `__init__.py`, from the Type's schema."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import uuid
from pathlib import Path
from typing import Any

from .app import App
from .schema import default_for
from .elements import Element, element_validator
from .errors import (
    ConcurrentEditError,
    ElementError,
    InvalidNameError,
    SchemaViolationError,
    UnknownElementError,
    UnknownTypeError,
)
from .json_files import read_json, write_json_atomic, write_text_atomic
from .logs import ring_buffer
from .names import family_of, folder_of, is_full_name, name_problem
from .references import rewritten
from .resolution import INSTANCE, TYPE
from .storage import InstanceHistory

INSTANCE_FILES = ("e.json", "config.json")
_WRITE_LOCK = threading.Lock()


def instance_full_name(type_name: str, name: str) -> str:
    """`opsHook` beside `notify.webhookType` becomes `notify.opsHook`; a dotted name stays."""
    full_name = name if "." in name else f"{family_of(type_name)}.{name}"
    problem = name_problem(full_name)
    if problem:
        raise InvalidNameError(full_name, "name", problem)
    return full_name


def propose_name(app: App, type_name: str, stem: str | None = None) -> str:
    """A free fullName for a new instance of `type_name`, e.g. `notify.webhook2`."""
    base = stem or type_name.rsplit(".", 1)[-1].removesuffix("Type") or "instance"
    family = family_of(type_name)
    for number in range(1, 10_000):
        candidate = f"{family}.{base}{number if number > 1 else ''}"
        if candidate not in app.elements and not folder_of(app.app_dir, candidate).exists():
            return candidate
    raise ElementError(type_name, "", "no free instance name found")


def create_instance(
    app: App,
    type_name: str,
    full_name: str,
    values: dict[str, Any] | None = None,
    title: str | None = None,
    load_at_start: bool = True,
) -> Path:
    """Write a new instance folder atomically (each file via temp + rename) and rediscover."""
    if type_name not in app.elements or app.kind(type_name) != TYPE:
        raise UnknownTypeError(type_name, "", "is not a Type of this app (see `element-studio check`)")
    full_name = instance_full_name(type_name, full_name)
    folder = folder_of(app.app_dir, full_name)
    if full_name in app.elements or folder.exists():
        raise ElementError(full_name, "", "an element with this fullName already exists")
    schema = app.type_schema(type_name) or {}
    defaults = default_for(schema)
    config = {**(defaults if isinstance(defaults, dict) else {}), **(values or {})}
    descriptor: dict[str, Any] = {
        "title": title or full_name.rsplit(".", 1)[-1],
        "type": type_name,
        "description": "",
        "backendBundleEntry": ".",
    }
    if load_at_start:
        descriptor["backendLoadTime"] = "afterAppInit"
    staging = folder.parent / f".{folder.name}.creating"
    staging.mkdir(parents=True, exist_ok=False)
    try:
        write_json_atomic(staging / "e.json", descriptor)
        write_json_atomic(staging / "config.json", config)
        write_text_atomic(staging / "__init__.py", "")
        staging.rename(folder)
    except BaseException:
        for path in staging.glob("*"):
            path.unlink()
        staging.rmdir()
        raise
    app.refresh()
    return folder


def parse_assignment(text: str) -> tuple[str, Any]:
    """`key=value` from the command line; the value is JSON when it parses, else a string."""
    if "=" not in text:
        raise ValueError(f"--set expects key=value, got {text!r}")
    key, raw = text.split("=", 1)
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return key.strip(), value


# editing existing instances --------------------------------------------------------------
def editable_instance(app: App, full_name: str) -> Element:
    """The instance element if this app may change it (an instance in the app folder), else raise."""
    if not is_full_name(full_name) or full_name not in app.elements:
        raise UnknownElementError(full_name, "", "no such element in this app")
    element = app.elements[full_name]
    if app.kind(full_name) != INSTANCE:
        raise ElementError(full_name, "", "only instances can be edited, renamed, copied or deleted")
    if element.root.origin != "app":
        raise ElementError(full_name, "", "is shipped with Element Studio and cannot be changed; duplicate it into your app instead")
    return element


def file_fingerprint(folder: Path, key: bytes = b"", files: tuple[str, ...] = INSTANCE_FILES) -> str:
    """A digest of an instance's files as they are now, taken when a form opens and compared at
    save so a file changed on disk meanwhile is never overwritten. Keyed (blake2b, key of at most
    64 bytes) because it travels in the page: unkeyed, it would let anyone test guesses of a
    secret in config.json against it."""
    digest = hashlib.blake2b(key=key[:64], digest_size=16)
    for name in files:
        path = folder / name
        digest.update(name.encode() + b"\0")
        try:
            digest.update(b"1" + path.read_bytes())
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            digest.update(b"0")
        digest.update(b"\0")
    return digest.hexdigest()


def save_instance(
    app: App,
    full_name: str,
    descriptor: dict[str, Any],
    config: dict[str, Any],
    expected_fingerprint: str | None = None,
    key: bytes = b"",
) -> str:
    """Write e.json and config.json atomically and return the new fingerprint; refuse (writing
    nothing) when either file changed since `expected_fingerprint` was taken."""
    element = editable_instance(app, full_name)
    if descriptor.get("type") != element.type:
        raise ElementError(full_name, "e.json field type", "cannot be changed by a save (create a new instance of the other Type)")
    errors = sorted(element_validator().iter_errors(descriptor), key=lambda e: list(e.path))
    if errors:
        where = "e.json" + (f" field {'.'.join(str(p) for p in errors[0].path)}" if errors[0].path else "")
        raise SchemaViolationError(full_name, where, errors[0].message)
    with _WRITE_LOCK:
        if expected_fingerprint is not None and file_fingerprint(element.folder, key) != expected_fingerprint:
            raise ConcurrentEditError(
                full_name, "", "e.json or config.json changed on disk since the form was opened; nothing was written (reload to see the new version)"
            )
        write_json_atomic(element.folder / "e.json", descriptor)
        write_json_atomic(element.folder / "config.json", config)
        fingerprint = file_fingerprint(element.folder, key)
    app.refresh()
    return fingerprint


def planned_rename(app: App, full_name: str, new_name: str) -> str:
    """The fullName a rename would give, or raise saying why it cannot happen (nothing changes)."""
    editable_instance(app, full_name)
    parent = full_name.rsplit(".", 1)[0]
    new_full_name = new_name if "." in new_name else f"{parent}.{new_name}"
    problem = name_problem(new_full_name)
    if problem:
        raise InvalidNameError(new_full_name, "name", problem)
    if new_full_name.rsplit(".", 1)[0] != parent:
        raise InvalidNameError(new_full_name, "name", f"a rename keeps the instance in {parent}; give a name without dots")
    if new_full_name != full_name and (new_full_name in app.elements or folder_of(app.app_dir, new_full_name).exists()):
        raise ElementError(new_full_name, "", "an element with this fullName already exists")
    return new_full_name


def rename_instance(app: App, full_name: str, new_name: str) -> str:
    """Move an instance folder to a new name in the same family folder, its history (every
    owner's rows that name it) with it, in one transaction; returns the new fullName."""
    element = editable_instance(app, full_name)
    new_full_name = planned_rename(app, full_name, new_name)
    if new_full_name == full_name:
        return full_name
    target = folder_of(app.app_dir, new_full_name)
    storage = app.storage
    with _WRITE_LOCK:
        planned_rename(app, full_name, new_name)  # again, under the lock
        with storage.connect() as conn:
            storage.move_history(conn, full_name, new_full_name)
            os.rename(element.folder, target)  # raising rolls the history back
    ring_buffer().rename(full_name, new_full_name)
    app.refresh()
    return new_full_name


def duplicate_instance(app: App, full_name: str, new_name: str | None = None) -> str:
    """Copy an instance folder (config and secrets included) under a new free name; returns it."""
    element = editable_instance(app, full_name)
    parent, stem = full_name.rsplit(".", 1)
    if new_name:
        new_full_name = new_name if "." in new_name else f"{parent}.{new_name}"
        if not is_full_name(new_full_name):
            raise InvalidNameError(new_full_name, "name", "is not a valid fullName (dotted identifiers)")
    else:
        new_full_name = _free_name(app, parent, f"{stem}Copy")
    target = folder_of(app.app_dir, new_full_name)
    staging = target.parent / f".{target.name}.copying-{uuid.uuid4().hex[:8]}"
    with _WRITE_LOCK:
        if new_full_name in app.elements or target.exists():
            raise ElementError(new_full_name, "", "an element with this fullName already exists")
        shutil.copytree(element.folder, staging, ignore=shutil.ignore_patterns("__pycache__", ".*"))
        try:
            descriptor = read_json(staging / "e.json", new_full_name)
            descriptor["title"] = f"{element.title} (copy)"
            write_json_atomic(staging / "e.json", descriptor)
            os.rename(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    app.refresh()
    return new_full_name


def point_references(app: App, full_name: str, old: str, new: str) -> int:
    """Make `full_name`'s reference fields that name `old` name `new` (config.json rewritten
    atomically, key order and every other value kept); returns how many fields changed."""
    element = editable_instance(app, full_name)
    config, changed = rewritten(app.schema_for_instance(full_name), app.raw_config(full_name), old, new)
    if changed:
        with _WRITE_LOCK:
            write_json_atomic(element.folder / "config.json", config)
        app.refresh()
    return changed


def history_of(app: App, full_name: str) -> list[tuple[InstanceHistory, int]]:
    """What a delete would take with it: (kind, rows) per kind of history, e.g. (ratings, 12)."""
    return app.storage.history_counts(full_name)


def delete_instance(app: App, full_name: str) -> None:
    """Remove an instance folder and its history: the folder is renamed out of sight inside the
    transaction that deletes the rows, so both go at once, whole, or neither does."""
    element = editable_instance(app, full_name)
    trash = element.folder.parent / f".{element.folder.name}.deleting-{uuid.uuid4().hex[:8]}"
    storage = app.storage
    with _WRITE_LOCK:
        with storage.connect() as conn:
            storage.delete_history(conn, full_name)
            os.rename(element.folder, trash)
    shutil.rmtree(trash, ignore_errors=True)
    app.refresh()


def _free_name(app: App, parent: str, stem: str) -> str:
    for number in range(1, 10_000):
        candidate = f"{parent}.{stem}{number if number > 1 else ''}"
        if candidate not in app.elements and not folder_of(app.app_dir, candidate).exists():
            return candidate
    raise ElementError(f"{parent}.{stem}", "", "no free name found")
