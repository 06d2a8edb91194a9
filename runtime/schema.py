"""A Type's config contract (`config.schema.json`), read one way by the runtime, the editor and diagnostics.

Everything that gives a schema meaning lives here: references, variants, defaults, secrets,
references to other elements, validation. Two readers that disagree on "what is a secret" leak
it, and two that disagree on a default write files the runtime reads differently, so there is
no second copy anywhere (the editor's `schema_form` only builds and parses forms on top of this).

Schemas are JSON Schema 2020-12 documents unless their `$schema` names an older draft
(draft-04 to 2019-09 are read with that draft's rules: tuple `items: [...]`, `dependencies`);
any subschema may be a boolean (`true` allows anything, `false` nothing). References are local
(`#`, `#/$defs/...`, any JSON Pointer); a reference cycle (`"$ref": "#"`) is followed once per
path, never into a RecursionError.
"""
from __future__ import annotations

import copy
import functools
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import SchemaError
from jsonschema.protocols import Validator
from referencing.exceptions import Unresolvable

from .errors import ConfigInvalidError, InvalidJsonError
from .quick_validity import quick_check
from .templating import PLACEHOLDER

SCHEMA_FILE = "config.schema.json"
FORMAT_CHECKER = Draft202012Validator.FORMAT_CHECKER
"""The one format checker (`uri` included, through rfc3986-validator) for check, load and form."""

Schema = dict[str, Any] | bool
Path = tuple[str | int, ...]
_NOTHING: dict[str, Any] = {"not": {}}
_MERGED_LISTS = ("required", "x-order")
_OWN_KEYS = ("title", "description")
_VARIANTS = ("oneOf", "anyOf")
_RULE = ("if", "then", "else")
_DEPENDENCIES = ("dependentRequired", "dependentSchemas", "dependencies")  # `dependencies`: draft-07 and older
_CONDITIONAL = (*_RULE, "allOf", *_DEPENDENCIES)
_DEPENDENCY_WORD = re.compile(r"dep(\d+)(?:\.(\d+))?")
_DEEPEST = 64  # schema nodes on one path of default_for: a cycle through merged copies ends here
URL_FORMATS = ("uri", "iri")
_URL_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:(?P<password>[^@/\s]*)@")


class _Missing:
    """No value at all (distinct from None, which is JSON null): "this schema has no default"."""

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False

    def __copy__(self) -> _Missing:
        return self

    def __deepcopy__(self, memo: dict) -> _Missing:
        return self  # a copy of "nothing" must still be MISSING (identity checks)


MISSING: Any = _Missing()


class RememberedSchema(dict):
    """A schema nobody changes, with what reading it costs remembered: App's one parsed copy of
    each version of a Type's schema, which every config load and status of its instances reads.

    A thousand robots of one Type walk the same schema a thousand times; each function below that
    depends on the schema alone (a node resolved, its variants and branches, the subschemas of a
    property, a default, the validator) answers once per node for it. Nodes are remembered by
    identity, and each entry keeps its node alive, so no other node can take its identity.
    """

    __slots__ = ("memo", "computing")

    def __init__(self, schema: dict[str, Any]) -> None:
        super().__init__(schema)
        self.memo: dict[tuple[str, int, Any], tuple[Any, Any]] = {}
        self.computing = threading.RLock()


def _once(root: RememberedSchema, kind: str, node: Any, compute: Callable[[], Any], key: Any = None) -> Any:
    """`compute()` for `node` (and `key`) of a remembered schema, computed by one thread only:
    the first 64 robots load at once, and each compiling the quick check of their schema left
    30 MB of garbage (the collector is paused while they boot)."""
    entry = (kind, id(node), key)
    found = root.memo.get(entry)
    if found is None:
        with root.computing:
            found = root.memo.get(entry)
            if found is None:
                found = root.memo[entry] = (node, compute())
    return found[1]


def _fresh(value: Any) -> Any:
    """A copy of a remembered default for a caller that may change it."""
    return value if isinstance(value, (str, int, float, bool, type(None), _Missing)) else copy.deepcopy(value)


# references --------------------------------------------------------------------------------
def _target(root: Schema, ref: str) -> Schema | None:
    """The subschema a local reference points at; None when it points nowhere in the document."""
    if not ref.startswith("#"):
        return None
    target: Any = root
    pointer = unquote(ref[1:])
    if pointer and not pointer.startswith("/"):
        return None  # a named anchor: not used by config schemas
    for part in pointer.split("/")[1:] if pointer else []:
        part = part.replace("~1", "/").replace("~0", "~")
        if isinstance(target, dict) and part in target:
            target = target[part]
        elif isinstance(target, list) and part.isdigit() and int(part) < len(target):
            target = target[int(part)]
        else:
            return None
    return target if isinstance(target, (dict, bool)) else None


