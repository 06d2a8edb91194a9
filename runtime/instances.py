"""Creating instance folders: `e.json` + `config.json` + `__init__.py`, from the Type's schema."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .app import App
from .config_schema import defaults_of
from .errors import ElementError, InvalidNameError, UnknownTypeError
from .json_files import write_json_atomic, write_text_atomic
from .names import family_of, folder_of, is_full_name, is_identifier
from .resolution import TYPE


def instance_full_name(type_name: str, name: str) -> str:
    """`myBot` beside `imRobots.dingTalkStreamType` becomes `imRobots.myBot`; a dotted name stays."""
    full_name = name if "." in name else f"{family_of(type_name)}.{name}"
    if not is_full_name(full_name):
        bad = next((p for p in full_name.split(".") if not is_identifier(p)), full_name)
        raise InvalidNameError(full_name, "name", f"{bad!r} is not an identifier (letters, digits, _; not starting with a digit)")
    return full_name


def propose_name(app: App, type_name: str, stem: str | None = None) -> str:
    """A free fullName for a new instance of `type_name`, e.g. `imRobots.dingTalkStream2`."""
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
    config = {**defaults_of(schema), **(values or {})}
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
