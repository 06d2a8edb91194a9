"""How a form reads a (resolved) schema node: which widget, which choices, labels and order.

Only form concerns live here. What a schema means (references, variants, branches, defaults,
secrets, validation) comes from `element_studio.runtime.schema`, the one reader the runtime
and diagnostics use too, so the form can never disagree with them.
"""
from __future__ import annotations

import json
from typing import Any

from element_studio.runtime.schema import Schema, conditions, dependents, is_object, is_secret, main_type, resolve

from ..i18n import N_, _

SCALAR_TYPES = ("string", "integer", "number", "boolean")
TYPE_LABELS = {"string": N_("Text"), "integer": N_("Whole number"), "number": N_("Number"), "boolean": N_("Yes / no"),
               "object": N_("Settings"), "array": N_("List")}


def choices(root: Schema, node: dict[str, Any]) -> list[tuple[Any, str]] | None:
    """(value, label) pairs for an `enum`, or for a oneOf/anyOf made only of titled `const`s."""
    if "enum" in node and isinstance(node["enum"], list):
        labels = node.get("x-enum-labels") if isinstance(node.get("x-enum-labels"), dict) else {}
        return [(value, str(labels.get(encode_choice(value)) or value_label(value))) for value in node["enum"]]
    subs = node.get("oneOf") or node.get("anyOf")
    if isinstance(subs, list) and subs:
        resolved = [resolve(root, sub) for sub in subs]
        if all("const" in sub for sub in resolved):
            return [(sub["const"], str(sub.get("title") or value_label(sub["const"]))) for sub in resolved]
    return None


def encode_choice(value: Any) -> str:
    """How an enum value travels in a form (and keys `x-enum-labels`): strings as themselves,
    anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def value_label(value: Any) -> str:
    """How an enum value reads in a select."""
    if isinstance(value, str):
        return value
    if value is None:
        return _("none")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


GROUPS = ("object", "array", "variant")  # kinds whose fields are built inside them


def kind_of(root: Schema, node: dict[str, Any]) -> str:
    """Which widget family a (resolved) node needs."""
    if "x-element-ref" in node:
        return "ref"
    if "const" in node:
        return "const"
    if is_secret(node):
        return "secret"  # whatever it holds (a number, a choice, an object): never shown
    if choices(root, node) is not None:
        return "enum"
    if isinstance(node.get("oneOf") or node.get("anyOf"), list):
        return "variant"
    kind = main_type(node)
    if is_object(node):
        return "object"
    if kind == "array" or (kind is None and ("items" in node or "prefixItems" in node)):
        tuple_slots = isinstance(node.get("prefixItems"), list) and "items" not in node
        return "array" if isinstance(node.get("items"), dict) or tuple_slots else "any"
    if kind in SCALAR_TYPES:
        return kind
    return "any"


def variant_label(root: Schema, variant: dict[str, Any], index: int) -> str:
    """A variant's name in the selector: its title, its discriminating const, or its type."""
    if variant.get("title"):
        return str(variant["title"])
    for prop in variant.get("properties", {}).values():
        prop = resolve(root, prop)
        if "const" in prop and isinstance(prop["const"], str):
            return prop["const"]
    kind = TYPE_LABELS.get(main_type(variant) or "")
    return _(kind) if kind else _("Option %(number)s", number=index + 1)


def controllers(root: Schema, node: dict[str, Any]) -> set[str]:
    """Properties whose change may swap what an object shows: those each `if` looks at, and
    each dependency's trigger (filling it in adds the dependent fields, emptying it removes them)."""
    keys = {trigger for trigger, _schema in dependents(root, node)}
    for rule in conditions(node):
        condition = resolve(root, rule["if"])
        keys |= set(condition.get("properties", {})) | set(condition.get("required", []))
    return keys


def item_schema(root: Schema, node: dict[str, Any], index: int) -> dict[str, Any]:
    """The schema of a list's item at `index`: its `prefixItems` slot (a tuple), else `items`."""
    slots = node.get("prefixItems") if isinstance(node.get("prefixItems"), list) else []
    return resolve(root, slots[index] if index < len(slots) else node.get("items", True))


def ordered_properties(node: dict[str, Any]) -> list[str]:
    """Property names in display order: `x-order` first, then the schema's own order."""
    names = list(node.get("properties", {}))
    order = [n for n in node.get("x-order", []) if n in names]
    return order + [n for n in names if n not in order]
