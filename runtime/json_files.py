"""Reading JSON with errors that point at the line, and writing it atomically."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from .errors import InvalidJsonError

MAX_NESTING = 64  # far deeper than any config; deep enough nesting crashes parsers and validators


class TooDeeplyNested(ValueError):
    """JSON nested deeper than MAX_NESTING (arrays and objects inside each other)."""

    def __init__(self) -> None:
        super().__init__(f"nested more than {MAX_NESTING} levels deep (objects and arrays inside each other)")


def loads_bounded(text: str) -> Any:
    """json.loads, refusing nesting beyond MAX_NESTING with TooDeeplyNested (never a RecursionError)."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise TooDeeplyNested() from None
    if nesting_depth(value) > MAX_NESTING:
        raise TooDeeplyNested()
    return value


def nesting_depth(value: Any) -> int:
    """How many objects and arrays sit inside each other in `value` (without recursing)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if depth > MAX_NESTING:
                break
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def read_json(path: Path, full_name: str) -> Any:
    """Parse `path`; on failure raise InvalidJsonError naming the file, line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidJsonError(full_name, path.name, f"cannot read file ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise InvalidJsonError(full_name, path.name, "file is not UTF-8 text") from exc
    return parse_json(text, full_name, path.name)


def parse_json(text: str, full_name: str, file_name: str) -> Any:
    """Parse JSON text; errors name the file, line and column like an editor would."""
    try:
        return loads_bounded(text)
    except json.JSONDecodeError as exc:
        raise InvalidJsonError(
            full_name, file_name, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc
    except TooDeeplyNested as exc:
        raise InvalidJsonError(full_name, file_name, str(exc)) from exc


def dump_json(data: Any) -> str:
    """The one JSON layout every file we write uses (2-space indent, UTF-8 kept readable)."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write_text_atomic(path: Path, text: str) -> None:
    """Write through a temp file in the same folder and rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, data: Any) -> None:
    """Atomically write `data` as JSON; dict key order is kept as given."""
    write_text_atomic(path, dump_json(data))
