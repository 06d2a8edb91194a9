"""Schema -> form -> JSON, keyword by keyword (pure: no Flask, no files)."""
from __future__ import annotations

import pytest

from element_studio.editor.schema_form import (
    MISSING_MESSAGE,
    FormContext,
    UiState,
    build_form,
    marker,
    masked,
    order_like,
    parse_form,
    validate_config,
)
from element_studio.runtime.schema import secret_values
from tests.editor.submit import submitted


def round_trip(schema, value, original=None, **context):
    """What a save without edits gives back."""
    tree = build_form(schema, value, FormContext(original=value if original is None else original, **context))
    return parse_form(schema, submitted(tree), original=value if original is None else original)


def form_of(schema, value=None, **context):
    return build_form(schema, value or {}, FormContext(original=value or {}, **context))


def obj(properties, **extra):
    return {"type": "object", "properties": properties, **extra}


# scalars -----------------------------------------------------------------------------------
def test_titles_label_fields_descriptions_help_and_examples_are_placeholders():
    schema = obj({"clientId": {"type": "string", "title": "Client ID", "description": "From the console.", "examples": ["ding123"]},
                  "reply_mode": {"type": "string"}})
    fields = {f.name: f for f in form_of(schema).walk()}
    assert fields["config/clientId"].label == "Client ID"
    assert fields["config/clientId"].help == "From the console."
    assert fields["config/clientId"].placeholder == "ding123"
    assert fields["config/reply_mode"].label == "Reply mode"


def test_types_come_back_typed():
    schema = obj({"s": {"type": "string"}, "i": {"type": "integer"}, "n": {"type": "number"}, "b": {"type": "boolean"}})
    value = {"s": "text", "i": 42, "n": 2.5, "b": True}
    assert round_trip(schema, value).value == value
    assert round_trip(schema, {**value, "b": False}).value == {**value, "b": False}


def test_text_that_is_not_a_number_is_kept_with_a_problem():
    schema = obj({"i": {"type": "integer"}, "n": {"type": "number"}})
    parsed = parse_form(schema, {"config/i": ["abc"], "config/n": ["1.5e"]})
    assert parsed.value == {"i": "abc", "n": "1.5e"}
    assert parsed.problems == {"config/i": "Enter a whole number.", "config/n": "Enter a number."}
    assert parse_form(schema, {"config/i": ["2.5"]}).problems == {"config/i": "Enter a whole number."}


def test_required_is_marked_and_an_empty_string_is_no_value():
    schema = obj({"name": {"type": "string"}}, required=["name"])
    tree = form_of(schema)
    assert tree.find("config/name").required
    parsed = parse_form(schema, {"config/name": [""]})
    assert parsed.value == {}
    report = validate_config(schema, parsed.value)
    assert report.errors == {"config/name": [MISSING_MESSAGE]} and report.only_missing


def test_an_empty_optional_field_stays_absent_unless_the_file_held_an_empty_string():
    schema = obj({"proxy": {"type": "string"}, "note": {"type": "string", "default": ""}})
    assert parse_form(schema, {"config/proxy": [""], "config/note": [""]}).value == {}
    assert parse_form(schema, {"config/proxy": [""]}, original={"proxy": ""}).value == {"proxy": ""}


def test_enum_is_a_select_or_radios_and_keeps_non_string_values():
    schema = obj({"mode": {"enum": ["card", "markdown"], "default": "card"},
                  "level": {"enum": [1, 2, 3], "x-widget": "radios"}}, required=["mode", "level"])
    tree = form_of(schema, {"mode": "markdown", "level": 2})
    assert tree.find("config/mode").kind == "select"
    assert [o.value for o in tree.find("config/level").options] == ["1", "2", "3"]
    assert tree.find("config/level").kind == "radios"
    assert round_trip(schema, {"mode": "markdown", "level": 2}).value == {"mode": "markdown", "level": 2}


def test_oneof_of_titled_consts_is_a_labelled_select():
    schema = obj({"size": {"oneOf": [{"const": "s", "title": "Small"}, {"const": "l", "title": "Large"}]}})
    field = form_of(schema, {"size": "l"}).find("config/size")
    assert field.kind == "select"
    assert [(o.label, o.selected) for o in field.options if o.value] == [("Small", False), ("Large", True)]


