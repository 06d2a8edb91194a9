"""A posted form -> typed JSON, guided by the schema (the browser's strings become the JSON types).

Rules that keep a save without edits from changing the file:
- an empty optional field stays absent (unless the stored file held "" there);
- a checkbox or select showing a default the file did not hold stays absent while unchanged;
- a secret left on "keep" keeps the stored value, which never went to the browser.
Text that cannot become the field's type (a number field holding "abc", broken JSON) is kept
as typed, with a problem for that field, so the form can show it again with the error.
"""
from __future__ import annotations

import copy
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from element_studio.runtime.json_files import TooDeeplyNested, loads_bounded
from element_studio.runtime.schema import (
    effective_object,
    holds_url_credentials,
    main_type,
    map_schema,
    resolve,
    url_password,
    variant_schema,
    with_url_password,
)

from ..i18n import _
from .build import encode_choice
from .hidden import URL_PASSWORD_KEPT, with_saved_secrets
from .paths import MISSING, Path, marker, name_of
from .schemas import choices, item_schema, kind_of, ordered_properties
from .state import UiState, as_lists
from .stored import StoredConfig

INTEGER = re.compile(r"[+-]?\d+")


@dataclass
class Parsed:
    """The typed value and the fields whose text could not be read (name -> message)."""

    value: dict[str, Any]
    problems: dict[str, str] = field(default_factory=dict)


def parse_form(schema: dict[str, Any], form: Any, *, original: Any = MISSING, prefix: str = "config",
               resolve_secrets: bool = True) -> Parsed:
    """Typed JSON from a posted form. With `resolve_secrets=False` secrets are left out entirely
    (for re-rendering a section, where a stored secret must not travel anywhere)."""
    parser = _Parser(schema, UiState(as_lists(form)), original, prefix, resolve_secrets)
    value = parser.value(schema, (), required=True)
    return Parsed(value if isinstance(value, dict) else {}, parser.problems)


