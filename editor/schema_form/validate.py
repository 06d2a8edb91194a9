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

from ..i18n import N_, _, ngettext
from .paths import Path, name_of

FORMAT_MESSAGES = {
    "email": N_("Enter an email address, like name@example.com."),
    "uri": N_("Enter a full URL, like https://example.com/path."),
    "date": N_("Enter a date as YYYY-MM-DD."),
    "date-time": N_("Enter a date and time, like 2024-05-01T09:30:00Z."),
    "ipv4": N_("Enter an IPv4 address, like 192.168.1.10."),
    "hostname": N_("Enter a host name, like example.com."),
}
TYPE_MESSAGES = {
    "integer": N_("Enter a whole number."),
    "number": N_("Enter a number."),
    "string": N_("Enter text."),
    "boolean": N_("Choose yes or no."),
    "object": N_("Expected a group of settings here."),
    "array": N_("Expected a list here."),
    "null": N_("Expected no value here."),
}
RANGE_MESSAGES = {
    "minimum": N_("Must be at least %(limit)s."),
    "maximum": N_("Must be at most %(limit)s."),
    "exclusiveMinimum": N_("Must be more than %(limit)s."),
    "exclusiveMaximum": N_("Must be less than %(limit)s."),
    "multipleOf": N_("Must be a multiple of %(limit)s."),
}
MISSING_MESSAGE = N_("Fill in this field.")


def type_message(node: dict[str, Any]) -> str:
    """What a field of this schema node wants, said for a value of the wrong type."""
    wanted = node.get("type")
    wanted = next((t for t in wanted if t != "null"), "null") if isinstance(wanted, list) else wanted
    return _(TYPE_MESSAGES.get(str(wanted), N_("Has the wrong kind of value.")))


def undefined_message(variable: str) -> str:
    """The warning for a `{{VAR}}` whose variable is set nowhere (the same text everywhere)."""
    return _("%(variable)s is not defined: set it in the environment or the app's .env file.", variable=variable)


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
            name in self.missing and msgs == [_(MISSING_MESSAGE)] for name, msgs in self.errors.items()
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
                report.add("error", name, _(MISSING_MESSAGE))
                report.missing.add(name)
        return
    if keyword in ("dependentRequired", "dependencies") and isinstance(error.instance, dict):
        for trigger, needed in error.validator_value.items():
            if trigger in error.instance and isinstance(needed, list):
                for key in needed:
                    if key not in error.instance:
                        report.add("error", name_of(prefix, (*path, key)), _("Fill in this field when %(field)s is set.", field=trigger))
        return
    if path in unchecked:
        return
    report.add("error", name_of(prefix, path), message_for(error))


def message_for(error: ValidationError) -> str:
    """A plain-language message for one error, in the reader's language; never quotes the value."""
    keyword, limit = error.validator, error.validator_value
    if keyword == "type":
        return type_message({"type": limit})
    if keyword == "minLength":
        return _(MISSING_MESSAGE) if limit == 1 else _("Use at least %(limit)s characters.", limit=limit)
    if keyword == "maxLength":
        return _("Use at most %(limit)s characters.", limit=limit)
    if keyword == "pattern":
        hint = error.schema.get("x-pattern-message") if isinstance(error.schema, dict) else None
        return str(hint) if hint else _("Does not have the expected form (pattern %(pattern)s).", pattern=limit)
    if keyword == "format":
        known = FORMAT_MESSAGES.get(str(limit))
        return _(known) if known else _("Enter a valid %(format)s.", format=limit)
    if keyword in RANGE_MESSAGES:
        return _(RANGE_MESSAGES[keyword], limit=limit)
    if keyword == "enum":
        return _("Choose one of the listed options.")
    if keyword == "const":
        return _("Has a value that cannot be changed here.")
    if keyword == "minItems":
        return ngettext("Add at least %(num)s item.", "Add at least %(num)s items.", limit)
    if keyword == "maxItems":
        return ngettext("Use at most %(num)s item.", "Use at most %(num)s items.", limit)
    if keyword == "uniqueItems":
        return _("Each item must be different.")
    if keyword == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {})) if isinstance(error.schema, dict) else set()
        extra = sorted(k for k in error.instance if k not in allowed)
        return ngettext("Unknown setting: %(names)s (remove in the JSON view).", "Unknown settings: %(names)s (remove in the JSON view).",
                        len(extra), names=", ".join(extra))
    if keyword in ("oneOf", "anyOf"):
        if keyword == "anyOf" or not error.context:
            return _("Does not match any of the options.")
        return _("Matches more than one option.")
    if keyword == "minProperties":
        return ngettext("Needs at least %(num)s entry.", "Needs at least %(num)s entries.", limit)
    if keyword == "maxProperties":
        return ngettext("Needs at most %(num)s entry.", "Needs at most %(num)s entries.", limit)
    if keyword == "not":
        return _("This value is not allowed.")
    return _("Is not valid here.")