def test_defaults_shown_but_not_written_while_untouched():
    schema = obj({"flags": obj({"enabled": {"type": "boolean", "default": True},
                                "mode": {"enum": ["a", "b"], "default": "b"},
                                "count": {"type": "integer", "default": 3}})})
    tree = form_of(schema, {"flags": {}})
    assert tree.find("config/flags/enabled").checked
    assert tree.find("config/flags/count").placeholder == "3"
    assert round_trip(schema, {"flags": {}}).value == {"flags": {}}


def test_const_is_displayed_and_written_when_required_or_already_there():
    schema = obj({"version": {"const": 2}, "note": {"const": "x"}}, required=["version"])
    assert form_of(schema).find("config/version").display == "2"
    assert round_trip(schema, {}).value == {"version": 2}
    assert round_trip(schema, {"note": "x"}).value == {"version": 2, "note": "x"}


@pytest.mark.parametrize("fmt, input_type", [("email", "email"), ("uri", "url"), ("date", "date"), ("password", "password")])
def test_formats_pick_the_input(fmt, input_type):
    field = form_of(obj({"x": {"type": "string", "format": fmt}})).find("config/x")
    assert field.input_type == input_type


def test_format_errors_have_plain_messages():
    schema = obj({"mail": {"type": "string", "format": "email"}, "site": {"type": "string", "format": "uri"},
                  "day": {"type": "string", "format": "date"}})
    report = validate_config(schema, {"mail": "nobody", "site": "example.com", "day": "2024-13-40"})
    assert report.errors == {
        "config/mail": ["Enter an email address, like name@example.com."],
        "config/site": ["Enter a full URL, like https://example.com/path."],
        "config/day": ["Enter a date as YYYY-MM-DD."],
    }


def test_constraints_become_html_attributes_and_server_checks():
    schema = obj({"name": {"type": "string", "minLength": 3, "maxLength": 8, "pattern": "^[a-z]+$"},
                  "port": {"type": "integer", "minimum": 1, "maximum": 65535}})
    tree = form_of(schema)
    assert tree.find("config/name").attrs["minlength"] == "3"
    assert tree.find("config/name").attrs["maxlength"] == "8"
    assert tree.find("config/name").attrs["pattern"].startswith("(?:^[a-z]+$)|")
    assert tree.find("config/port").attrs == {"step": "1", "min": "1", "max": "65535"}
    report = validate_config(schema, {"name": "AB", "port": 70000})
    assert report.errors["config/name"] == ["Use at least 3 characters.", "Does not have the expected form (pattern ^[a-z]+$)."]
    assert report.errors["config/port"] == ["Must be at most 65535."]


def test_read_only_fields_are_shown_and_never_taken_from_the_browser():
    schema = obj({"id": {"type": "string", "readOnly": True}})
    assert form_of(schema, {"id": "abc"}).find("config/id").read_only
    assert parse_form(schema, {"config/id": ["forged"]}, original={"id": "abc"}).value == {"id": "abc"}


def test_x_order_and_textarea_and_placeholder_hints():
    schema = obj({"b": {"type": "string", "x-widget": "textarea", "x-placeholder": "Say hi"}, "a": {"type": "string"}},
                 **{"x-order": ["a"]})
    tree = form_of(schema)
    assert [c.name for c in tree.children] == ["config/a", "config/b"]
    assert tree.find("config/b").kind == "textarea"
    assert tree.find("config/b").placeholder == "Say hi"


def test_multiline_text_survives_the_browser_line_endings():
    schema = obj({"prompt": {"type": "string"}})
    assert round_trip(schema, {"prompt": "one\ntwo"}).value == {"prompt": "one\ntwo"}


# nesting ----------------------------------------------------------------------------------------
def test_nested_objects_and_defs_refs():
    schema = {"type": "object", "$defs": {"retry": obj({"max": {"type": "integer", "default": 3}})},
              "properties": {"retry": {"$ref": "#/$defs/retry", "title": "Retry"}}}
    tree = form_of(schema, {"retry": {"max": 5}})
    assert tree.find("config/retry").kind == "object"
    assert tree.find("config/retry").label == "Retry"
    assert round_trip(schema, {"retry": {"max": 5}}).value == {"retry": {"max": 5}}
    assert validate_config(schema, {"retry": {"max": "x"}}).errors == {"config/retry/max": ["Enter a whole number."]}


