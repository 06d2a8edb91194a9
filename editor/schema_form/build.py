"""Schema + value -> a tree of FormField: what the page shows for a Type's config.

Pure: no Flask, no files. What the caller knows about the world comes in a FormContext:
the names of defined environment variables (never their values), the instances a reference
field may pick, the stored config (only to say whether a secret is set) and the posted form's
markers when a section is re-rendered.
"""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from element_studio.runtime.schema import (
    branch_of,
    default_for,
    detect_variant,
    effective_object,
    holds_url_credentials,
    is_object as schema_is_object,
    known_properties,
    main_type,
    map_schema,
    resolve,
    url_password,
    validator_for,
    variant_schema,
    variants_of,
    with_url_password,
)
from element_studio.runtime.templating import PLACEHOLDER

from ..i18n import N_, _
from .hidden import URL_PASSWORD_KEPT, without_secrets
from .model import EnvRef, FormField, Option
from .paths import MISSING, Path, html_id, humanize, marker, name_of
from .schemas import GROUPS, choices, controllers, encode_choice, item_schema, kind_of, ordered_properties, variant_label
from .state import UiState
from .stored import StoredConfig
from .validate import type_message, undefined_message

INPUT_TYPES = {"email": "email", "uri": "url", "date": "date"}
REPEATS_NOTE = N_("It repeats the settings it is part of.")


@dataclass
class FormContext:
    """Everything a form needs besides the schema and the value."""

    prefix: str = "config"
    env_names: frozenset[str] = frozenset()
    refs: Mapping[str, Sequence[tuple[str, str]]] = field(default_factory=dict)
    original: Any = MISSING
    ui: UiState = field(default_factory=UiState)
    errors: Mapping[str, list[str]] = field(default_factory=dict)
    warnings: Mapping[str, list[str]] = field(default_factory=dict)


def build_form(schema: dict[str, Any], value: Any, context: FormContext | None = None) -> FormField:
    """The whole config form for `value` (the root object's fieldset has no legend)."""
    builder = _Builder(schema, context or FormContext())
    builder.open_refs.append("#")  # the root is being unfolded: a `"$ref": "#"` inside it repeats it
    return builder.field(schema, value if isinstance(value, dict) else {}, (), required=True, label="")


def env_refs(text: str, env_names: frozenset[str]) -> list[EnvRef]:
    """The placeholders of a string and whether each variable is defined."""
    names = list(dict.fromkeys(PLACEHOLDER.findall(text)))
    return [EnvRef(name, name in env_names) for name in names]


