"""Property: for generated schemas and values, value -> form -> what a browser posts -> value."""
from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from element_studio.editor.schema_form import FormContext, build_form, parse_form, validate_config
from tests.editor.submit import submitted

NAMES = st.from_regex(r"[a-z][a-zA-Z0-9_]{0,8}", fullmatch=True)
TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r"), min_size=1, max_size=12) | st.just("two\nlines")
SCALARS = st.one_of(
    st.just({"type": "string"}),
    st.just({"type": "string", "x-widget": "textarea"}),
    st.just({"type": "string", "format": "email"}),
    st.just({"type": "integer"}),
    st.just({"type": "number"}),
    st.just({"type": "boolean"}),
    st.just({"type": "boolean", "default": True}),
    st.lists(NAMES, min_size=1, max_size=4, unique=True).map(lambda e: {"enum": e}),
    st.lists(st.integers(-5, 5), min_size=1, max_size=4, unique=True).map(lambda e: {"enum": e, "default": e[0]}),
    NAMES.map(lambda c: {"const": c}),
    st.just({"type": "string", "writeOnly": True}),
    st.just({"type": "string", "format": "password"}),
    st.just({"type": "string", "readOnly": True}),
    st.just({"type": "string", "format": "date"}),
    st.just({"type": "string", "format": "uri"}),
    st.just({"type": "string", "x-element-ref": "aiagents.Meta"}),
    st.just({"type": "integer", "default": 5, "minimum": 0}),
    st.just({"$ref": "#/$defs/port", "title": "Port"}),
)
DEFS = {"port": {"type": "integer", "minimum": 1, "maximum": 65535}}


def objects(children):
    """Objects with 1-4 properties, some required."""
    return st.dictionaries(NAMES, children, min_size=1, max_size=4).flatmap(
        lambda props: st.lists(st.sampled_from(sorted(props)), unique=True).map(
            lambda required: {"type": "object", "properties": props, "required": required}))


def conditional(children):
    """An object whose `mode` decides, through if/then/else, which other fields it has."""
    return st.tuples(objects(children), objects(children)).map(lambda pair: {
        "type": "object", "required": ["mode"], "properties": {"mode": {"enum": ["a", "b"]}},
        "if": {"properties": {"mode": {"const": "a"}}},
        "then": {k: v for k, v in pair[0].items() if k != "type" and k != "properties"} | {"properties": _without_mode(pair[0])},
        "else": {"properties": _without_mode(pair[1])},
    })


def _without_mode(node):
    return {k: v for k, v in node["properties"].items() if k != "mode"}


def extend(children):
    return st.one_of(
        objects(children),
        conditional(children),
        children.filter(lambda s: "const" not in s).map(lambda item: {"type": "array", "items": item}),
        st.lists(objects(SCALARS), min_size=2, max_size=3).map(_tagged_variants),
    )


def _tagged_variants(variants):
    """A oneOf of objects told apart by a const `kind` (how real schemas discriminate)."""
    tagged = []
    for index, variant in enumerate(variants):
        props = {"kind": {"const": f"v{index}"}, **{k: v for k, v in variant["properties"].items() if k != "kind"}}
        tagged.append({**variant, "properties": props, "required": ["kind", *[r for r in variant["required"] if r != "kind"]]})
    return {"oneOf": tagged}


SCHEMAS = objects(st.recursive(SCALARS, extend, max_leaves=6)).map(lambda schema: {**schema, "$defs": DEFS})


def value_for(node):
    """A strategy for values valid under `node` (strings non-empty: an empty one means "absent")."""
    if "$ref" in node:
        return st.integers(1, 65535)
    if "const" in node:
        return st.just(node["const"])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    if "oneOf" in node:
        return st.one_of([value_for(v) for v in node["oneOf"]])
    kind = node["type"]
    if "if" in node:
        def branch(mode):
            chosen = node["then"] if mode == "a" else node["else"]
            inner = {"type": "object", "properties": chosen["properties"],
                     "required": [r for r in chosen.get("required", []) if r in chosen["properties"]]}
            return value_for(inner).map(lambda v: {"mode": mode, **v})
        return st.sampled_from(["a", "b"]).flatmap(branch)
    if kind == "object":
        required = {k: value_for(p) for k, p in node["properties"].items() if k in node["required"]}
        optional = {k: value_for(p) for k, p in node["properties"].items() if k not in node["required"]}
        return st.fixed_dictionaries(required, optional=optional)
    if kind == "array":
        return st.lists(value_for(node["items"]), max_size=3)
    if kind == "string":
        return {"email": st.emails(), "date": st.dates().map(lambda d: d.isoformat()),
                "uri": st.sampled_from(["https://example.com/a?b=1", "http://127.0.0.1:11434/v1"])}.get(node.get("format"), TEXT)
    if kind == "integer":
        return st.integers(node.get("minimum", -10**12), 10**12)
    if kind == "number":
        return st.one_of(st.integers(-1000, 1000), st.floats(allow_nan=False, allow_infinity=False, width=64))
    return st.booleans()


@settings(max_examples=int(__import__("os").environ.get("ROUND_TRIP_EXAMPLES", "150")), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_generated_schemas_and_values_survive_the_round_trip(data):
    schema = data.draw(SCHEMAS)
    value = data.draw(value_for(schema))
    refs = {"aiagents.Meta": [("aiagents.helpdesk", "Helpdesk")]}
    tree = build_form(schema, value, FormContext(original=value, refs=refs))
    parsed = parse_form(schema, submitted(tree), original=value)
    assert parsed.problems == {}
    assert json.dumps(parsed.value, sort_keys=True) == json.dumps(value, sort_keys=True)
    assert validate_config(schema, parsed.value).ok