def test_arrays_of_scalars_and_objects():
    schema = obj({"tags": {"type": "array", "items": {"type": "string"}},
                  "rules": {"type": "array", "items": obj({"word": {"type": "string"}, "weight": {"type": "number", "default": 1}}),
                            "maxItems": 2}})
    value = {"tags": ["a", "b"], "rules": [{"word": "x", "weight": 2}]}
    tree = form_of(schema, value)
    assert [c.label for c in tree.find("config/tags").children] == ["Item 1", "Item 2"]
    assert tree.find("config/rules").extra["new_item"] == {"weight": 1}
    assert round_trip(schema, value).value == value
    assert round_trip(schema, {"tags": []}).value == {"tags": []}
    assert not form_of(schema, {"rules": [{}, {}]}).find("config/rules").can_add


def test_unknown_keys_travel_through_the_form():
    schema = obj({"a": {"type": "string"}, "sub": obj({"b": {"type": "string"}})})
    value = {"zeta": 1, "a": "x", "sub": {"b": "y", "extra": [1, 2]}}
    assert round_trip(schema, value).value == {"a": "x", "sub": {"b": "y", "extra": [1, 2]}, "zeta": 1}


def test_order_like_keeps_the_files_key_order():
    assert list(order_like({"b": 1, "a": 2, "gone": 3}, {"a": 5, "c": 1, "b": 1})) == ["b", "a", "c"]


# variants -------------------------------------------------------------------------------------------
AUTH = obj({"auth": {
    "title": "Authentication",
    "oneOf": [
        obj({"kind": {"const": "token"}, "token": {"type": "string", "writeOnly": True}}, title="Token", required=["kind", "token"]),
        obj({"kind": {"const": "basic"}, "user": {"type": "string"}, "password": {"type": "string", "format": "password"}},
            title="User and password", required=["kind", "user"]),
    ]}})


def test_a_oneof_shows_the_variant_the_value_matches():
    tree = form_of(AUTH, {"auth": {"kind": "basic", "user": "ann"}})
    variant = tree.find_id("f-config-auth-v")
    assert [(o.label, o.selected) for o in variant.options] == [("Token", False), ("User and password", True)]
    assert tree.find("config/auth/user").value == "ann"


def test_switching_variants_keeps_what_was_typed_in_each_and_drops_hidden_ones_at_save():
    tree = form_of(AUTH, {"auth": {"kind": "basic", "user": "ann"}})
    form = submitted(tree)
    form[marker("config/auth", "variant")] = ["0"]  # the user picks "Token"
    render = parse_form(AUTH, form, resolve_secrets=False).value
    switched = build_form(AUTH, render, FormContext(ui=UiState(form)))
    assert switched.find("config/auth/user") is None
    assert switched.find("config/auth/token").kind == "secret"
    back = submitted(switched)
    assert '"user": "ann"' in dict(switched.find("config/auth").hidden)[marker("config/auth", "stash")]
    assert parse_form(AUTH, back).value == {"auth": {"kind": "token"}}  # the stash is not saved
    back[marker("config/auth", "variant")] = ["1"]
    again = build_form(AUTH, parse_form(AUTH, back, resolve_secrets=False).value, FormContext(ui=UiState(back)))
    assert again.find("config/auth/user").value == "ann"


def test_scalar_variants_stash_the_other_value():
    schema = obj({"limit": {"oneOf": [{"type": "integer", "title": "Count"}, {"type": "string", "title": "Named"}]}})
    form = submitted(form_of(schema, {"limit": 5}))
    form[marker("config/limit", "variant")] = ["1"]
    switched = build_form(schema, parse_form(schema, form, resolve_secrets=False).value, FormContext(ui=UiState(form)))
    assert switched.find("config/limit").kind == "text" and switched.find("config/limit").value == ""
    back = submitted(switched)
    back[marker("config/limit", "variant")] = ["0"]
    restored = build_form(schema, parse_form(schema, back, resolve_secrets=False).value, FormContext(ui=UiState(back)))
    assert restored.find("config/limit").value == "5"


