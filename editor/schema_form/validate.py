"""jsonschema errors -> a message a person understands, on the field it is about.

Messages are written here, never taken from jsonschema: its messages quote the offending value,
and for a secret field that value is the secret. `{{VAR}}` placeholders are checked as the
value they stand for when the variable is defined; an undefined one is a warning on its field.
"""
from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jsonschema.exceptions import ValidationError

from element_studio.runtime.schema import validator_for
from element_studio.runtime.templating import PLACEHOLDER

from .paths import Path, name_of

FORMAT_MESSAGES = {
    "email": "Enter an email address, like name@example.com.",
    "uri": "Enter a full URL, like https://example.com/path.",
    "date": "Enter a date as YYYY-MM-DD.",
    "date-time": "Enter a date and time, like 2024-05-01T09:30:00Z.",
    "ipv4": "Enter an IPv4 address, like 192.168.1.10.",
    "hostname": "Enter a host name, like example.com.",
}
TYPE_MESSAGES = {
    "integer": "Enter a whole number.",
    "number": "Enter a number.",
    "string": "Enter text.",
    "boolean": "Choose yes or no.",
    "object": "Expected a group of settings here.",
    "array": "Expected a list here.",
    "null": "Expected no value here.",
}
MISSING_MESSAGE = "Fill in this field."


def type_message(node: dict[str, Any]) -> str:
    """What a field of this schema node wants, said for a value of the wrong type."""
    wanted = node.get("type")
    wanted = next((t for t in wanted if t != "null"), "null") if isinstance(wanted, list) else wanted
    return TYPE_MESSAGES.get(str(wanted), "Has the wrong kind of value.")


def undefined_message(variable: str) -> str:
    """The warning for a `{{VAR}}` whose variable is set nowhere (the same text everywhere)."""
    return f"{variable} is not defined: set it in the environment or the app's .env file."


@dataclass
class Report:
    """Errors and warnings by field name; `missing` lists the required fields left empty."""

    errors: dict[str, list[str]] = field(default_factory=dict)
    warnings: dict[str, list[str]] = field(default_factory=dict)
    missing: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def only_missing(self) -> bool:
        """Every error is an empty required field: saving is allowed, the instance needs setup."""
        return bool(self.errors) and all(
            name in self.missing and msgs == [MISSING_MESSAGE] for name, msgs in self.errors.items()
        )

    def add(self, kind: str, name: str, message: str) -> None:
        bucket = self.errors if kind == "error" else self.warnings
        messages = bucket.setdefault(name, [])
        if message not in messages:
            messages.append(message)


def validate_config(schema: dict[str, Any], value: Any, *, env: Mapping[str, str] | None = None,
                    prefix: str = "config", problems: Mapping[str, str] | None = None,
                    chosen: Mapping[str, int] | None = None) -> Report:
    """Every problem of `value`, each on its field. `chosen` maps variant field names to the
    variant the form shows, so a oneOf error is explained in that variant's terms."""
    report = Report()
    checked, unchecked = _substituted(value, env or {}, prefix, report)
    for error in validator_for(schema).iter_errors(checked):
        for leaf in _leaves(error, prefix, chosen or {}):
            _report(leaf, prefix, report, unchecked)
    for name, message in (problems or {}).items():
        report.errors[name] = [message]
        report.missing.discard(name)
    return report


def _substituted(value: Any, env: Mapping[str, str], prefix: str, report: Report) -> tuple[Any, set[Path]]:
    """A copy with defined placeholders filled in, and the paths whose variables are undefined."""
    unchecked: set[Path] = set()

    def walk(item: Any, path: Path) -> Any:
        if isinstance(item, dict):
            return {k: walk(v, (*path, k)) for k, v in item.items()}
        if isinstance(item, list):
            return [walk(v, (*path, i)) for i, v in enumerate(item)]
        if isinstance(item, str) and PLACEHOLDER.search(item):
            undefined = [n for n in dict.fromkeys(PLACEHOLDER.findall(item)) if n not in env]
            for variable in undefined:
                report.add("warning", name_of(prefix, path), undefined_message(variable))
            if undefined:
                unchecked.add(path)
                return item
            return PLACEHOLDER.sub(lambda m: env[m.group(1)], item)
        return item

    return walk(copy.deepcopy(value), ()), unchecked