def deref(root: Schema, node: Any) -> dict[str, Any]:
    """`node` with its `$ref` chain followed, sibling keywords merged over each target.

    Booleans become dicts (`true` -> {}, `false` -> {"not": {}}) so callers read one shape. A
    reference seen twice in one chain, or pointing outside the document, ends the chain.
    """
    if node is True or not isinstance(node, (dict, bool)):
        return {}
    if node is False:
        return dict(_NOTHING)
    seen: set[str] = set()
    while isinstance(node.get("$ref"), str) and node["$ref"] not in seen:
        seen.add(node["$ref"])
        target = _target(root, node["$ref"])
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        if target is None:
            return siblings
        target = deref(root, target) if isinstance(target, bool) else target
        node = {**target, **siblings}
    return {k: v for k, v in node.items() if k != "$ref"} if "$ref" in node else node


def resolve(root: Schema, node: Any, _seen: frozenset[int] = frozenset()) -> dict[str, Any]:
    """`node` as one dict: references followed and `allOf` folded in (each member once per path).

    The `if`/`then`/`else` rules of `allOf` members are kept side by side, never one in place of
    another (see merge_schemas): the first as the node's own, the others in its `allOf`, which
    in a resolved node holds nothing else (see conditions).
    """
    if not _seen and type(root) is RememberedSchema:
        return _once(root, "resolve", node, lambda: _resolve(root, node, _seen))
    return _resolve(root, node, _seen)


def _resolve(root: Schema, node: Any, _seen: frozenset[int]) -> dict[str, Any]:
    if id(node) in _seen:
        return {}
    seen = _seen | {id(node)}
    resolved = deref(root, node)
    if isinstance(resolved.get("allOf"), list):
        merged = {k: v for k, v in resolved.items() if k != "allOf"}
        for sub in resolved["allOf"]:
            merged = merge_schemas(merged, resolve(root, sub, seen))
        resolved = merged
    return resolved