class _Builder:
    def __init__(self, schema: dict[str, Any], context: FormContext) -> None:
        self.root = schema
        self.ctx = context
        self.ui = context.ui
        self.open_refs: list[str | None] = []  # the `$ref`s being unfolded on the current path
        self.variant_levels: dict[str, int] = {}  # selectors already open at a field name
        self.variant_outer: dict[str, dict[str, Any]] = {}  # the outermost of those selectors' schemas
        self.stored = StoredConfig(schema, context.original, context.ui, context.prefix)

    def field(self, node: Any, value: Any, path: Path, *, required: bool, label: str | None = None,
              read_only: bool = False, fresh: bool = False) -> FormField:
        """One field for `node` at `path`, whatever its kind.

        Two cases become a plain JSON field (marked `$json`, so the parser reads it as JSON): a
        group that repeats a schema it is already inside (`"$ref": "#"`) and has no value, which
        would otherwise unfold forever; and a stored value whose type the field's widget cannot
        hold (text in a yes/no field), which is shown as it is, with its problem, and kept.
        """
        ref = node.get("$ref") if isinstance(node, dict) and isinstance(node.get("$ref"), str) else None
        node = resolve(self.root, node)
        name = name_of(self.ctx.prefix, path)
        shown_label = label if label is not None else str(node.get("title") or (humanize(path[-1]) if path else ""))
        item = FormField(
            kind="", name=name, id=html_id(name), path=path, label=shown_label,
            help=str(node.get("description") or ""), required=required,
            read_only=read_only or bool(node.get("readOnly")), advanced=bool(node.get("x-advanced")),
            errors=list(self.ctx.errors.get(name, [])), warnings=list(self.ctx.warnings.get(name, [])),
        )
        if value is MISSING and fresh:
            value = default_for(self.root, node)
        kind = self.stored.kind(kind_of(self.root, node), path)
        if value is MISSING and ref is not None and ref in self.open_refs:
            return self._as_json(item, node, value, _(REPEATS_NOTE))
        if not _fits(kind, value):
            wrong = not validator_for(self.root, {"type": node["type"]} if "type" in node else {}).is_valid(value)
            if wrong:
                item.errors.append(_("%(problem)s The stored value is kept until you change it.", problem=type_message(node)))
            return self._as_json(item, node, value, "")
        self.open_refs.append(ref)
        getattr(self, f"_{kind}")(item, node, value)
        self.open_refs.pop()
        for ref in item.env:
            if not ref.defined and undefined_message(ref.name) not in item.warnings:
                item.warnings.append(undefined_message(ref.name))
        return item

    def _as_json(self, item: FormField, node: dict[str, Any], value: Any, note: str) -> FormField:
        """The field as a JSON text the parser reads back as JSON (its `$json` marker)."""
        item.hidden.append((marker(item.name, "json"), "1"))
        if note:
            item.help = (item.help + " " if item.help else "") + note
        self._any(item, node, value)
        return item

    # groups ------------------------------------------------------------------------------
    def _object(self, item: FormField, node: dict[str, Any], value: Any, *, outer: dict[str, Any] | None = None,
                fresh: bool = False, quiet: frozenset[str] = frozenset()) -> None:
        """`outer`: the schema of every key the object may hold (for a variant's object, the whole
        choice): the keys the shown branch does not name are read against it."""
        item.kind = "object"
        current = value if isinstance(value, dict) else {}
        merged = {**self.ui.json(item.name, "stash"), **current}
        branch = branch_of(self.root, node, merged)
        shown_branch = self.ui.first(marker(item.name, "branch"))
        switched = fresh or (shown_branch is not None and shown_branch != branch)
        effective = effective_object(self.root, node, branch)
        shown = ordered_properties(effective)
        # only fields a switch brings in start from their defaults; those on the page stay as they are
        was_shown = set() if fresh or not switched else set(ordered_properties(effective_object(self.root, node, shown_branch)))
        watched = controllers(self.root, node)
        for key in shown:
            if key in quiet:
                continue  # a variant's fixed tag: the variant selector already says it
            child = self.field(
                effective["properties"][key], merged.get(key, MISSING), (*item.path, key),
                required=key in effective.get("required", []), read_only=item.read_only,
                fresh=switched and key not in merged and key not in was_shown,
            )
            if key in watched:
                child.refreshes = item.id
            item.children.append(child)
        outer = node if outer is None else outer
        known = known_properties(self.root, outer)
        if isinstance(value, dict):
            item.hidden.append((marker(item.name, "object"), "1"))
        if branch is not None:
            item.hidden.append((marker(item.name, "branch"), branch))
        entries = {k: v for k, v in current.items() if k not in known and map_schema(effective, k) is not None}
        if map_schema(effective) is not None:
            item.children.append(self._map(item, effective, entries))
        extra = {k: v for k, v in current.items() if k not in known and k not in entries}
        if not switched:  # stored keys the shown branch or variant does not name are kept as they are
            extra.update({k: v for k, v in current.items() if k in known and k not in shown})
        whole_secret = self.stored.is_secret(item.path)  # the runtime holds all of it secret: nothing hidden travels
        if extra:  # parse puts the secrets (all of it, for a whole secret) back from the file
            stripped = None if whole_secret else without_secrets(self.root, outer, extra, keep_places=True)
            extra = dict.fromkeys(extra) if stripped is None else stripped
            item.hidden.append((marker(item.name, "extra"), json.dumps(extra, ensure_ascii=False)))
        stash = {k: v for k, v in merged.items() if k in known and k not in shown and not whole_secret}
        stash = (without_secrets(self.root, outer, stash) or {}) if stash else stash
        if stash:
            item.hidden.append((marker(item.name, "stash"), json.dumps(stash, ensure_ascii=False)))
            item.hidden.extend(self.ui.markers_under([name_of(self.ctx.prefix, (*item.path, key)) for key in stash], "from"))

    def _map(self, group: FormField, node: dict[str, Any], entries: dict[str, Any]) -> FormField:
        """The keys an object may have beyond its `properties` (a map: `additionalProperties` with
        a schema, `patternProperties`), each a name field next to its value's field. A value's
        field is named by the key it had when the page was built, also when the form is built
        again after a rename (UiState.page_key); its `$key` field holds the key as typed, so a
        rename is read on save (parse._entries) and messages find the fields the page has."""
        items = FormField(kind="map", name=marker(group.name, "map"), id=f"{group.id}-map", path=group.path,
                          label=_("Other entries"), read_only=group.read_only, add_label=_("Add entry"))
        items.extra["object"] = group.name
        items.extra["object_label"] = group.label
        new_schema = resolve(self.root, map_schema(node))
        new_value = default_for(self.root, new_schema)
        if new_value is MISSING:
            new_value = "" if kind_of(self.root, new_schema) in ("string", "ref") else None
        items.extra["new_value"] = without_secrets(self.root, new_schema, new_value)
        for number, (key, value) in enumerate(entries.items(), start=1):
            built = (*group.path, self.ui.page_key(group.name, key))  # where the page has it (UiState.page_key)
            entry_name = name_of(self.ctx.prefix, built)
            key_name = marker(entry_name, "key")
            typed = self.ui.first(key_name)
            key_field = FormField(kind="text", name=key_name, id=html_id(key_name),
                                  path=built, label=_("Name of entry %(number)s", number=number), value=str(key) if typed is None else typed,
                                  read_only=group.read_only, errors=list(self.ctx.errors.get(key_name, [])))
            child = self.field(map_schema(node, key), value, built, required=False, label=_("Value of entry %(number)s", number=number),
                               read_only=group.read_only)
            items.children.append(FormField(kind="entry", name=marker(entry_name, "entry"), id=f"{html_id(entry_name)}-entry",
                                            path=built, label=str(key), children=[key_field, child]))
        return items

    def _variant(self, item: FormField, node: dict[str, Any], value: Any) -> None:
        """A selector and the chosen variant's field. A variant that is itself a choice (a oneOf
        branch that `$ref`s an anyOf) nests a second selector at the same path: its markers and
        ids carry the nesting level (`$variant2`, `-v2`), so no two controls share a name."""
        level = self.variant_levels.get(item.name, 0)
        suffix = str(level + 1) if level else ""
        keyword, variants = variants_of(self.root, node)
        shown = self.ui.index(item.name, "shown" + suffix)
        chosen = self.ui.index(item.name, "variant" + suffix)
        if chosen is None or chosen >= len(variants):
            chosen = shown if shown is not None and shown < len(variants) else detect_variant(self.root, node, value)
        switched = shown is not None and shown != chosen and shown < len(variants)
        effective = variant_schema(self.root, node, chosen)
        is_object = kind_of(self.root, effective) == "object"
        stash = self.ui.json(item.name, "vstash" + suffix)
        if switched:  # from one object to another (perhaps a choice of objects) the values stay
            left = variant_schema(self.root, node, shown)
            if not (schema_is_object(effective) and schema_is_object(left)):
                if value is not MISSING and kind_of(self.root, left) != "secret":
                    stash[str(shown)] = without_secrets(self.root, left, value)
                value = stash.pop(str(chosen), MISSING)
        item.kind = "variant"
        item.id = f"{html_id(item.name)}-v{suffix}"
        item.options = [Option(str(i), variant_label(self.root, v, i), i == chosen) for i, v in enumerate(variants)]
        item.extra = {"select_name": marker(item.name, "variant" + suffix), "select_id": html_id(marker(item.name, "variant" + suffix))}
        item.hidden.append((marker(item.name, "shown" + suffix), str(chosen)))
        if stash:
            item.hidden.append((marker(item.name, "vstash" + suffix), json.dumps(stash, ensure_ascii=False)))
            if not level and kind_of(self.root, effective) not in GROUPS:  # a stashed list keeps which stored item each item is
                item.hidden.extend(self.ui.markers_under([item.name], "from"))
        child = FormField(kind="", name=item.name, id=html_id(item.name), path=item.path, label=item.label,
                          required=item.required, read_only=item.read_only, errors=item.errors, warnings=item.warnings)
        item.errors, item.warnings = [], []
        if value is MISSING and switched:
            value = default_for(self.root, effective)
        raw = node[keyword][chosen] if chosen < len(node.get(keyword, [])) else None
        ref = raw.get("$ref") if isinstance(raw, dict) and isinstance(raw.get("$ref"), str) else None
        if value is MISSING and ref is not None and ref in self.open_refs:
            item.children = [self._as_json(child, effective, value, _(REPEATS_NOTE))]
            return
        self.open_refs.append(ref)
        self.variant_levels[item.name] = level + 1
        outer = self.variant_outer.setdefault(item.name, node)  # a nested selector's keys are the whole choice's
        if is_object:
            child.help = str(variants[chosen].get("description") or "")
            self._object(child, effective, value, outer=outer, fresh=switched,
                         quiet=_discriminators(self.root, variants))
            child.label = ""
        else:
            child = self.field(effective, value, item.path, required=item.required, label=item.label, read_only=item.read_only)
            child.help = str(variants[chosen].get("description") or "")
        self.variant_levels[item.name] = level
        if not level:
            del self.variant_outer[item.name]
        self.open_refs.pop()
        item.children = [child]

    def _array(self, item: FormField, node: dict[str, Any], value: Any) -> None:
        item.kind = "array"
        items_node = resolve(self.root, node.get("items", True))  # a tuple without `items`: anything after its places
        values = value if isinstance(value, list) else []
        tuple_slots = isinstance(node.get("prefixItems"), list)  # each place has its own meaning
        if tuple_slots:
            self.stored.fix(item.path, len(node["prefixItems"]))
        posted = self.stored.origins(item.path)
        origins = list(range(len(values))) if posted is None else [*posted[:len(values)], *[None] * (len(values) - len(posted))]
        item_label = str(items_node.get("title") or _("Item"))
        slots = node.get("prefixItems") if tuple_slots else []
        for index, entry in enumerate(values):
            schema = item_schema(self.root, node, index)
            label = str(schema.get("title") or "") if index < len(slots) else ""  # a tuple's place is named by its own title
            child = self.field(schema, entry, (*item.path, index), required=False,
                               label=label or f"{item_label} {index + 1}", read_only=item.read_only)
            child.item_index, child.item_count = index, len(values)
            child.extra["fixed"] = index < len(slots)  # a tuple's place stays: no removing it
            item.children.append(child)
        if isinstance(value, list):
            item.hidden.append((marker(item.name, "array"), "1"))
            item.hidden.append((marker(item.name, "from"), json.dumps(origins)))  # which stored item each is (StoredConfig.where)
        item.can_add = not item.read_only and len(values) < node.get("maxItems", float("inf"))
        item.can_remove = not item.read_only and len(values) > node.get("minItems", 0)
        item.can_move = not item.read_only and not tuple_slots
        item.add_label = _("Add %(item)s", item=item_label[:1].lower() + item_label[1:]) if item_label != _("Item") else _("Add item")
        new_item = default_for(self.root, items_node)
        if new_item is MISSING:
            new_item = "" if kind_of(self.root, items_node) in ("string", "ref") else None
        item.extra["new_item"] = without_secrets(self.root, items_node, new_item)

    # scalars -----------------------------------------------------------------------------
    def _string(self, item: FormField, node: dict[str, Any], value: Any) -> None:
        text = _text(value)
        if holds_url_credentials(node):
            text = self._without_saved_password(item, text)
        item.kind = "textarea" if node.get("x-widget") == "textarea" or "\n" in text or "\r" in text else "text"
        item.input_type = INPUT_TYPES.get(str(node.get("format")), "text")
        if item.input_type == "date" and text and not _iso_date(text):
            item.input_type = "text"  # a date input would silently empty what it cannot parse
        item.value = text
        item.placeholder = _placeholder(node)
        item.env = env_refs(text, self.ctx.env_names)
        for keyword, attr in (("minLength", "minlength"), ("maxLength", "maxlength")):
            if isinstance(node.get(keyword), int):
                item.attrs[attr] = str(node[keyword])
        if isinstance(node.get("pattern"), str):
            item.attrs["pattern"] = f"(?:{node['pattern']})|.*\\{{\\{{.*\\}}\\}}.*"

    def _without_saved_password(self, item: FormField, text: str) -> str:
        """A URL's password never reaches the browser (see shown_url_password)."""
        password = url_password(text)
        if password is None:
            return text
        shown = shown_url_password(password, self.stored.at(item.path))
        note = (f"The password in this URL is saved and not shown: {URL_PASSWORD_KEPT} keeps it, typing another replaces it."
                if shown else "A password typed but not saved is not sent back: type it again.")
        item.help = (item.help + " " if item.help else "") + note
        return with_url_password(text, shown)

    def _ref(self, item: FormField, node: dict[str, Any], value: Any) -> None:
        text = _text(value)
        item.kind = "ref"
        item.ref_family = str(node["x-element-ref"])
        known = list(self.ctx.refs.get(item.ref_family, []))
        item.options = [Option("", _("Choose…"), not text)]
        for full_name, title in known:
            shown = f"{title} ({full_name})" if title and title != full_name else full_name
            item.options.append(Option(full_name, shown, full_name == text))
        item.ref_found = any(full_name == text for full_name, _title in known)
        if text and not item.ref_found:
            item.options.append(Option(text, f"{text} (not found)", True))
            if not PLACEHOLDER.search(text) and not item.errors:  # a review's error already says why
                item.warnings.append(_("There is no %(name)s among the instances of %(family)s.", name=text, family=item.ref_family))
        item.value = text
        item.env = env_refs(text, self.ctx.env_names)

    def _integer(self, item: FormField, node: dict[str, Any], value: Any) -> None:
        self._number(item, node, value, step="1")

    def _number(self, item: FormField, node: dict[str, Any], value: Any, step: str = "any") -> None:
        item.kind, item.input_type = "number", "number"
        item.value = "" if value is MISSING or value is None else (json.dumps(value) if isinstance(value, bool) else str(value))
        item.attrs["step"] = str(node["multipleOf"]) if isinstance(node.get("multipleOf"), (int, float)) and step == "any" else step
        for keyword, attr in (("minimum", "min"), ("exclusiveMinimum", "min"), ("maximum", "max"), ("exclusiveMaximum", "max")):
            if isinstance(node.get(keyword), (int, float)) and not isinstance(node[keyword], bool):
                item.attrs[attr] = str(node[keyword])
        item.placeholder = _placeholder(node)

    def _boolean(self, item: FormField, node: dict[str, Any], value: Any) -> None:
        item.kind = "checkbox"
        item.checked = value is True or (value is MISSING and node.get("default") is True)
        item.hidden.append((marker(item.name, "set"), "1" if isinstance(value, bool) else ""))

    def _enum(self, item: FormField, node: dict[str, Any], value: Any) -> None:
        options = choices(self.root, node) or []
        current = value if value is not MISSING else node.get("default", MISSING)
        item.kind = "radios" if node.get("x-widget") == "radios" else "select"
        if item.kind == "select" and (not item.required or current is MISSING):
            item.options.append(Option("", _("Choose…") if item.required else "—", current is MISSING))
        for choice, label in options:
            item.options.append(Option(encode_choice(choice), label, current is not MISSING and choice == current and type(choice) is type(current)))
        if current is not MISSING and not any(o.selected for o in item.options):
            item.options.append(Option(encode_choice(current), f"{_text(current)} (not allowed)", True))
        item.value = encode_choice(current) if current is not MISSING else ""
        item.hidden.append((marker(item.name, "set"), "" if value is MISSING else "1"))

    def _const(self, item: FormField, node: dict[str, Any], value: Any) -> None:
        item.kind = "const"
        item.display = _text(node["const"])

    def _secret(self, item: FormField, node: dict[str, Any], value: Any) -> None:
        stored = self.stored.at(item.path)
        item.kind, item.input_type = "secret", "password"
        item.secret_set = stored is not MISSING and stored not in (None, "")
        item.secret_mode = self.ui.secret_mode(item.name) or ("keep" if item.secret_set else "replace")
        if isinstance(stored, str) and PLACEHOLDER.fullmatch(stored.strip()):
            item.secret_source = stored.strip()  # a placeholder names a variable; it holds no secret
            item.env = env_refs(stored, self.ctx.env_names)
        item.placeholder = str(node.get("x-placeholder") or "")
        for keyword, attr in (("minLength", "minlength"), ("maxLength", "maxlength")):
            if isinstance(node.get(keyword), int):
                item.attrs[attr] = str(node[keyword])

    def _any(self, item: FormField, node: dict[str, Any], value: Any) -> None:
        item.kind = "json"
        item.value = "" if value is MISSING else json.dumps(value, indent=2, ensure_ascii=False)
        item.help = (item.help + " " if item.help else "") + _("Any JSON value.")


