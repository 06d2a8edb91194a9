"""Form field names <-> JSON paths, and HTML ids.

A field's name is its JSON path under a prefix, segments joined with "/" (`config/retry/max`,
`config/items/0/name`). Names are what the browser posts back, so the server can rebuild typed
JSON from a flat form without trusting any client-side state. Segments are escaped like JSON
Pointer (`~0`, `~1`), and a leading `$` becomes `~2`: names ending in `/$something` are the
form's own markers (`$variant`, `$stash`, ...), never a property.
"""
from __future__ import annotations

import re
from typing import Any

from element_studio.runtime.schema import MISSING, Path

MARKER = "$"
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9_/]")


def escape(segment: str | int) -> str:
    """One path segment as it appears inside a field name."""
    text = str(segment).replace("~", "~0").replace("/", "~1")
    return "~2" + text[1:] if text.startswith(MARKER) else text


def unescape(segment: str) -> str:
    """The inverse of `escape`."""
    if segment.startswith("~2"):
        segment = MARKER + segment[2:]
    return segment.replace("~1", "/").replace("~0", "~")


def name_of(prefix: str, path: Path) -> str:
    """The form field name of `path`, e.g. ("retry", "max") -> "config/retry/max"."""
    return "/".join([prefix, *(escape(p) for p in path)])


def marker(name: str, what: str) -> str:
    """The name of one of the form's hidden markers for a field (`config/auth/$variant`)."""
    return f"{name}/{MARKER}{what}"


def path_of(name: str, prefix: str) -> Path | None:
    """The JSON path a field name stands for (segments as strings), or None for another prefix."""
    if name == prefix:
        return ()
    if not name.startswith(prefix + "/"):
        return None
    return tuple(unescape(s) for s in name[len(prefix) + 1:].split("/"))


def html_id(name: str) -> str:
    """A valid, unique HTML id for a field name (`config/retry/max` -> `f-config-retry-max`)."""
    safe = _UNSAFE_ID.sub(lambda m: f"_{ord(m.group()):x}_", name)
    return "f-" + safe.replace("/", "-")


def get_at(value: Any, path: Path) -> Any:
    """The value at `path`, or MISSING when any step does not exist."""
    for step in path:
        if isinstance(value, dict) and str(step) in value:
            value = value[str(step)]
        elif isinstance(value, list) and list_index(step) is not None and list_index(step) < len(value):
            value = value[list_index(step)]
        else:
            return MISSING
    return value


def list_index(step: str | int) -> int | None:
    """A path step as a list index, or None when it cannot be one (`"①".isdigit()` is true)."""
    if isinstance(step, int):
        return step
    return int(step) if step.isascii() and step.isdigit() else None


def humanize(key: str | int) -> str:
    """A label for a property without a title: `apiKey` -> "Api key", `reply_mode` -> "Reply mode"."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", str(key)).replace("_", " ").strip()
    return text[:1].upper() + text[1:].lower() if text else str(key)