def merge_schemas(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """`base` refined by `extra` (an `allOf` member, a variant, a branch): properties merged one by one.

    The base's own title and description win: a property titled "Auth" stays "Auth" whichever
    variant is chosen; the variant's title names the variant instead. Rules (`if`/`then`/`else`)
    and dependencies of both are kept, never one in place of the other.
    """
    result = dict(base)
    if "if" in extra and ("if" in base or base.get("allOf")):
        extra = {**without(extra, *_RULE), "allOf": [{k: extra[k] for k in _RULE if k in extra}, *extra.get("allOf", [])]}
    for key, value in extra.items():
        if key == "allOf" and isinstance(value, list):
            result[key] = [*(base[key] if isinstance(base.get(key), list) else []), *value]
        elif key in _DEPENDENCIES and isinstance(value, dict) and isinstance(base.get(key), dict):
            result[key] = {**base[key], **{t: _both(base[key][t], s) if t in base[key] else s for t, s in value.items()}}
        elif key == "properties" and isinstance(value, dict):
            props = dict(base.get("properties", {}))
            for name, sub in value.items():
                both = isinstance(props.get(name), dict) and isinstance(sub, dict)
                props[name] = merge_schemas(props[name], sub) if both else sub
            result["properties"] = props
        elif key in _VARIANTS and isinstance(value, list) and _choice_keyword(result) is not None:
            # a second choice (an allOf of two oneOf/anyOf) goes into each branch of the first: the
            # same meaning, and the form can offer it as a choice inside the chosen branch
            first = _choice_keyword(result)
            result[first] = [{"allOf": [branch, {key: value}]} for branch in result[first]]
        elif key in _MERGED_LISTS and isinstance(value, list):
            result[key] = list(dict.fromkeys([*base.get(key, []), *value]))
        elif key in _OWN_KEYS and key in base:
            continue
        else:
            result[key] = value
    return result


def _choice_keyword(node: dict[str, Any]) -> str | None:
    return next((keyword for keyword in _VARIANTS if isinstance(node.get(keyword), list)), None)


def _both(first: Any, second: Any) -> Any:
    """Two dependencies on one trigger as one: required lists joined, schemas both applied."""
    if isinstance(first, list) and isinstance(second, list):
        return list(dict.fromkeys([*first, *second]))
    return {"allOf": [{"required": s} if isinstance(s, list) else s for s in (first, second)]}


def without(node: dict[str, Any], *keys: str) -> dict[str, Any]:
    """A copy of `node` without the given keywords."""
    return {k: v for k, v in node.items() if k not in keys}


# kinds, variants and branches --------------------------------------------------------------
def main_type(node: dict[str, Any]) -> str | None:
    """The node's type; for a list like ["string", "null"] the first that is not null."""
    kind = node.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    return kind if isinstance(kind, str) else None


def is_object(node: dict[str, Any]) -> bool:
    """Whether a resolved node describes an object (said so, or implied by its keywords)."""
    kind = main_type(node)
    return kind == "object" or (kind is None and ("properties" in node or bool(conditions(node))))


def has_variants(node: dict[str, Any]) -> bool:
    """Whether a resolved node offers a choice (`oneOf` or `anyOf`)."""
    return any(isinstance(node.get(keyword), list) and node[keyword] for keyword in _VARIANTS)


def variants_of(root: Schema, node: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """("oneOf" or "anyOf", the resolved subschemas)."""
    keyword = "oneOf" if isinstance(node.get("oneOf"), list) else "anyOf"
    subs = node.get(keyword)
    return keyword, [resolve(root, sub) for sub in subs] if isinstance(subs, list) else []


def variant_schema(root: Schema, node: dict[str, Any], index: int) -> dict[str, Any]:
    """The node as it is when variant `index` is chosen (base merged with the variant)."""
    _, variants = variants_of(root, node)
    base = without(node, *_VARIANTS)
    if not variants:
        return base
    return merge_schemas(base, variants[min(max(index, 0), len(variants) - 1)])


def detect_variant(root: Schema, node: dict[str, Any], value: Any) -> int:
    """The variant a value belongs to: of those it validates against (several, for an anyOf
    whose variants require nothing) the one that names most of its keys, else the closest."""
    _, variants = variants_of(root, node)
    if value is MISSING:
        value = node.get("default", MISSING)
        if value is MISSING:
            return 0
    if not variants:
        return 0
    base = without(node, *_VARIANTS)
    valid = [i for i, variant in enumerate(variants) if validator_for(root, merge_schemas(base, variant)).is_valid(value)]
    candidates = valid or range(len(variants))
    return max(candidates, key=lambda i: (_closeness(root, variants[i], value), -i))


def _closeness(root: Schema, variant: dict[str, Any], value: Any) -> int:
    """How well a value fits a variant it does not validate against: consts first, then keys."""
    if main_type(variant) and not validator_for(root, {"type": variant["type"]}).is_valid(value):
        return -1
    if not isinstance(value, dict):
        return 0
    score = 0
    for key, prop in variant.get("properties", {}).items():
        if key in value:
            score += 100 if resolve(root, prop).get("const", MISSING) == value[key] else 1
    return score


def conditions(node: dict[str, Any]) -> list[dict[str, Any]]:
    """The `if`/`then`/`else` rules of a resolved object: its own and each `allOf` member's."""
    rules = [{k: node[k] for k in _RULE if k in node}] if "if" in node else []
    members = node.get("allOf") if isinstance(node.get("allOf"), list) else []
    return rules + [member for member in members if isinstance(member, dict) and "if" in member]


def dependents(root: Schema, node: dict[str, Any]) -> list[tuple[str, dict[str, Any] | bool]]:
    """(trigger, schema) for each dependency the schema's draft knows (`dependentRequired`,
    `dependentSchemas`, or draft-07 `dependencies`): what the object must also be once the
    trigger property is present. A list of names becomes `{"required": [...]}`."""
    known = dialect(root).VALIDATORS
    found: list[tuple[str, dict[str, Any] | bool]] = []
    for keyword in _DEPENDENCIES:
        table = node.get(keyword)
        if keyword not in known or not isinstance(table, dict):
            continue
        for trigger, needed in table.items():
            if isinstance(needed, list):
                found.append((trigger, {"required": [n for n in needed if isinstance(n, str)]}))
            elif isinstance(needed, (dict, bool)):
                found.append((trigger, needed))
    return found


def branch_of(root: Schema, node: dict[str, Any], value: Any) -> str | None:
    """Which conditional parts of an object apply to `value`, as words: "then" or "else" for
    each rule (see conditions), then `dep<i>` for each dependency whose trigger is present
    (`dep<i>.<j>` when its schema is a choice: j is the variant the trigger's value picks).
    None for an object without rules or dependencies.

    The form keeps these words in a hidden marker (what is shown) and effective_object turns
    them back into the properties shown, so a re-rendered section changes only when they do.
    """
    rules, needs = conditions(node), dependents(root, node)
    if not rules and not needs:
        return None
    test = value if isinstance(value, dict) else {}
    words = ["then" if validator_for(root, resolve(root, rule["if"])).is_valid(test) else "else" for rule in rules]
    for index, (trigger, schema) in enumerate(needs):
        if trigger in test:
            variant = _dependent_variant(root, resolve(root, schema), trigger, test)
            words.append(f"dep{index}" if variant is None else f"dep{index}.{variant}")
    return " ".join(words)


def _dependent_variant(root: Schema, schema: dict[str, Any], trigger: str, value: dict[str, Any]) -> int | None:
    """For a dependency whose schema is a choice: the variant whose own schema for the trigger
    accepts the trigger's value (the way such schemas say "when the answer is X, ask Y"), else
    the first the value is valid for; None without a choice or a match."""
    if not has_variants(schema):
        return None
    _, variants = variants_of(root, schema)
    for index, variant in enumerate(variants):
        own = _properties(variant).get(trigger)
        if own is not None and validator_for(root, own).is_valid(value[trigger]):
            return index
    return next((i for i, variant in enumerate(variants) if validator_for(root, variant).is_valid(value)), None)


def effective_object(root: Schema, node: dict[str, Any], branch: str | None) -> dict[str, Any]:
    """An object node with the conditional parts named by `branch` (see branch_of) applied: the
    properties, and the required ones, in effect. Words it does not know are ignored (they come
    back from the browser)."""
    result = without(node, *_CONDITIONAL)
    words = (branch or "").split()
    for rule, outcome in zip(conditions(node), (w for w in words if w in ("then", "else"))):
        if isinstance(rule.get(outcome), (dict, bool)):
            result = merge_schemas(result, resolve(root, rule[outcome]))
    needs = dependents(root, node)
    for word in words:
        found = _DEPENDENCY_WORD.fullmatch(word)
        if found is None or int(found[1]) >= len(needs):
            continue
        trigger, schema = needs[int(found[1])]
        schema = resolve(root, schema)
        if found[2] is not None and int(found[2]) < len(variants_of(root, schema)[1]):
            variant = variants_of(root, schema)[1][int(found[2])]
            chosen = {**variant, "properties": {k: v for k, v in _properties(variant).items() if k != trigger}}
            schema = merge_schemas(without(schema, *_VARIANTS), chosen)  # the trigger's own schema picked the variant
        result = merge_schemas(result, without(schema, *_VARIANTS, *_CONDITIONAL))
    return result


def known_properties(root: Schema, node: Any, _seen: frozenset[int] = frozenset()) -> dict[str, dict[str, Any]]:
    """Every property any variant or branch of an object may have, with its (resolved) schema."""
    if id(node) in _seen:
        return {}
    seen = _seen | {id(node)}
    resolved = resolve(root, node)
    found = {name: resolve(root, prop) for name, prop in _properties(resolved).items()}
    for sub in _alternatives(root, resolved):
        for name, prop in known_properties(root, sub, seen).items():
            found.setdefault(name, prop)
    return found


def _properties(node: dict[str, Any]) -> dict[str, Any]:
    props = node.get("properties")
    return props if isinstance(props, dict) else {}


def _alternatives(root: Schema, node: dict[str, Any]) -> list[Any]:
    """The raw subschemas a value may (also) be described by: variants, the branches of every
    rule, and the schemas of dependencies."""
    subs: list[Any] = []
    for keyword in _VARIANTS:
        if isinstance(node.get(keyword), list):
            subs.extend(node[keyword])
    for rule in conditions(node):
        subs.extend(rule[k] for k in ("then", "else") if isinstance(rule.get(k), (dict, bool)))
    subs.extend(schema for _trigger, schema in dependents(root, node))
    return subs


# defaults ----------------------------------------------------------------------------------
def default_for(root: Schema, node: Any = MISSING, _path: frozenset[int | str] = frozenset()) -> Any:
    """The value a schema node starts with, MISSING when it has none.

    One answer for a new instance's config.json (`default_for(schema)`), a new form field, a new
    array item and a freshly chosen variant: an object's own `default` over its properties'
    defaults, nested objects spelled out (so the file a person opens shows every value in
    effect), required and `const` properties included, the first variant of a choice.
    """
    node = root if node is MISSING else node
    if not _path and type(root) is RememberedSchema:
        return _fresh(_once(root, "default", node, lambda: _default_for(root, node, _path)))
    return _default_for(root, node, _path)


def _default_for(root: Schema, node: Any, _path: frozenset[int | str]) -> Any:
    path = _enter(node, _path)
    if path is None:
        return MISSING
    resolved = resolve(root, node)
    own = resolved.get("default", MISSING)
    if own is MISSING and "const" in resolved:
        return copy.deepcopy(resolved["const"])
    if own is MISSING and has_variants(resolved):
        keyword, _ = variants_of(root, resolved)
        inner = _enter(resolved[keyword][0], path)
        return MISSING if inner is None else default_for(root, variant_schema(root, resolved, 0), inner)
    if not is_object(resolved) or (own is not MISSING and not isinstance(own, dict)):
        return copy.deepcopy(own)
    base = _property_defaults(root, effective_object(root, resolved, None), path)
    effective = effective_object(root, resolved, branch_of(root, resolved, {**base, **(own or {})}))
    result = _property_defaults(root, effective, path)
    return {**result, **copy.deepcopy(own)} if own is not MISSING else result


def _property_defaults(root: Schema, node: dict[str, Any], path: frozenset[int | str]) -> dict[str, Any]:
    """Defaults of an object's properties: those with a default, a const, or required ones."""
    required = node.get("required", [])
    result = {}
    for name, prop in _properties(node).items():
        value = default_for(root, prop, path)
        if value is MISSING:
            continue
        sub = resolve(root, prop)
        spelled_out = isinstance(value, dict) and bool(value) and is_object(sub) and not has_variants(sub)
        if name in required or "default" in sub or "const" in sub or spelled_out:
            result[name] = value
    return result


def _enter(node: Any, path: frozenset[int | str]) -> frozenset[int | str] | None:
    """The schema nodes (by identity) and references being expanded on this path, or None
    when `node` would repeat one: the recursion guard for schemas that refer to themselves."""
    ref = node.get("$ref") if isinstance(node, dict) else None
    keys = {id(node), ref} if isinstance(ref, str) else {id(node)}
    return None if keys & path or len(path) > _DEEPEST else path | keys


def apply_defaults(root: Schema, value: Any, node: Any = MISSING) -> Any:
    """A copy of `value` with the schema's defaults filled in where a property is missing."""
    node = resolve(root, root if node is MISSING else node)
    if value is None and "default" in node:
        return default_for(root, node)
    if isinstance(value, dict) and is_object(node):
        if type(root) is RememberedSchema and _once(root, "unconditional", node, lambda: branch_of(root, node, {}) is None):
            effective = _once(root, "effective", node, lambda: effective_object(root, node, None))
        else:
            effective = effective_object(root, node, branch_of(root, node, value))
        result = dict(value)
        for key, prop in _properties(effective).items():
            if key in result:
                result[key] = apply_defaults(root, result[key], prop)
            elif "default" in resolve(root, prop):
                result[key] = default_for(root, prop)
        return result
    if isinstance(value, list) and isinstance(node.get("items"), dict):
        return [apply_defaults(root, item, node["items"]) for item in value]
    return value


# walking a value against the schema ---------------------------------------------------------
def walk(root: Schema, value: Any, node: Any = MISSING,
         sought: Callable[[dict[str, Any]], bool] | None = None) -> Iterator[tuple[Path, Any, dict[str, Any]]]:
    """(path, value, resolved schema) for every value in `value` and each schema describing it.

    A value may be described by several subschemas at once (every variant, every `if` branch,
    the matching `properties`/`patternProperties`/`additionalProperties`, `prefixItems`/`items`):
    all of them are visited, so a keyword anywhere along the way (a secret inside the second
    variant of an array item) is seen whichever variant the value happens to match.

    `sought`: what the caller looks for (a secret, a reference); a remembered schema's walk
    skips the values whose schemas, all the way down, hold nothing it seeks.
    """
    yield from _walk(root, root if node is MISSING else node, value, (), sought if type(root) is RememberedSchema else None)


def _walk(root: Schema, node: Any, value: Any, path: Path,
          sought: Callable[[dict[str, Any]], bool] | None) -> Iterator[tuple[Path, Any, dict[str, Any]]]:
    remembered = type(root) is RememberedSchema
    for resolved in _descriptions(root, node):
        yield path, value, resolved
        if isinstance(value, dict):
            for key, item in value.items():
                key_text = str(key)
                subs = (_once(root, "property", resolved, lambda: _property_schemas(resolved, key_text), key_text) if remembered
                        else _property_schemas(resolved, key_text))
                for sub in subs:
                    if sought is None or _holds(root, sub, sought):
                        yield from _walk(root, sub, item, (*path, key), sought)
        elif isinstance(value, list):
            prefix, rest = _item_schemas(resolved)
            for index, item in enumerate(value):
                sub = prefix[index] if index < len(prefix) else rest
                if isinstance(sub, (dict, bool)) and (sought is None or _holds(root, sub, sought)):
                    yield from _walk(root, sub, item, (*path, index), sought)


def _holds(root: RememberedSchema, node: Any, sought: Callable[[dict[str, Any]], bool]) -> bool:
    """Whether any schema a value under `node` may be described by is `sought`."""
    return _once(root, "holds", node, lambda: _reaches(root, node, sought), sought)


def _reaches(root: Schema, node: Any, sought: Callable[[dict[str, Any]], bool]) -> bool:
    seen: set[int] = set()
    waiting = [node]
    while waiting:
        raw = waiting.pop()
        if id(raw) in seen:
            continue
        seen.add(id(raw))
        for resolved in _descriptions(root, raw):
            if sought(resolved):
                return True
            waiting += _properties(resolved).values()
            patterns = resolved.get("patternProperties")
            waiting += patterns.values() if isinstance(patterns, dict) else ()
            prefix, rest = _item_schemas(resolved)
            waiting += [sub for sub in (resolved.get("additionalProperties"), *prefix, rest) if isinstance(sub, (dict, bool))]
    return False


def _item_schemas(node: dict[str, Any]) -> tuple[list[Any], Any]:
    """(the schemas of a list's first places, the schema of every item after them): a tuple is
    `prefixItems` + `items` (2020-12) or a list in `items` + `additionalItems` (draft-07)."""
    if isinstance(node.get("prefixItems"), list):
        return node["prefixItems"], node.get("items", MISSING)
    if isinstance(node.get("items"), list):
        return node["items"], node.get("additionalItems", MISSING)
    return [], node.get("items", MISSING)


def _descriptions(root: Schema, node: Any) -> list[dict[str, Any]]:
    """The resolved node and, recursively, its variants and branches (each raw node once)."""
    if type(root) is RememberedSchema:
        return _once(root, "descriptions", node, lambda: list(_described(root, node, frozenset())))
    return list(_described(root, node, frozenset()))


def _described(root: Schema, node: Any, seen: frozenset[int]) -> Iterator[dict[str, Any]]:
    if id(node) in seen:
        return
    seen = seen | {id(node)}
    resolved = resolve(root, node)
    yield resolved
    for sub in _alternatives(root, resolved):
        yield from _described(root, sub, seen)


def map_schema(node: dict[str, Any], key: str | None = None) -> Any:
    """The raw subschema a key outside `properties` gets from `patternProperties` (the first
    pattern it matches) or a schema-valued `additionalProperties`; with no key, the one a new
    entry starts from. None when the object is no map (no such keywords, or `true`/`false`)."""
    patterns = node.get("patternProperties") if isinstance(node.get("patternProperties"), dict) else {}
    if key is not None:
        matched = [sub for pattern, sub in patterns.items() if _matches(pattern, key)]
        if matched:
            return matched[0]
    additional = node.get("additionalProperties")
    if isinstance(additional, dict):
        return additional
    return next(iter(patterns.values()), None) if key is None else None


def _matches(pattern: str, key: str) -> bool:
    try:
        return re.search(pattern, key) is not None
    except re.error:
        return False


def _property_schemas(node: dict[str, Any], key: str) -> list[Any]:
    """The raw subschemas that describe property `key` of an object described by `node`."""
    if key in _properties(node):
        return [node["properties"][key]]
    patterns = node.get("patternProperties") if isinstance(node.get("patternProperties"), dict) else {}
    matched = [sub for pattern, sub in patterns.items() if _matches(pattern, key)]
    if matched:
        return matched
    additional = node.get("additionalProperties")
    return [additional] if isinstance(additional, dict) else []


# secrets and references ----------------------------------------------------------------------
def is_secret(node: dict[str, Any]) -> bool:
    """Secrets are `writeOnly` or `format: password`: never shown, never logged."""
    return bool(node.get("writeOnly")) or node.get("format") == "password"


def holds_url_credentials(node: dict[str, Any]) -> bool:
    """A string holding a URL (`format: uri`/`iri`, or `x-url-with-credentials` where the field may
    also be empty): the password of its `user:password@` part is a secret, the rest is not."""
    return bool(node.get("x-url-with-credentials")) or node.get("format") in URL_FORMATS


def url_password(value: Any) -> str | None:
    """The password in `scheme://user:password@host...`, or None (none, or a `{{VAR}}` naming one)."""
    if not isinstance(value, str):
        return None
    found = _URL_PASSWORD.match(value)
    if not found or not found.group("password") or PLACEHOLDER.fullmatch(found.group("password").strip()):
        return None
    return found.group("password")


def with_url_password(url: str, password: str) -> str:
    """`url` with its password (which it has) replaced by `password`."""
    found = _URL_PASSWORD.match(url)
    return url if not found else url[: found.start("password")] + password + url[found.end("password"):]


def _secret_or_url(node: dict[str, Any]) -> bool:
    return is_secret(node) or holds_url_credentials(node)


def url_password_paths(root: Schema, value: Any, node: Any = MISSING) -> list[Path]:
    """Paths of the URL values (see holds_url_credentials) that hold a password."""
    return _secret_places(root, value, node)[1]


def secret_paths(root: Schema, value: Any, node: Any = MISSING) -> list[Path]:
    """Paths of every value the schema marks secret, found by walking the value (outermost only)."""
    return _secret_places(root, value, node)[0]


def _secret_places(root: Schema, value: Any, node: Any = MISSING) -> tuple[list[Path], list[Path]]:
    """(secret_paths, url_password_paths) from one walk of the value: loading a config needs
    both, and the walk is most of what registering its secrets costs."""
    secrets: dict[Path, None] = {}  # ordered sets: a path is found once per schema describing it
    urls: dict[Path, None] = {}
    for path, item, resolved in walk(root, value, node, _secret_or_url):
        if is_secret(resolved):
            secrets[path] = None
        if holds_url_credentials(resolved) and url_password(item):
            urls[path] = None
    return [path for path in secrets if not any(path[:depth] in secrets for depth in range(len(path)))], list(urls)


def secret_values(root: Schema, value: Any) -> list[str]:
    """The secret strings a config holds (every string inside a secret), for the redactor."""
    return [leaf for leaf in _secret_leaves(root, value) if isinstance(leaf, str)]


def _secret_leaves(root: Schema, value: Any) -> list[Any]:
    """Every non-empty scalar inside the config's secrets (a secret number is still a secret),
    and every password inside a URL."""
    leaves: list[Any] = []
    secrets, urls = _secret_places(root, value)
    for path in secrets:
        leaves.extend(leaf for leaf in _leaves(_value_at(value, path)) if leaf not in leaves)
    for path in urls:
        password = url_password(_value_at(value, path))
        if password not in leaves:
            leaves.append(password)
    return leaves


def mask_secrets(root: Schema, value: Any, mask: Callable[[Path, Any], Any],
                 url_mask: Callable[[Path, Any], Any] | None = None) -> Any:
    """A copy of `value` with each secret replaced by `mask(path, secret)`; a URL keeps all but
    its password, which becomes `url_mask(path, password)` (default: `mask`)."""
    result = copy.deepcopy(value)
    secrets, urls = _secret_places(root, value)
    for path in urls:
        url = _value_at(value, path)
        masked_url = with_url_password(url, str((url_mask or mask)(path, url_password(url))))
        if path:
            _value_at(result, path[:-1])[path[-1]] = masked_url
        else:
            result = masked_url
    for path in secrets:
        if path:
            _value_at(result, path[:-1])[path[-1]] = mask(path, _value_at(value, path))
        else:
            result = mask(path, value)
    return result


def _value_at(value: Any, path: Path) -> Any:
    """The value at `path` (keys and list indices), which the caller knows exists."""
    for step in path:
        value = value[step]
    return value


def _leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif value not in (None, "") and not isinstance(value, bool):
        yield value


# validation ----------------------------------------------------------------------------------
def dialect(root: Schema) -> type[Validator]:
    """The validator class of the draft the schema declares in `$schema` (2020-12 when it
    declares none, or one jsonschema does not know)."""
    declared = root.get("$schema") if isinstance(root, dict) else None
    if not isinstance(declared, str):
        return Draft202012Validator
    return _dialect_named(declared)


@functools.lru_cache(maxsize=64)
def _dialect_named(declared: str) -> type[Validator]:
    """Looked up once per `$schema` URI: a config load asks a few hundred times (every
    dependency of every subschema), and jsonschema normalises the URI each time."""
    return validators.validator_for({"$schema": declared}, default=Draft202012Validator)


def validator_for(root: Schema, node: Any = MISSING) -> Validator:
    """A validator of the schema's draft with that draft's format checker, for the root or a
    subschema of it.

    A subschema's validator still resolves `#...` references against the root document
    (`evolve` keeps the root's resolver), so a variant that uses `$defs` validates like the whole.
    """
    if type(root) is RememberedSchema:
        validator = _once(root, "validator", root, lambda: _validator(root))
    else:
        validator = _validator(root)
    return validator if node is MISSING else validator.evolve(schema=node)


def _validator(root: Schema) -> Validator:
    cls = dialect(root)
    checker = FORMAT_CHECKER if cls is Draft202012Validator else cls.FORMAT_CHECKER
    return cls(root, format_checker=checker)


def check_schema(type_name: str, schema: Any) -> None:
    """Raise InvalidJsonError naming the Type, the place and the keyword when its schema is not
    usable: not valid for its draft, or a `$ref` that points outside the file."""
    cls = dialect(schema)
    try:
        cls.check_schema(schema)
    except SchemaError as exc:
        raise InvalidJsonError(type_name, f"{SCHEMA_FILE} {_place(exc.path)}", _schema_problem(exc, cls)) from exc
    nodes = list(subschemas(schema))
    for path, node in nodes:
        if isinstance(node.get("$ref"), str) and _target(schema, node["$ref"]) is None:
            raise InvalidJsonError(type_name, f"{SCHEMA_FILE} {_place((*path, '$ref'))}",
                                   f"$ref {node['$ref']} points nowhere in this file (only references inside it, like #/$defs/name, are followed)")
    loop = _loop_in_place(schema, [node for _path, node in nodes])
    if loop is not None:
        place = next((path for path, node in nodes if node is loop), ())  # () when it sits in a value, not a schema
        raise InvalidJsonError(type_name, f"{SCHEMA_FILE} {_place((*place, '$ref'))}",
                               f"$ref {loop['$ref']} leads back to a schema it is part of with no property or item in between, "
                               "so checking a value against it would never end")


_IN_PLACE = ("allOf", "anyOf", "oneOf", "not", "if", "then", "else", "dependentSchemas", "dependencies")


def _loop_in_place(root: Schema, nodes: list[dict[str, Any]]) -> dict[str, Any] | None:
    """A `$ref` node on a loop of references and keywords that apply to the same value (allOf,
    oneOf, if, ...): a value is checked against the loop's schemas forever (a recursion error in
    jsonschema, and in the form's walks). A loop through a property or item is fine."""
    on_path: list[Any] = []
    done: set[int] = set()

    def visit(node: Any) -> dict[str, Any] | None:
        on_path.append(node)
        for sub in _applied_in_place(root, node):
            start = next((i for i, seen in enumerate(on_path) if seen is sub), None)
            if start is not None:  # back on the current path: a loop, closed by a `$ref` on it
                return next(n for n in on_path[start:] if isinstance(n.get("$ref"), str))
            if id(sub) not in done:
                found = visit(sub)
                if found is not None:
                    return found
        done.add(id(on_path.pop()))
        return None

    return next((loop for node in nodes if id(node) not in done for loop in [visit(node)] if loop is not None), None)


def _applied_in_place(root: Schema, node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The schemas a value checked against `node` is also checked against, as it is."""
    target = _target(root, node["$ref"]) if isinstance(node.get("$ref"), str) else None
    if isinstance(target, dict):
        yield target
    for keyword in _IN_PLACE:
        value = node.get(keyword)
        subs = value if isinstance(value, list) else value.values() if keyword.startswith("dependen") and isinstance(value, dict) else [value]
        yield from (sub for sub in subs if isinstance(sub, dict))


def subschemas(node: Any, path: Path = ()) -> Iterator[tuple[Path, dict[str, Any]]]:
    """(place, object) for every object in the schema outside the keywords that hold values,
    not schemas."""
    if isinstance(node, dict):
        yield path, node
        for key, sub in node.items():
            if key not in ("const", "default", "enum", "examples"):
                yield from subschemas(sub, (*path, key))
    elif isinstance(node, list):
        for index, sub in enumerate(node):
            yield from subschemas(sub, (*path, index))


def _place(path: Any) -> str:
    steps = [str(p) for p in path]
    return f"keyword {steps[-1]} at /{'/'.join(steps[:-1])}" if steps else "at the root"


def _schema_problem(error: SchemaError, cls: type[Validator]) -> str:
    """What is wrong with a schema keyword, with the fix for the common case of draft-07 syntax
    in a schema read as 2020-12."""
    keyword = str(error.path[-1]) if error.path else ""
    if keyword == "items" and isinstance(error.instance, list) and cls is Draft202012Validator:
        return ('holds a list (draft-07 tuple syntax): use "prefixItems" for a tuple, or declare '
                '"$schema": "http://json-schema.org/draft-07/schema#"')
    if error.validator == "format":
        return f"is not a {error.validator_value} this editor can use (Python's re module): {str(error.instance)[:120]}"
    return f"is not valid JSON Schema ({cls.__name__.removesuffix('Validator')}): {error.message[:200]}"


def missing_required(root: Schema, config: dict[str, Any]) -> list[str]:
    """Top-level required fields with no value ("" counts as none): the instance needs setup."""
    return missing_once_filled(root, apply_defaults(root, config))


def missing_once_filled(root: Schema, filled: dict[str, Any]) -> list[str]:
    """missing_required of a config whose defaults are applied already."""
    return [key for key in resolve(root, root).get("required", []) if filled.get(key) in (None, "", [])]


def validate_config(root: Schema, config: dict[str, Any], full_name: str) -> None:
    """Raise ConfigInvalidError for the first problem, naming the element and the field.

    jsonschema's messages quote the offending value, and that value may be (or contain) a secret:
    every secret the config holds is masked out of the message.
    """
    if type(root) is RememberedSchema:
        quick = _once(root, "quick check", root, lambda: quick_check(root))
        if quick is not None and quick(config):
            return
    try:
        errors = sorted(validator_for(root).iter_errors(config), key=lambda e: [str(p) for p in e.absolute_path])
    except Unresolvable as exc:
        raise ConfigInvalidError(full_name, SCHEMA_FILE, f"a $ref cannot be resolved: {exc}") from exc
    if not errors:
        return
    error = errors[0]
    field = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = next((k for k in error.validator_value if k not in error.instance), "")
        field = f"{field}.{missing}" if field else missing
        raise ConfigInvalidError(full_name, f"config.json field {field}", "is required")
    where = f"config.json field {field}" if field else "config.json"
    raise ConfigInvalidError(full_name, where, _without_secrets(error.message, _secret_leaves(root, config)))


def _without_secrets(message: str, secrets: list[Any]) -> str:
    for secret in sorted(secrets, key=lambda s: len(str(s)), reverse=True):
        message = message.replace(repr(secret), "***").replace(str(secret), "***")
    return message