def test_if_then_else_swaps_the_dependent_fields():
    schema = obj({"mode": {"enum": ["direct", "proxy"], "default": "direct"}},
                 required=["mode"],
                 **{"if": {"properties": {"mode": {"const": "proxy"}}},
                    "then": obj({"proxyUrl": {"type": "string", "default": "socks5://"}}, required=["proxyUrl"]),
                    "else": obj({"timeout": {"type": "integer"}})})
    tree = form_of(schema, {"mode": "direct", "timeout": 3})
    assert tree.find("config/mode").refreshes == tree.id
    assert tree.find("config/proxyUrl") is None
    form = submitted(tree)
    form["config/mode"] = ["proxy"]
    switched = build_form(schema, parse_form(schema, form, resolve_secrets=False).value, FormContext(ui=UiState(form)))
    assert switched.find("config/proxyUrl").value == "socks5://"
    assert '"timeout": 3' in dict(switched.hidden)[marker("config", "stash")]
    assert validate_config(schema, {"mode": "proxy"}).errors == {"config/proxyUrl": [MISSING_MESSAGE]}


def test_oneof_errors_are_explained_in_the_chosen_variant():
    report = validate_config(AUTH, {"auth": {"kind": "basic"}}, chosen={"config/auth": 1})
    assert report.errors == {"config/auth/user": [MISSING_MESSAGE]}


# secrets, references, placeholders -------------------------------------------------------------------
def test_a_secret_is_never_in_the_form_and_keep_replace_clear_work():
    schema = obj({"token": {"type": "string", "writeOnly": True}})
    stored = {"token": "s3cret-value"}
    tree = form_of(schema, stored)
    field = tree.find("config/token")
    assert (field.kind, field.value, field.secret_set, field.secret_mode) == ("secret", "", True, "keep")
    assert "s3cret-value" not in repr(tree)
    form = submitted(tree)
    assert parse_form(schema, form, original=stored).value == stored
    assert parse_form(schema, {**form, "config/token": ["new-one"], marker("config/token", "secret"): ["replace"]}, original=stored).value == {"token": "new-one"}
    assert parse_form(schema, {**form, "config/token": ["ignored"], marker("config/token", "secret"): ["keep"]}, original=stored).value == stored
    assert parse_form(schema, {**form, marker("config/token", "secret"): ["clear"]}, original=stored).value == {}
    assert parse_form(schema, form, original=stored, resolve_secrets=False).value == {}


def test_secret_errors_never_quote_the_value():
    schema = obj({"token": {"type": "string", "format": "password", "pattern": "^x"}})
    report = validate_config(schema, {"token": "hunter22"})
    assert "hunter22" not in repr(report)


def test_secrets_in_diffs_say_only_whether_they_changed():
    before, after = masked(AUTH, {"auth": {"kind": "token", "token": "old-secret"}}, {"auth": {"kind": "token", "token": "new-secret"}})
    assert "secret" in before["auth"]["token"] and "new value" in after["auth"]["token"]
    assert secret_values(AUTH, {"auth": {"kind": "basic", "user": "u", "password": "pw-1234"}}) == ["pw-1234"]


def test_element_references_list_the_family_and_flag_a_missing_one():
    schema = obj({"agent": {"type": "string", "x-element-ref": "aiagents.Meta"}})
    refs = {"aiagents.Meta": [("aiagents.helpdesk", "Helpdesk")]}
    field = form_of(schema, {"agent": "aiagents.helpdesk"}, refs=refs).find("config/agent")
    assert field.kind == "ref" and field.ref_found
    assert [(o.value, o.selected) for o in field.options] == [("", False), ("aiagents.helpdesk", True)]
    gone = form_of(schema, {"agent": "aiagents.gone"}, refs=refs).find("config/agent")
    assert not gone.ref_found and gone.options[-1].label == "aiagents.gone (not found)" and gone.warnings


def test_placeholders_show_whether_defined_and_are_checked_as_their_value():
    schema = obj({"url": {"type": "string", "format": "uri"}, "port": {"type": "string", "pattern": "^[0-9]+$"}})
    value = {"url": "{{BASE_URL}}", "port": "{{NOPE}}"}
    tree = form_of(schema, value, env_names=frozenset({"BASE_URL"}))
    assert [(r.name, r.defined) for r in tree.find("config/url").env] == [("BASE_URL", True)]
    assert tree.find("config/port").warnings == ["NOPE is not defined: set it in the environment or the app's .env file."]
    report = validate_config(schema, value, env={"BASE_URL": "not a url"})
    assert report.errors == {"config/url": ["Enter a full URL, like https://example.com/path."]}
    assert "config/port" in report.warnings and report.ok is False
    assert validate_config(schema, value, env={"BASE_URL": "https://x.org"}).ok