def _leaves(error: ValidationError, prefix: str, chosen: Mapping[str, int]) -> list[ValidationError]:
    """The errors worth showing: inside a oneOf/anyOf, those of the variant the form shows."""
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        return [error]
    by_variant: dict[int, list[ValidationError]] = {}
    for sub in error.context:
        by_variant.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
    index = chosen.get(name_of(prefix, tuple(error.absolute_path)))
    if index is None:
        if len(by_variant) < len(error.validator_value):
            return [error]  # some variant matched (oneOf matched more than one): say it as a whole
        index = min(by_variant, key=lambda i: (len(by_variant[i]), i))
    leaves = []
    for sub in by_variant.get(index, []):
        leaves.extend(_leaves(sub, prefix, chosen))
    return leaves


def _report(error: ValidationError, prefix: str, report: Report, unchecked: set[Path]) -> None:
    path: Path = tuple(error.absolute_path)
    keyword = error.validator
    if keyword == "required" and isinstance(error.instance, dict):
        for key in error.validator_value:
            if key not in error.instance:
                name = name_of(prefix, (*path, key))
                report.add("error", name, MISSING_MESSAGE)
                report.missing.add(name)
        return
    if keyword in ("dependentRequired", "dependencies") and isinstance(error.instance, dict):
        for trigger, needed in error.validator_value.items():
            if trigger in error.instance and isinstance(needed, list):
                for key in needed:
                    if key not in error.instance:
                        report.add("error", name_of(prefix, (*path, key)), f"Fill in this field when {trigger} is set.")
        return
    if path in unchecked:
        return
    report.add("error", name_of(prefix, path), message_for(error))


def message_for(error: ValidationError) -> str:
    """A plain-language message for one error; never quotes the value."""
    keyword, limit = error.validator, error.validator_value
    if keyword == "type":
        return type_message({"type": limit})
    if keyword == "minLength":
        return MISSING_MESSAGE if limit == 1 else f"Use at least {limit} characters."
    if keyword == "maxLength":
        return f"Use at most {limit} characters."
    if keyword == "pattern":
        hint = error.schema.get("x-pattern-message") if isinstance(error.schema, dict) else None
        return str(hint) if hint else f"Does not have the expected form (pattern {limit})."
    if keyword == "format":
        return FORMAT_MESSAGES.get(str(limit), f"Enter a valid {limit}.")
    if keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"):
        return {
            "minimum": f"Must be at least {limit}.",
            "maximum": f"Must be at most {limit}.",
            "exclusiveMinimum": f"Must be more than {limit}.",
            "exclusiveMaximum": f"Must be less than {limit}.",
            "multipleOf": f"Must be a multiple of {limit}.",
        }[keyword]
    if keyword == "enum":
        return "Choose one of the listed options."
    if keyword == "const":
        return "Has a value that cannot be changed here."
    if keyword in ("minItems", "maxItems"):
        return f"Add at least {limit} item{'s' if limit != 1 else ''}." if keyword == "minItems" else f"Use at most {limit} item{'s' if limit != 1 else ''}."
    if keyword == "uniqueItems":
        return "Each item must be different."
    if keyword == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {})) if isinstance(error.schema, dict) else set()
        extra = sorted(k for k in error.instance if k not in allowed)
        return f"Unknown setting{'s' if len(extra) != 1 else ''}: {', '.join(extra)} (remove in the JSON view)."
    if keyword in ("oneOf", "anyOf"):
        return "Does not match any of the options." if keyword == "anyOf" or not error.context else "Matches more than one option."
    if keyword in ("minProperties", "maxProperties"):
        return f"Needs {'at least' if keyword == 'minProperties' else 'at most'} {limit} entries."
    if keyword == "not":
        return "This value is not allowed."
    return "Is not valid here."
