"""The schema patterns real-world schemas use that forms used to lose or crash on, through the real editor."""
from __future__ import annotations

import html as html_text
import json

import pytest

from tests.editor.conftest import write_type
from tests.editor.html_checks import Page
from tests.support.elements import instance, write_element

TYPE = "patterns.sampleType"


@pytest.fixture
def open_instance(app_dir, supervisor, session):
    """An instance of a Type with `schema` holding `config`; returns (page html, posted form, config path)."""
    def make(schema: dict, config: dict) -> tuple[str, dict[str, list[str]], object]:
        write_type(app_dir, TYPE, schema)
        folder = write_element(app_dir, "patterns.sample", instance(TYPE, at_start=False), config)
        supervisor.app.refresh()
        page = session.get("/instances/patterns.sample")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        return html, Page(html).form_data(), folder / "config.json"
    return make


def saved(session, form: dict, config_file) -> dict:
    response = session.post("/instances/patterns.sample/save", form)
    assert response.status_code == 200, html_text.unescape(response.get_data(as_text=True))[-1500:]
    return json.loads(config_file.read_text())


def test_a_stored_null_in_a_nullable_field_survives_a_save(session, open_instance):
    schema = {"type": "object", "properties": {"bio": {"type": ["string", "null"]}, "age": {"type": ["integer", "null"], "default": None},
                                               "tags": {"type": "array", "items": {"type": ["string", "null"]}}}}
    config = {"bio": None, "age": None, "tags": ["a", None]}
    _, form, config_file = open_instance(schema, config)
    assert saved(session, form, config_file) == config


def test_a_choice_inside_a_choice_has_its_own_selector_and_saves_the_chosen_branch(session, open_instance):
    schema = {"$defs": {"pattern": {"anyOf": [{"type": "string"}, {"type": "object", "properties": {"re": {"type": "string"}}, "required": ["re"]}]}},
              "type": "object", "properties": {"ignore": {"oneOf": [{"$ref": "#/$defs/pattern"}, {"type": "array", "items": {"$ref": "#/$defs/pattern"}}]}}}
    html, form, config_file = open_instance(schema, {"ignore": {"re": "^tmp/"}})
    page = Page(html)
    ids = [a["id"] for _, a in page.elements if a.get("id")]
    names = [a["name"] for tag, a in page.controls() if a.get("name") and tag == "select"]
    assert len(ids) == len(set(ids)) and len(names) == len(set(names)) == 2
    assert form["config/ignore/$variant"] == ["0"] and form["config/ignore/$variant2"] == ["1"]
    assert saved(session, form, config_file) == {"ignore": {"re": "^tmp/"}}
    form = Page(session.get("/instances/patterns.sample").get_data(as_text=True)).form_data()
    form["config/ignore/$variant2"], form["config/ignore/$shown2"] = ["0"], ["0"]
    form["config/ignore"] = ["node_modules"]
    assert saved(session, form, config_file) == {"ignore": "node_modules"}


def test_a_schema_that_refers_to_itself_and_boolean_subschemas_render_and_create(session, open_instance):
    schema = {"type": "object", "properties": {"name": {"type": "string"}, "child": {"$ref": "#"}, "free": True, "never": False,
                                               "either": {"anyOf": [{"$ref": "#"}, {"type": "string"}]}},
              "required": ["free"], "additionalProperties": True}
    config = {"name": "root", "child": {"name": "kid", "child": {"name": "grandkid"}}, "free": [1, {"a": None}]}
    html, form, config_file = open_instance(schema, config)
    assert "It repeats the settings it is part of." in html
    assert saved(session, form, config_file) == config
    created = session.post(f"/types/{TYPE}/new", htmx=False)
    assert created.status_code == 302 and session.get(created.headers["Location"]).status_code == 200


def test_a_stored_value_of_the_wrong_type_is_shown_as_a_problem_and_kept(session, open_instance):
    schema = {"type": "object", "properties": {"on": {"type": "boolean"}, "count": {"type": "number"}, "name": {"type": "string"}}}
    config = {"on": "yes", "count": "42", "name": "ok"}
    html, form, config_file = open_instance(schema, config)
    text = html_text.unescape(html)
    assert "Choose yes or no. The stored value is kept until you change it." in text
    assert "Enter a number. The stored value is kept until you change it." in text
    review = session.post("/instances/patterns.sample/review", form)
    assert review.status_code == 422 and json.loads(config_file.read_text()) == config
    form["config/on"], form["config/count"] = ["true"], ["42"]
    assert saved(session, form, config_file) == {"on": True, "count": 42, "name": "ok"}


def test_dependencies_are_checked_on_save_in_both_drafts(session, open_instance):
    draft07 = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object",
               "properties": {"card": {"type": "number"}, "address": {"type": "string"}}, "dependencies": {"card": ["address"]}}
    _, form, config_file = open_instance(draft07, {"card": 4111, "address": "1 Main St"})
    form["config/address"] = [""]
    review = session.post("/instances/patterns.sample/review", form)
    assert review.status_code == 422 and "Fill in this field when card is set." in review.get_data(as_text=True)
    current = {k: v for k, v in draft07.items() if k not in ("$schema", "dependencies")} | {"dependentRequired": {"card": ["address"]}}
    _, form, config_file = open_instance(current, {"card": 1, "address": "x"})
    form["config/address"] = [""]
    review = session.post("/instances/patterns.sample/review", form)
    assert review.status_code == 422 and "Fill in this field when card is set." in review.get_data(as_text=True)


def test_a_map_entry_is_renamed_added_and_removed(session, open_instance):
    schema = {"type": "object", "properties": {"name": {"type": "string"}},
              "additionalProperties": {"type": "integer"}, "patternProperties": {"^x-": {"type": "string"}}}
    html, form, config_file = open_instance(schema, {"name": "n", "port": 80, "x-note": "hi"})
    assert {"config/port/$key", "config/x-note/$key"} <= set(form) and form["config/port"] == ["80"]
    form["config/port/$key"] = ["httpPort"]
    assert saved(session, form, config_file) == {"name": "n", "httpPort": 80, "x-note": "hi"}
    page = Page(session.get("/instances/patterns.sample").get_data(as_text=True))
    added = session.post("/instances/patterns.sample/form/array", {**page.form_data(), "_op": "add-entry", "_target": "config", "_key": ""})
    fragment = Page(added.get_data(as_text=True)).form_data(None)
    assert fragment["config/newKey/$key"] == ["newKey"]
    removed = session.post("/instances/patterns.sample/form/array", {**fragment, "_op": "remove-entry", "_target": "config", "_key": "x-note"})
    fragment = Page(removed.get_data(as_text=True)).form_data(None)
    assert "config/x-note/$key" not in fragment
    fragment["config/newKey/$key"], fragment["config/newKey"] = ["timeout"], ["30"]
    fragment["_fingerprint"] = page.form_data()["_fingerprint"]
    assert saved(session, {**fragment, **{k: v for k, v in page.form_data().items() if k.startswith(("element/", "csrf"))}}, config_file) \
        == {"name": "n", "httpPort": 80, "timeout": 30}
    duplicate = {**page.form_data(), "config/x-note/$key": ["httpPort"]}
    review = session.post("/instances/patterns.sample/review", duplicate)
    assert review.status_code == 422 and "There is already an entry named httpPort." in review.get_data(as_text=True)
