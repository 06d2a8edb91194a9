"""Reading a JSON Schema the way a form needs it: kinds, variants, branches, defaults, order.

Everything here is a pure function of the schema (and sometimes a value), shared by the form
builder, the form parser and the validator, so the three always agree on which fields exist.
"""
from __future__ import annotations

import copy
from typing import Any

from jsonschema import Draft202012Validator

from element_studio.runtime.config_schema import deref, is_secret

from .paths import MISSING

SCALAR_TYPES = ("string", "integer", "number", "boolean")
_MERGED_LISTS = ("required", "x-order")
_OWN_KEYS = ("title", "description")


def resolve(root: dict[str, Any], node: Any) -> dict[str, Any]:
    """`node` with local `$ref`s followed and `allOf` folded in; {} for boolean schemas."""
    if not isinstance(node, dict):
        return {}
    node = deref(root, node)
    if "allOf" in node:
        merged = {k: v for k, v in node.items() if k != "allOf"}
        for sub in node["allOf"]:
            merged = merge_schemas(merged, resolve(root, sub))
        node = merged
    return node


def merge_schemas(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """`base` refined by `extra` (a variant or branch): properties merged one by one.

    The base's own title and description win: a property titled "Auth" stays "Auth" whichever
    variant is chosen; the variant's title names the variant instead.
    """
    result = dict(base)
    for key, value in extra.items():
        if key == "properties":
            props = dict(base.get("properties", {}))
            for name, sub in value.items():
                props[name] = merge_schemas(props[name], sub) if isinstance(props.get(name), dict) and isinstance(sub, dict) else sub
            result["properties"] = props
        elif key in _MERGED_LISTS:
            result[key] = list(dict.fromkeys([*base.get(key, []), *value]))
        elif key in _OWN_KEYS and key in base:
            continue
        else:
            result[key] = value
    return result


def main_type(node: dict[str, Any]) -> str | None:
    """The node's type; for a list like ["string", "null"] the first that is not null."""
    kind = node.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    return kind if isinstance(kind, str) else None


def choices(root: dict[str, Any], node: dict[str, Any]) -> list[tuple[Any, str]] | None:
    """(value, label) pairs for an `enum`, or for a oneOf/anyOf made only of titled `const`s."""
    if "enum" in node and isinstance(node["enum"], list):
        return [(value, value_label(value)) for value in node["enum"]]
    subs = node.get("oneOf") or node.get("anyOf")
    if isinstance(subs, list) and subs:
        resolved = [resolve(root, sub) for sub in subs]
        if all("const" in sub for sub in resolved):
            return [(sub["const"], str(sub.get("title") or value_label(sub["const"]))) for sub in resolved]
    return None


def value_label(value: Any) -> str:
    """How an enum value reads in a select."""
    if isinstance(value, str):
        return value
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def kind_of(root: dict[str, Any], node: dict[str, Any]) -> str:
    """Which widget family a (resolved) node needs."""
    if "x-element-ref" in node:
        return "ref"
    if "const" in node:
        return "const"
    if choices(root, node) is not None:
        return "enum"
    if isinstance(node.get("oneOf") or node.get("anyOf"), list):
        return "variant"
    kind = main_type(node)
    if is_secret(node) and kind in (None, "string"):
        return "secret"
    if kind == "object" or (kind is None and ("properties" in node or "if" in node)):
        return "object"
    if kind == "array" or (kind is None and "items" in node):
        return "array" if isinstance(node.get("items"), dict) else "any"
    if kind in SCALAR_TYPES:
        return kind
    return "any"


def variants_of(root: dict[str, Any], node: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """("oneOf" or "anyOf", the resolved subschemas)."""
    keyword = "oneOf" if isinstance(node.get("oneOf"), list) else "anyOf"
    return keyword, [resolve(root, sub) for sub in node.get(keyword, [])]


def without(node: dict[str, Any], *keys: str) -> dict[str, Any]:
    """A copy of `node` without the given keywords."""
    return {k: v for k, v in node.items() if k not in keys}


def variant_schema(root: dict[str, Any], node: dict[str, Any], index: int) -> dict[str, Any]:
    """The node as it is when variant `index` is chosen (base merged with the variant)."""
    keyword, variants = variants_of(root, node)
    index = min(max(index, 0), len(variants) - 1)
    return merge_schemas(without(node, "oneOf", "anyOf"), variants[index])


def variant_label(root: dict[str, Any], variant: dict[str, Any], index: int) -> str:
    """A variant's name in the selector: its title, its discriminating const, or its type."""
    if variant.get("title"):
        return str(variant["title"])
    for prop in variant.get("properties", {}).values():
        prop = resolve(root, prop)
        if "const" in prop and isinstance(prop["const"], str):
            return prop["const"]
    return {"string": "Text", "integer": "Whole number", "number": "Number", "boolean": "Yes / no",
            "object": "Settings", "array": "List"}.get(main_type(variant) or "", f"Option {index + 1}")


def validator(root: dict[str, Any], sub: dict[str, Any]) -> Draft202012Validator:
    """A validator for a subschema that can still follow the root's `#/$defs/...` references."""
    document = dict(sub)
    for key in ("$defs", "definitions"):
        if key in root and key not in document:
            document[key] = root[key]
    return Draft202012Validator(document)


def detect_variant(root: dict[str, Any], node: dict[str, Any], value: Any) -> int:
    """The variant a stored value belongs to: the first it validates against, else the closest."""
    _, variants = variants_of(root, node)
    if value is MISSING or value is None:
        value = node.get("default", MISSING)
        if value is MISSING:
            return 0
    base = without(node, "oneOf", "anyOf")
    for index, variant in enumerate(variants):
        if validator(root, merge_schemas(base, variant)).is_valid(value):
            return index
    scores = [_closeness(root, variant, value) for variant in variants]
    return scores.index(max(scores))


def _closeness(root: dict[str, Any], variant: dict[str, Any], value: Any) -> int:
    """How well a value fits a variant it does not validate against: consts first, then keys."""
    if main_type(variant) and not validator(root, {"type": variant["type"]}).is_valid(value):
        return -1
    if not isinstance(value, dict):
        return 0
    score = 0
    for key, prop in variant.get("properties", {}).items():
        prop = resolve(root, prop)
        if key in value:
            score += 100 if prop.get("const", MISSING) == value[key] else 1
    return score


def branch_of(root: dict[str, Any], node: dict[str, Any], value: Any) -> str | None:
    """"then" or "else" for an object with `if`, judged on its value; None without `if`."""
    if "if" not in node:
        return None
    test = value if isinstance(value, dict) else {}
    return "then" if validator(root, resolve(root, node["if"])).is_valid(test) else "else"


def effective_object(root: dict[str, Any], node: dict[str, Any], branch: str | None) -> dict[str, Any]:
    """An object node with its `if` branch applied (the fields the form shows for it)."""
    base = without(node, "if", "then", "else")
    if branch in ("then", "else") and isinstance(node.get(branch), dict):
        return merge_schemas(base, resolve(root, node[branch]))
    return base


def controllers(node: dict[str, Any]) -> set[str]:
    """Properties the `if` looks at: changing one of them may swap the dependent section."""
    condition = node.get("if") if isinstance(node.get("if"), dict) else {}
    return set(condition.get("properties", {})) | set(condition.get("required", []))


def known_properties(root: dict[str, Any], node: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every property any variant or branch of an object may show, with its (resolved) schema."""
    found: dict[str, dict[str, Any]] = {}
    node = resolve(root, node)
    for name, prop in node.get("properties", {}).items():
        found.setdefault(name, resolve(root, prop))
    for keyword in ("oneOf", "anyOf"):
        for sub in node.get(keyword, []) if isinstance(node.get(keyword), list) else []:
            for name, prop in known_properties(root, sub).items():
                found.setdefault(name, prop)
    for keyword in ("then", "else"):
        if isinstance(node.get(keyword), dict):
            for name, prop in known_properties(root, node[keyword]).items():
                found.setdefault(name, prop)
    return found


def ordered_properties(node: dict[str, Any]) -> list[str]:
    """Property names in display order: `x-order` first, then the schema's own order."""
    names = list(node.get("properties", {}))
    order = [n for n in node.get("x-order", []) if n in names]
    return order + [n for n in names if n not in order]


def default_for(root: dict[str, Any], node: dict[str, Any]) -> Any:
    """The value a new field (a new array item, a freshly chosen variant) starts with."""
    node = resolve(root, node)
    if "default" in node:
        return copy.deepcopy(node["default"])
    if "const" in node:
        return copy.deepcopy(node["const"])
    kind = kind_of(root, node)
    if kind == "variant":
        return default_for(root, variant_schema(root, node, 0))
    if kind == "object":
        result = {}
        effective = effective_object(root, node, branch_of(root, node, {}))
        for name in ordered_properties(effective):
            value = default_for(root, effective["properties"][name])
            if value is not MISSING and (name in effective.get("required", []) or "default" in resolve(root, effective["properties"][name]) or "const" in resolve(root, effective["properties"][name])):
                result[name] = value
        return result
    return MISSING