class _Parser:
    def __init__(self, schema: dict[str, Any], ui: UiState, original: Any, prefix: str, resolve_secrets: bool) -> None:
        self.root = schema
        self.ui = ui
        self.prefix = prefix
        self.resolve_secrets = resolve_secrets
        self.problems: dict[str, str] = {}
        self.implicit: set[str] = set()  # values shown by default, not chosen (see _object)
        self.variant_levels: dict[str, int] = {}  # nested selectors at one name (see build._variant)
        self.variant_outer: dict[str, dict[str, Any]] = {}  # the outermost of them (see build._object)
        self.stored = StoredConfig(schema, original, ui, prefix)

    def value(self, node: Any, path: Path, *, required: bool, in_array: bool = False) -> Any:
        """The value of the field at `path`, or MISSING when it was not on the form or is empty."""
        node = resolve(self.root, node)
        name = name_of(self.prefix, path)
        if node.get("readOnly"):
            return copy.deepcopy(self.stored.at(path))  # never trust the browser with these
        value = self._typed(node, path, name, required=required, in_array=in_array)
        if value is MISSING and self.stored.at(path) is None and self._shown_empty(name):
            return None  # a stored null left empty stays null
        return value

    def _shown_empty(self, name: str) -> bool:
        """Whether the field was on the form and came back empty (not merely left off the page)."""
        raw = self.ui.first(name)
        return raw is not None and raw.strip() in ("", "null") or self.ui.has(marker(name, "set"))

    def _typed(self, node: dict[str, Any], path: Path, name: str, *, required: bool, in_array: bool) -> Any:
        if self.ui.has(marker(name, "json")):
            raw = self.ui.first(name)
            return MISSING if raw is None or raw.strip() == "" else self._json(name, raw.replace("\r\n", "\n"))
        kind = self.stored.kind(kind_of(self.root, node), path)
        if kind == "object":
            return self._object(node, path, name)
        if kind == "variant":
            level = self.variant_levels.get(name, 0)
            shown = self.ui.index(name, "shown" + (str(level + 1) if level else ""))
            if shown is None:
                return MISSING
            effective = variant_schema(self.root, node, shown)
            self.variant_levels[name] = level + 1
            self.variant_outer.setdefault(name, node)
            value = self.value(effective, path, required=required, in_array=in_array)
            self.variant_levels[name] = level
            if not level:
                del self.variant_outer[name]
            return value
        if kind == "array":
            return self._array(node, path, name)
        if kind == "secret":
            return self._secret(node, path, name)
        if kind == "const":
            if required or in_array or self.stored.at(path) == node["const"]:
                return copy.deepcopy(node["const"])
            return MISSING
        raw = self.ui.first(name)
        if kind == "boolean":
            return self._boolean(node, name, raw, required or in_array)
        if raw is None:
            return MISSING
        raw = raw.replace("\r\n", "\n")
        if kind in ("string", "ref"):
            if self.resolve_secrets and holds_url_credentials(node):
                raw = self._saved_url_password(path, raw)
            return self._string(node, path, raw, required, in_array)
        if raw.strip() == "":
            return MISSING
        if kind in ("integer", "number"):
            return self._number(name, raw, kind)
        if kind == "enum":
            return self._enum(node, path, name, raw, required or in_array)
        return self._json(name, raw)

    def _object(self, node: dict[str, Any], path: Path, name: str) -> Any:
        present = self.ui.has(marker(name, "object"))
        if path and not present and not self.ui.submitted_under(name):
            return MISSING
        branch = self.ui.first(marker(name, "branch"))
        effective = effective_object(self.root, node, branch)
        result: dict[str, Any] = {}
        chosen = False  # did the user give any value, or only see defaults and fixed consts?
        for key in ordered_properties(effective):
            sub = effective["properties"][key]
            item = self.value(sub, (*path, key), required=key in effective.get("required", []))
            if item is not MISSING:
                result[key] = item
                chosen = chosen or (kind_of(self.root, resolve(self.root, sub)) != "const"
                                    and name_of(self.prefix, (*path, key)) not in self.implicit)
        for key, item in self._entries(effective, path, name).items():
            result.setdefault(key, item)
            chosen = True
        outer, stored = self.variant_outer.get(name, node), self.stored.at(path)
        whole_secret = self.stored.is_secret(path)  # nothing of it went to the page (build._object)
        for key, item in self.ui.json(name, "extra").items():
            if self.resolve_secrets and isinstance(stored, dict) and key in stored:
                item = (copy.deepcopy(stored[key]) if whole_secret
                        else with_saved_secrets(self.root, outer, {key: item}, {key: stored[key]})[key])
            result.setdefault(key, item)
        if path and not present and not chosen:
            return MISSING  # an absent optional group stays absent until something is filled in
        return result

    def _entries(self, node: dict[str, Any], path: Path, name: str) -> dict[str, Any]:
        """A map's entries (build._map): each `<name>/<key>/$key` field posted is one entry, under
        the key as typed now, with the value posted under the key it was built with. An entry
        whose new key cannot be used keeps its old one (and a problem on its `$key` field), so
        the form shows it again as typed instead of losing it."""
        found: dict[str, Any] = {}
        for field_name, old_key, new_key in self.ui.entry_keys(name):
            key = new_key
            if not new_key:
                self.problems[field_name] = _("Enter a name for this entry.")
                key = old_key
            elif new_key in found or new_key in _properties_of(node):
                self.problems[field_name] = _("There is already an entry named %(key)s.", key=new_key)
                key = old_key
            if key in found:
                continue
            sub = map_schema(node, key) or map_schema(node) or {}  # the key says what its value is
            value = self.value(sub, (*path, old_key), required=False, in_array=True)
            found[key] = ("" if kind_of(self.root, resolve(self.root, sub)) in ("string", "ref") else None) if value is MISSING else value
        return found

    def _array(self, node: dict[str, Any], path: Path, name: str) -> Any:
        indices = self.ui.indices_under(name)
        if not indices and not self.ui.has(marker(name, "array")):
            return MISSING
        if isinstance(node.get("prefixItems"), list):
            self.stored.fix(path, len(node["prefixItems"]))
        items = []
        for place, index in enumerate(indices):
            items_node = item_schema(self.root, node, place)
            item = self.value(items_node, (*path, index), required=True, in_array=True)
            if item is MISSING:
                kind = kind_of(self.root, items_node)
                item = "" if kind in ("string", "ref") or kind == "secret" and main_type(items_node) in (None, "string") else None
            items.append(item)
        return items

    def _secret(self, node: dict[str, Any], path: Path, name: str) -> Any:
        """A secret typed as text becomes its schema's type: a secret number or object is typed
        as it would be written in JSON."""
        typed, mode = self.ui.first(name), self.ui.secret_mode(name)
        if not self.resolve_secrets or (typed is None and mode is None):
            return MISSING
        stored = copy.deepcopy(self.stored.at(path))
        if mode == "clear":
            return MISSING
        if mode == "keep" or not typed:
            return stored
        kind = main_type(node)
        if kind in ("integer", "number"):
            return self._number(name, typed, kind)
        if kind is None and isinstance(node.get("enum"), list):  # a choice typed as it reads
            return next((choice for choice in node["enum"] if encode_choice(choice) == typed), typed)
        return typed if kind in (None, "string") else self._json(name, typed)

    def _boolean(self, node: dict[str, Any], name: str, raw: str | None, must: bool) -> Any:
        was_set = self.ui.first(marker(name, "set"))
        if raw is None and was_set is None:
            return MISSING
        checked = raw is not None
        if was_set != "1" and checked == node.get("default", False):
            if not must:
                return MISSING
            self.implicit.add(name)
        return checked

    def _saved_url_password(self, path: Path, raw: str) -> str:
        """A URL whose password was left as the form showed it gets the saved password back."""
        saved = url_password(self.stored.at(path))
        if saved is not None and url_password(raw) == URL_PASSWORD_KEPT:
            return with_url_password(raw, saved)
        return raw

    def _string(self, node: dict[str, Any], path: Path, raw: str, required: bool, in_array: bool) -> Any:
        stored = self.stored.at(path)
        if isinstance(stored, str) and raw == stored.replace("\r\n", "\n").replace("\r", "\n"):
            return stored  # a browser posts every line break as CRLF: the stored ones are kept as they were
        if raw == "" and stored is None:
            return None  # a stored null left empty (also as a list item or map entry) stays null
        if raw != "" or in_array:
            return raw
        if not required and self.stored.at(path) == "":
            return ""
        return MISSING

    def _number(self, name: str, raw: str, kind: str) -> Any:
        text = raw.strip()
        if INTEGER.fullmatch(text):
            return int(text)
        try:
            number = float(text)
        except ValueError:
            number = math.nan
        if math.isnan(number) or math.isinf(number):
            self.problems[name] = _("Enter a whole number.") if kind == "integer" else _("Enter a number.")
            return raw
        if kind == "integer":
            if number.is_integer():
                return int(number)
            self.problems[name] = _("Enter a whole number.")
        return number

    def _enum(self, node: dict[str, Any], path: Path, name: str, raw: str, must: bool) -> Any:
        stored = self.stored.at(path)
        value: Any = copy.deepcopy(stored) if stored is not MISSING and encode_choice(stored) == raw else raw
        for choice, _label in choices(self.root, node) or []:
            if encode_choice(choice) == raw and (choice == stored and type(choice) is type(stored) or value is raw):
                value = choice
                break
        if self.ui.first(marker(name, "set")) == "" and value == node.get("default", MISSING):
            if not must:
                return MISSING
            self.implicit.add(name)
        return value

    def _json(self, name: str, raw: str) -> Any:
        try:
            return loads_bounded(raw)
        except json.JSONDecodeError as exc:
            self.problems[name] = _("Not valid JSON: %(problem)s (line %(line)s, column %(column)s).", problem=exc.msg, line=exc.lineno, column=exc.colno)
            return raw
        except TooDeeplyNested as exc:
            self.problems[name] = _("This JSON is %(problem)s.", problem=exc)
            return raw


def _properties_of(node: dict[str, Any]) -> dict[str, Any]:
    props = node.get("properties")
    return props if isinstance(props, dict) else {}
