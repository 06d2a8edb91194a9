"""A Type's config contract (`config.schema.json`): defaults, validation, secrets, setup state.

The runtime and the editor both read schemas through this module, so "what is a secret" and
"what counts as filled in" mean the same thing everywhere.
"""
from __future__ import annotations

import copy
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from .errors import ConfigInvalidError

SCHEMA_FILE = "config.schema.json"


def validator_for(schema: dict[str, Any]) -> Draft202012Validator:
    """A 2020-12 validator with format checks and the schema's own `$defs` resolvable."""
    resource = Resource.from_contents(schema, default_specification=DRAFT202012)
    registry = Registry().with_resource(schema.get("$id", "urn:element-studio:config"), resource)
    return Draft202012Validator(schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)


def deref(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local `$ref` (`#/$defs/...`), merging sibling keywords over the target."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 32:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            break
        target: Any = schema
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        seen += 1
    return node


def apply_defaults(schema: dict[str, Any], value: Any, node: dict[str, Any] | None = None) -> Any:
    """A copy of `value` with the schema's defaults filled in where a property is missing."""
    node = deref(schema, schema if node is None else node)
    if value is None and "default" in node:
        value = copy.deepcopy(node["default"])
    if isinstance(value, dict) and "properties" in node:
        result = dict(value)
        for key, prop in node["properties"].items():
            prop = deref(schema, prop)
            if key not in result and "default" in prop:
                result[key] = copy.deepcopy(prop["default"])
            if key in result:
                result[key] = apply_defaults(schema, result[key], prop)
        return result
    if isinstance(value, list) and isinstance(node.get("items"), dict):
        return [apply_defaults(schema, item, node["items"]) for item in value]
    return value


def defaults_of(schema: dict[str, Any], node: dict[str, Any] | None = None) -> dict[str, Any]:
    """The config a new instance starts with: every default, nested objects spelled out.

    An object whose own default is `{}` still gets its properties' defaults written, so the
    file a person opens shows every value in effect.
    """
    node = deref(schema, schema if node is None else node)
    result: dict[str, Any] = {}
    for key, prop in node.get("properties", {}).items():
        prop = deref(schema, prop)
        if prop.get("type") == "object" and "properties" in prop:
            nested = {**defaults_of(schema, prop), **copy.deepcopy(prop.get("default") or {})}
            if nested or "default" in prop:
                result[key] = nested
        elif "default" in prop:
            result[key] = copy.deepcopy(prop["default"])
    return result


def is_secret(node: dict[str, Any]) -> bool:
    """Secrets are `writeOnly` or `format: password`: never shown, never logged."""
    return bool(node.get("writeOnly")) or node.get("format") == "password"


def secret_paths(schema: dict[str, Any], node: dict[str, Any] | None = None, prefix: tuple = ()) -> list[tuple]:
    """Paths (tuples of keys) of every secret property, nested objects included."""
    node = deref(schema, schema if node is None else node)
    paths: list[tuple] = []
    for key, prop in node.get("properties", {}).items():
        prop = deref(schema, prop)
        if is_secret(prop):
            paths.append((*prefix, key))
        elif prop.get("type") == "object":
            paths.extend(secret_paths(schema, prop, (*prefix, key)))
    return paths


def secret_values(schema: dict[str, Any], config: dict[str, Any]) -> list[str]:
    """The secret strings inside a config, for the log redactor."""
    values = []
    for path in secret_paths(schema):
        value: Any = config
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, str) and value:
            values.append(value)
    return values


def missing_required(schema: dict[str, Any], config: dict[str, Any]) -> list[str]:
    """Top-level required fields with no value ("" counts as none): the instance needs setup."""
    node = deref(schema, schema)
    filled = apply_defaults(schema, config)
    return [key for key in node.get("required", []) if filled.get(key) in (None, "", [])]


def validate_config(schema: dict[str, Any], config: dict[str, Any], full_name: str) -> None:
    """Raise ConfigInvalidError for the first problem, naming the field."""
    errors = sorted(validator_for(schema).iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        error = errors[0]
        field = ".".join(str(p) for p in error.absolute_path)
        if error.validator == "required" and isinstance(error.instance, dict):
            missing = next((k for k in error.validator_value if k not in error.instance), "")
            field = f"{field}.{missing}" if field else missing
            raise ConfigInvalidError(full_name, f"config.json field {field}", "is required")
        where = f"config.json field {field}" if field else "config.json"
        raise ConfigInvalidError(full_name, where, _without_secret(error.message, error))


def _without_secret(message: str, error) -> str:
    """jsonschema quotes the bad value; for a secret field that would leak it."""
    node = error.schema if isinstance(error.schema, dict) else {}
    if is_secret(node) and error.instance not in (None, ""):
        return message.replace(repr(error.instance), "the value").replace(str(error.instance), "***")
    return message
