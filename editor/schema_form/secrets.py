"""Finding secrets (and references) inside a config value, wherever the schema puts them.

`runtime.config_schema.secret_paths` covers plain nested objects; a form also meets secrets
inside variants, `if` branches and array items, so this walker follows the value and asks the
schema about each key it finds. Used to mask diffs, to keep hidden stashes free of secrets,
and to register every stored secret with the editor's response guard.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from element_studio.runtime.config_schema import is_secret

from .paths import Path
from .schemas import known_properties, resolve


def _property_node(root: dict[str, Any], node: dict[str, Any], key: str) -> dict[str, Any] | None:
    """The schema of `key` inside an object node, looking through variants and branches."""
    prop = known_properties(root, node).get(key)
    if prop is not None:
        return prop
    additional = node.get("additionalProperties")
    return resolve(root, additional) if isinstance(additional, dict) else None


def secret_value_paths(schema: dict[str, Any], value: Any) -> list[Path]:
    """Paths of every value the schema marks secret (`writeOnly` or `format: password`)."""
    found: list[Path] = []

    def walk(node: dict[str, Any], item: Any, path: Path) -> None:
        node = resolve(schema, node)
        if is_secret(node):
            found.append(path)
            return
        if isinstance(item, dict):
            for key, sub in item.items():
                prop = _property_node(schema, node, key)
                if prop is not None:
                    walk(prop, sub, (*path, key))
        elif isinstance(item, list) and isinstance(node.get("items"), dict):
            for index, sub in enumerate(item):
                walk(node["items"], sub, (*path, index))

    walk(schema, value, ())
    return found


def reference_values(schema: dict[str, Any], value: Any) -> list[str]:
    """The element fullNames a config refers to through `x-element-ref` fields."""
    found: list[str] = []

    def walk(node: dict[str, Any], item: Any) -> None:
        node = resolve(schema, node)
        if "x-element-ref" in node and isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            for key, sub in item.items():
                prop = _property_node(schema, node, key)
                if prop is not None:
                    walk(prop, sub)
        elif isinstance(item, list) and isinstance(node.get("items"), dict):
            for sub in item:
                walk(node["items"], sub)

    walk(schema, value)
    return found


def secret_strings(schema: dict[str, Any], value: Any) -> list[str]:
    """The secret strings a config holds (to be kept out of every response)."""
    strings = []
    for path in secret_value_paths(schema, value):
        item = _get(value, path)
        if isinstance(item, str) and item:
            strings.append(item)
    return strings


def mask_secrets(schema: dict[str, Any], value: Any, mask: Callable[[Path, Any], Any]) -> Any:
    """A copy of `value` with each secret replaced by `mask(path, secret)`."""
    result = copy.deepcopy(value)
    for path in secret_value_paths(schema, value):
        _set(result, path, mask(path, _get(value, path)))
    return result


def strip_secrets(schema: dict[str, Any], node: dict[str, Any], value: Any) -> Any:
    """A copy of `value` (described by `node`) without any secret in it."""
    wrapper = {"$defs": schema.get("$defs", {}), "definitions": schema.get("definitions", {}), **resolve(schema, node)}
    paths = sorted(secret_value_paths(wrapper, value), key=len, reverse=True)
    if () in paths:
        return None
    result = copy.deepcopy(value)
    for path in paths:
        parent = _get(result, path[:-1])
        if isinstance(parent, dict):
            parent.pop(path[-1], None)
        elif isinstance(parent, list):
            parent[path[-1]] = None
    return result


def _get(value: Any, path: Path) -> Any:
    for step in path:
        value = value[step]
    return value


def _set(value: Any, path: Path, new: Any) -> None:
    _get(value, path[:-1])[path[-1]] = new
