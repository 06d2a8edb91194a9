"""runtime/schema.py: references, booleans, defaults, variants, the secret walker, validation."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from element_studio.runtime.app import App
from element_studio.runtime.errors import ConfigInvalidError, InvalidJsonError
from element_studio.runtime.references import reference_fields
from element_studio.runtime.schema import (
    MISSING,
    RememberedSchema,
    apply_defaults,
    branch_of,
    check_schema,
    default_for,
    deref,
    effective_object,
    known_properties,
    mask_secrets,
    missing_required,
    resolve,
    secret_paths,
    secret_values,
    validate_config,
    validator_for,
)
from tests.support.elements import instance, write_element

SHIPPED = sorted((Path(__file__).resolve().parents[2] / "elements").glob("*/*/config.schema.json"))
TOKEN = {"type": "string", "writeOnly": True}
VARIANTS_AND_ITEMS = {
    "type": "object",
    "$defs": {"token": TOKEN},
    "properties": {
        "auth": {"oneOf": [
            {"type": "object", "properties": {"kind": {"const": "none"}}, "required": ["kind"]},
            {"type": "object", "properties": {"kind": {"const": "token"}, "token": {"$ref": "#/$defs/token"}}, "required": ["kind"]},
        ]},
        "endpoints": {"type": "array", "items": {"type": "object", "properties": {"url": {"type": "string"}, "key": TOKEN}}},
        "headers": {"type": "object", "additionalProperties": {"type": "string", "format": "password"}},
        "mode": {"type": "string"},
        "agent": {"type": "string", "x-element-ref": "aiagents.Meta"},
    },
    "if": {"properties": {"mode": {"const": "proxy"}}, "required": ["mode"]},
    "then": {"properties": {"proxyPassword": TOKEN}},
}
CONFIG = {
    "auth": {"kind": "token", "token": "variant-secret-1"},
    "endpoints": [{"url": "https://a.example", "key": "item-secret-2"}, {"url": "https://b.example"}],
    "headers": {"X-Api": "header-secret-3"},
    "mode": "proxy",
    "proxyPassword": "branch-secret-4",
    "agent": "aiagents.helpdesk",
}
RECURSIVE = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "default": "root"},
        "secret": TOKEN,
        "child": {"$ref": "#", "default": {}},
        "children": {"type": "array", "items": {"$ref": "#"}},
        "either": {"anyOf": [{"$ref": "#"}, True]},
    },
    "required": ["name"],
}


# references and booleans ---------------------------------------------------------------------
def test_references_follow_pointers_defs_and_the_root_with_sibling_keywords_on_top():
    root = {"$defs": {"a": {"$ref": "#/$defs/b", "title": "A"}, "b": {"type": "string", "title": "B"}, "x/y": {"type": "integer"}}}
    assert deref(root, {"$ref": "#/$defs/a", "description": "d"}) == {"type": "string", "title": "A", "description": "d"}
    assert deref(root, {"$ref": "#/$defs/x~1y"}) == {"type": "integer"}
    assert deref(root, {"$ref": "#"})["$defs"] == root["$defs"]
    assert deref(root, {"$ref": "#/$defs/nowhere", "title": "kept"}) == {"title": "kept"}
    looping = {"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}}
    assert deref(looping, {"$ref": "#/$defs/a"}) == {}


def test_boolean_subschemas_read_as_anything_or_nothing():
    assert deref({}, True) == {} and deref({}, False) == {"not": {}}
    assert resolve({}, {"allOf": [True, {"type": "string"}]}) == {"type": "string"}
    schema = {"type": "object", "properties": {"free": True, "never": False, "items": {"type": "array", "items": True}}}
    assert default_for(schema) == {} and default_for(True) is MISSING
    assert secret_paths(schema, {"free": 1, "items": [1, "x"]}) == [] and secret_paths(True, {"a": 1}) == []
    assert validator_for(schema).is_valid({"free": [1]}) and not validator_for(schema).is_valid({"never": 1})
    validate_config(True, {"anything": 1}, "x.y")


def test_a_reference_to_the_root_never_recurses_forever():
    defaults = default_for(RECURSIVE)
    assert defaults["name"] == "root" and defaults["child"]["name"] == "root"
    config = {"secret": "s-0", "child": {"secret": "s-1", "child": {"secret": "s-2"}}, "children": [{"secret": "s-3"}],
              "either": {"secret": "s-4"}}
    assert secret_values(RECURSIVE, config) == ["s-0", "s-1", "s-2", "s-3", "s-4"]
    filled = apply_defaults(RECURSIVE, config)
    assert filled["child"]["child"]["name"] == "root" and filled["children"][0]["name"] == "root"
    validate_config(RECURSIVE, filled, "x.y")
    assert missing_required(RECURSIVE, {}) == []
    assert "secret" in known_properties(RECURSIVE, {"anyOf": [{"$ref": "#"}, {"$ref": "#"}]})
    looped_root = {"$ref": "#", "allOf": [{"$ref": "#"}], "properties": {"a": {"default": 1}}}
    assert default_for(looped_root) == {"a": 1}


# defaults -------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.parent.name)
def test_one_defaults_function_gives_what_the_two_old_ones_gave_on_the_shipped_schemas(path):
    """The runtime's old `defaults_of` (new instances) spelled nested objects out; the editor's old
    `default_for` (form fields) gave each leaf its `default`. Both hold for the one function."""
    schema = json.loads(path.read_text())
    expected = {}
    for key, prop in schema["properties"].items():
        if prop.get("type") == "object":
            expected[key] = {**{k: p["default"] for k, p in prop["properties"].items() if "default" in p}, **prop["default"]}
        elif "default" in prop:
            expected[key] = prop["default"]
        assert default_for(schema, prop) == expected.get(key, MISSING), key
    assert default_for(schema) == expected
    required = {key: "x" for key in schema.get("required", []) if key not in expected}
    assert apply_defaults(schema, required) == {**expected, **required}


def test_defaults_take_the_first_variant_the_if_branch_and_required_consts():
    schema = {"type": "object", "properties": {
        "auth": {"oneOf": [{"properties": {"kind": {"const": "basic"}, "user": {"type": "string", "default": "admin"}}},
                           {"properties": {"kind": {"const": "token"}}}]},
        "mode": {"type": "string", "default": "a"},
    }, "required": ["auth"], "if": {"properties": {"mode": {"const": "a"}}}, "then": {"properties": {"aOnly": {"default": 1}}}}
    assert default_for(schema) == {"auth": {"kind": "basic", "user": "admin"}, "mode": "a", "aOnly": 1}


def test_every_rule_of_an_allof_and_every_dependency_is_in_effect_and_known():
    schema = {"type": "object", "properties": {"kind": {"enum": ["a", "b"]}, "card": {"type": "number"}},
              "allOf": [{"if": {"properties": {"kind": {"const": "a"}}}, "then": {"properties": {"aKey": TOKEN}}},
                        {"if": {"properties": {"kind": {"const": "b"}}}, "then": {"properties": {"bOnly": {"type": "string"}}}}],
              "dependentSchemas": {"card": {"properties": {"pin": TOKEN}}}, "dependentRequired": {"card": ["kind"]}}
    assert set(known_properties(schema, schema)) == {"kind", "card", "aKey", "bOnly", "pin"}
    config = {"kind": "a", "aKey": "rule-secret-1", "card": 1, "pin": "dependent-secret-2"}
    assert secret_values(schema, config) == ["rule-secret-1", "dependent-secret-2"]
    node = resolve(schema, schema)
    assert branch_of(schema, node, {"kind": "b"}) == "else then"
    assert branch_of(schema, node, {"kind": "a", "card": 1}) == "then else dep0 dep1"
    effective = effective_object(schema, node, "then else dep0 dep1")
    assert set(effective["properties"]) == {"kind", "card", "aKey", "pin"} and effective["required"] == ["kind"]
    assert set(effective_object(schema, node, "else then dep9 nonsense")["properties"]) == {"kind", "card", "bOnly"}


# secrets and references ------------------------------------------------------------------------
def test_the_walker_finds_secrets_in_variants_items_branches_and_additional_properties():
    assert secret_paths(VARIANTS_AND_ITEMS, CONFIG) == [
        ("auth", "token"), ("endpoints", 0, "key"), ("headers", "X-Api"), ("proxyPassword",)]
    assert secret_values(VARIANTS_AND_ITEMS, CONFIG) == ["variant-secret-1", "item-secret-2", "header-secret-3", "branch-secret-4"]
    masked = mask_secrets(VARIANTS_AND_ITEMS, CONFIG, lambda path, value: "***")
    assert masked["auth"] == {"kind": "token", "token": "***"} and masked["endpoints"][0]["key"] == "***"
    assert masked["endpoints"][1] == {"url": "https://b.example"} and CONFIG["auth"]["token"] == "variant-secret-1"
    assert [held for _, held, _ in reference_fields(VARIANTS_AND_ITEMS, CONFIG)] == ["aiagents.helpdesk"]


def test_a_secret_object_is_one_secret_and_every_string_in_it_is_registered():
    schema = {"type": "object", "properties": {"creds": {"type": "object", "writeOnly": True}}}
    assert secret_paths(schema, {"creds": {"a": "one", "b": ["two"]}}) == [("creds",)]
    assert secret_values(schema, {"creds": {"a": "one", "b": ["two"]}}) == ["one", "two"]


# validation --------------------------------------------------------------------------------------
def test_validation_names_the_element_and_field_and_never_quotes_a_secret():
    with pytest.raises(ConfigInvalidError) as caught:
        validate_config(VARIANTS_AND_ITEMS, {**CONFIG, "auth": {"kind": "other", "token": "variant-secret-1"}}, "probes.one")
    assert str(caught.value).startswith("probes.one: config.json field auth:") and "variant-secret-1" not in str(caught.value)


def test_uri_format_is_checked_by_the_one_format_checker():
    schema = {"type": "object", "properties": {"links": {"type": "array", "items": {"type": "string", "format": "uri"}}}}
    validate_config(schema, {"links": ["https://example.com/x", "mailto:a@example.com"]}, "x.y")
    with pytest.raises(ConfigInvalidError, match=r"x.y: config.json field links.1: 'not a url' is not a 'uri'"):
        validate_config(schema, {"links": ["https://example.com", "not a url"]}, "x.y")


def test_check_and_loading_reject_a_bad_uri_naming_the_field(app_dir):
    schema = {"type": "object", "properties": {"baseUrl": {"type": "string", "format": "uri"}}}
    write_element(app_dir, "links.Meta", {"title": "Links", "type": ""})
    write_element(app_dir, "links.siteType", {"title": "Site", "type": "links.Meta", "backendBundleEntry": "."},
                  files={"config.schema.json": json.dumps(schema), "__init__.py": "class Loader:\n    def __init__(self, nodes):\n        self.nodes = nodes\n\n    def load(self):\n        return self.nodes[0].config\n"})
    write_element(app_dir, "links.good", instance("links.siteType"), {"baseUrl": "https://example.com/api"})
    write_element(app_dir, "links.bad", instance("links.siteType"), {"baseUrl": "example.com/api"})
    app = App(app_dir)
    assert [str(p) for p in app.check()] == ["links.bad: config.json field baseUrl: 'example.com/api' is not a 'uri'"]
    with pytest.raises(ConfigInvalidError, match="field baseUrl"):
        app.getElement("links.bad")
    assert app.getElement("links.good") == {"baseUrl": "https://example.com/api"}


def test_a_schema_whose_reference_points_nowhere_is_reported_with_the_type():
    check_schema("x.fineType", RECURSIVE)
    with pytest.raises(InvalidJsonError, match=r"x.brokenType: config.schema.json keyword \$ref at /properties/a: \$ref #/\$defs/gone points nowhere"):
        check_schema("x.brokenType", {"properties": {"a": {"$ref": "#/$defs/gone"}}})


def test_a_schema_that_leads_back_to_itself_with_nothing_in_between_is_refused_and_one_through_a_property_is_not():
    leaf = {"title": "Leaf", "properties": {"v": {"type": "string"}}, "required": ["v"]}
    with pytest.raises(InvalidJsonError, match=r"keyword \$ref at /oneOf/1: \$ref # leads back to a schema it is part of"):
        check_schema("x.loopType", {"type": "object", "oneOf": [leaf, {"$ref": "#"}]})
    with pytest.raises(InvalidJsonError, match=r"keyword \$ref at /\$defs/x/allOf/0: \$ref #/\$defs/y leads back"):
        check_schema("x.loopType", {"$defs": {"x": {"allOf": [{"$ref": "#/$defs/y"}]}, "y": {"if": {"$ref": "#/$defs/x"}}},
                                    "properties": {"p": {"$ref": "#/$defs/x"}}})
    with pytest.raises(InvalidJsonError, match=r"\$ref #/properties/a/default leads back"):  # a loop through a value, not a schema
        check_schema("x.loopType", {"properties": {"a": {"default": {"$ref": "#/properties/a/default"}}, "b": {"$ref": "#/properties/a/default"}}})
    check_schema("x.treeType", {"type": "object", "oneOf": [leaf, {"properties": {"kid": {"$ref": "#"}}, "required": ["kid"]}]})


def test_a_draft07_tuple_in_a_2020_12_schema_is_named_with_its_fix_and_accepted_when_the_draft_is_declared():
    tuple_schema = {"properties": {"pair": {"type": "array", "items": [{"type": "string"}, {"type": "integer"}]}}}
    with pytest.raises(InvalidJsonError, match=r"keyword items at /properties/pair: holds a list \(draft-07 tuple syntax\): use \"prefixItems\""):
        check_schema("x.tupleType", tuple_schema)
    draft07 = {"$schema": "http://json-schema.org/draft-07/schema#", **tuple_schema}
    check_schema("x.tupleType", draft07)
    assert validator_for(draft07).is_valid({"pair": ["a", 1]}) and not validator_for(draft07).is_valid({"pair": [1, "a"]})


def test_the_secrets_of_a_tuple_are_found_in_either_draft():
    draft07 = {"$schema": "http://json-schema.org/draft-07/schema#", "properties": {
        "pair": {"type": "array", "items": [{"type": "string", "writeOnly": True}, {"type": "string"}], "additionalItems": {"format": "password"}}}}
    assert secret_values(draft07, {"pair": ["first-secret", "public", "third-secret"]}) == ["first-secret", "third-secret"]
    current = {"properties": {"pair": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "string", "writeOnly": True}]}}}
    assert secret_values(current, {"pair": ["public", "second-secret", "anything"]}) == ["second-secret"]
    assert secret_values(RememberedSchema(draft07), {"pair": ["first-secret", "public"]}) == ["first-secret"]


def test_the_password_in_a_url_is_a_secret_wherever_the_url_sits_and_the_rest_is_not():
    schema = {"type": "object", "properties": {
        "mirrors": {"type": "array", "items": {"type": "string", "format": "uri"}},
        "proxy": {"type": "string", "x-url-with-credentials": True},
        "homepage": {"type": "string"}}}
    config = {"mirrors": ["https://bob:m1rror-pw@mirror.example/x", "https://mirror.example/y"],
              "proxy": "http://carol:{{PROXY_PASSWORD}}@proxy:3128", "homepage": "https://dave:not-a-url-field@x"}
    assert secret_values(schema, config) == ["m1rror-pw"]
    masked = mask_secrets(schema, config, lambda path, secret: "***")
    assert masked["mirrors"] == ["https://bob:***@mirror.example/x", "https://mirror.example/y"]
    assert masked["proxy"] == config["proxy"], "a placeholder names where the password comes from"
    assert masked["homepage"] == config["homepage"]


CORPUS = sorted((Path(__file__).resolve().parents[1] / "editor" / "schema_corpus").glob("*/*.json"))


def _reading(schema, value) -> list:
    """Everything loading a config reads from its schema, as one comparable value."""
    errors = sorted((list(e.absolute_path), e.message) for e in validator_for(schema).iter_errors(value)) if isinstance(schema, dict) else []
    return [apply_defaults(schema, value), default_for(schema), secret_paths(schema, value), secret_values(schema, value),
            reference_fields(schema, value), missing_required(schema, value) if isinstance(value, dict) else None, errors]


@pytest.mark.parametrize("path", [*SHIPPED, *(p for p in CORPUS if p.parent.name != "refused")], ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_a_schema_read_once_per_version_reads_every_config_as_the_schema_itself_does(path):
    """App keeps one parsed copy of each version of a Type's schema and remembers what its walks
    compute from the schema alone: defaults, secrets, references and errors stay the same, and
    a loaded config shares nothing with the schema (a Loader may change its copy)."""
    entry = json.loads(path.read_text())
    schema, values = (entry["schema"], entry["valid"]) if "valid" in entry else (entry, [default_for(entry) or {}])
    remembered = RememberedSchema(json.loads(json.dumps(schema)))
    for value in [*values, {}, None]:
        expected = _reading(schema, value)
        assert _reading(remembered, value) == expected
        for item in (apply_defaults(remembered, json.loads(json.dumps(value))) or {}).values() if isinstance(value, dict) else ():
            if isinstance(item, (dict, list)):
                item.clear()  # a Loader changing its config
        assert _reading(remembered, value) == expected


WRONG_VALUES = (None, True, 1, 1.5, -1, "", "x" * 300, "not a name\n", [], {}, [1], {"x": 1})


def _verdict(schema, config) -> str:
    try:
        validate_config(schema, config, "demo.robot")
    except ConfigInvalidError as exc:
        return str(exc)
    return "valid"


@pytest.mark.parametrize("path", [*SHIPPED, *(p for p in CORPUS if p.parent.name != "refused")], ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_a_config_is_valid_or_refused_with_the_same_message_whichever_way_its_schema_is_read(path):
    """A schema App reads once per version takes a quick check for plain schemas (fastjsonschema):
    every config it lets through is one jsonschema finds valid, and every refusal is jsonschema's
    message, naming the field."""
    entry = json.loads(path.read_text())
    schema, values = (entry["schema"], entry["valid"]) if "valid" in entry else (entry, [apply_defaults(entry, {})])
    remembered = RememberedSchema(json.loads(json.dumps(schema)))
    for value in values:
        wrong = [value, *WRONG_VALUES]
        if isinstance(value, dict):
            wrong += [{**value, key: item} for key in [*value, "unknown"] for item in WRONG_VALUES]
            wrong += [{k: v for k, v in value.items() if k != key} for key in value]
        for config in wrong:
            assert _verdict(remembered, config) == _verdict(schema, config), config


def test_the_quick_check_is_never_more_lenient_than_jsonschema_where_the_two_libraries_differ():
    schema = {"type": "object", "properties": {
        "name": {"type": "string", "pattern": "^[a-z]+$"},  # fastjsonschema's `$` is `\Z`: "abc\n" goes to jsonschema, which takes it
        "count": {"type": "integer", "minimum": 1},
        "mode": {"enum": ["a", "b"]},
    }}
    remembered = RememberedSchema(schema)
    for config in ({"name": "abc\n"}, {"count": 2.0}, {"count": True}, {"mode": "a"}, {"mode": 1}, {"count": 0}):
        assert _verdict(remembered, config) == _verdict(schema, config)
    assert _verdict(remembered, {"count": 0}) == "demo.robot: config.json field count: 0 is less than the minimum of 1"
