"""`{{VAR}}` placeholders in config.json, filled from the app's environment.

Unlike the tutorial (which renders a missing variable as an empty string), an unset variable
is an error naming it: an empty clientSecret fails much later and far less clearly.
Substitution happens inside parsed JSON strings, so a value holding quotes cannot break the file.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .errors import UnresolvedVariableError

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def render_config(value: Any, env: Mapping[str, str], full_name: str, path: str = "") -> Any:
    """Return a copy of `value` with every placeholder replaced; unset ones raise."""
    if isinstance(value, dict):
        return {key: render_config(item, env, full_name, _join(path, key)) for key, item in value.items()}
    if isinstance(value, list):
        return [render_config(item, env, full_name, _join(path, str(index))) for index, item in enumerate(value)]
    if isinstance(value, str):
        return render_string(value, env, full_name, path)
    return value


def has_placeholders(value: Any) -> bool:
    """Whether any string inside `value` holds a placeholder (most configs hold none: then the
    environment, which costs a read of `.env` and a copy of the process environment, is not needed)."""
    if isinstance(value, dict):
        return any(has_placeholders(item) for item in value.values())
    if isinstance(value, list):
        return any(has_placeholders(item) for item in value)
    return isinstance(value, str) and "{{" in value and PLACEHOLDER.search(value) is not None


def render_string(text: str, env: Mapping[str, str], full_name: str, path: str = "") -> str:
    """Fill the placeholders of one string."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            field = f"config.json field {path}" if path else "config.json"
            raise UnresolvedVariableError(
                full_name, field, f"variable {name} is not set (set it in the environment or in the app's .env file)"
            )
        return env[name]

    return PLACEHOLDER.sub(replace, text)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