def shown_url_password(password: str, saved: Any) -> str:
    """What the browser gets for the password in a URL: URL_PASSWORD_KEPT for the saved one
    (posting it back keeps it, see parse.py), nothing for one typed but not saved yet (like any
    secret, it is not sent back)."""
    saved_password = url_password(saved)
    return URL_PASSWORD_KEPT if saved_password is not None and password in (saved_password, URL_PASSWORD_KEPT) else ""


def _discriminators(root: dict[str, Any], variants: list[dict[str, Any]]) -> frozenset[str]:
    """Properties that are a `const` in every variant: they tell the variants apart."""
    keys = None
    for variant in variants:
        consts = {k for k, p in variant.get("properties", {}).items() if "const" in resolve(root, p)}
        keys = consts if keys is None else keys & consts
    return frozenset(keys or ())


_HOLDS = {
    "string": (str,), "ref": (str,), "integer": (int, float), "number": (int, float), "boolean": (bool,),
    "object": (dict,), "array": (list,),
}


def _fits(kind: str, value: Any) -> bool:
    """Whether the widget for `kind` can show `value` and post it back unchanged (a null in a
    scalar field is kept by the parser: it shows as empty)."""
    if value is MISSING or kind not in _HOLDS or (value is None and kind not in ("object", "array")):
        return True
    if isinstance(value, bool):
        return kind == "boolean"
    return isinstance(value, _HOLDS[kind])


def _text(value: Any) -> str:
    if value is MISSING or value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _placeholder(node: dict[str, Any]) -> str:
    """x-placeholder, else the first example, else the default (what an empty field means)."""
    if node.get("x-placeholder"):
        return str(node["x-placeholder"])
    examples = node.get("examples")
    if isinstance(examples, list) and examples:
        return _text(examples[0])
    if "default" in node and node["default"] not in ("", None) and main_type(node) != "object":
        return _text(node["default"])
    return ""


def _iso_date(text: str) -> bool:
    from datetime import date

    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10
