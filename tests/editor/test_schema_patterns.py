"""The schema patterns real-world schemas use that forms used to lose or crash on, through the real editor."""
from __future__ import annotations

import html as html_text
import json

import pytest

from element_studio.editor.schema_form import html_id, marker
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


def changed(session, form: dict, field: str) -> str:
    """What the page gets back when `field` was changed (a re-rendered section or feedback)."""
    return session.post("/instances/patterns.sample/form/changed", {**form, "_field": [field], "_event": ["change"]}).get_data(as_text=True)


def swapped_in(form: dict, section_html: str) -> dict:
    """The form after the browser swapped in a re-rendered root section (every config field)."""
    return {**{k: v for k, v in form.items() if not k.startswith("config")}, **Page(section_html).form_data(None)}


def required_label(label: str) -> str:
    return f'{label}<span class="req" aria-hidden="true">*</span>'


def billing(keyword: str) -> dict:
    draft = {"$schema": "http://json-schema.org/draft-07/schema#"} if keyword == "dependencies" else {}
    return {**draft, "type": "object", "required": ["name"],
            "properties": {"name": {"type": "string"}, "credit_card": {"type": "number", "title": "Card"}},
            keyword: {"credit_card": {"properties": {"billing_address": {"type": "string", "title": "Billing address"}}, "required": ["billing_address"]}}}


@pytest.mark.parametrize("keyword", ["dependentSchemas", "dependencies"])
def test_a_dependent_schema_adds_its_fields_once_the_trigger_is_filled_in_and_removes_them_when_it_is_emptied(session, open_instance, keyword):
    _, form, config_file = open_instance(billing(keyword), {"name": "Randy"})
    assert "config/billing_address" not in form
    shown = changed(session, {**form, "config/credit_card": ["4111"]}, "config/credit_card")
    assert '<div class="fields" id="f-config" hx-swap-oob="true">' in shown and required_label("Billing address") in shown
    form = swapped_in(form, shown)
    assert form["config/billing_address"] == [""] and form["config/credit_card"] == ["4111"]
    form["config/billing_address"] = ["1 Main St"]
    hidden = changed(session, {**form, "config/credit_card": [""]}, "config/credit_card")
    assert "config/billing_address" not in Page(hidden).form_data(None) and "Billing address" not in hidden
    again = swapped_in(form, changed(session, {**swapped_in(form, hidden), "config/credit_card": ["4111"]}, "config/credit_card"))
    assert again["config/billing_address"] == ["1 Main St"]  # what was typed waited in the stash
    assert saved(session, again, config_file) == {"name": "Randy", "credit_card": 4111, "billing_address": "1 Main St"}


@pytest.mark.parametrize("keyword", ["dependentSchemas", "dependencies"])
def test_stored_values_of_a_dependent_schema_are_real_fields_and_an_unchanged_save_keeps_them(session, open_instance, keyword):
    config = {"name": "Randy", "credit_card": 4111, "billing_address": "1 Main St"}
    html, form, config_file = open_instance(billing(keyword), config)
    assert form["config/billing_address"] == ["1 Main St"] and "config/$extra" not in form and required_label("Billing address") in html
    assert saved(session, form, config_file) == config


@pytest.mark.parametrize("keyword", ["dependentRequired", "dependencies"])
def test_a_required_dependency_marks_its_fields_required_while_the_trigger_is_filled_in(session, open_instance, keyword):
    draft = {"$schema": "http://json-schema.org/draft-07/schema#"} if keyword == "dependencies" else {}
    schema = {**draft, "type": "object", "properties": {"card": {"type": "number", "title": "Card"}, "address": {"type": "string", "title": "Address"}},
              keyword: {"card": ["address"]}}
    html, form, config_file = open_instance(schema, {})
    assert required_label("Address") not in html
    shown = changed(session, {**form, "config/card": ["4111"]}, "config/card")
    assert required_label("Address") in shown and 'name="config/address" aria-describedby="f-config-address-feedback" aria-required="true"' in shown
    form = swapped_in(form, shown)
    feedback = changed(session, form, "config/address")
    assert '<div class="feedback" id="f-config-address-feedback" hx-swap-oob="true"><p class="feedback__error">Fill in this field when card is set.</p>' in feedback
    assert required_label("Address") not in changed(session, {**form, "config/card": [""]}, "config/card")
    form["config/address"] = ["1 Main St"]
    assert saved(session, form, config_file) == {"card": 4111, "address": "1 Main St"}


def test_a_dependency_that_is_a_choice_shows_the_fields_of_the_answer_given(session, open_instance):
    answers = ["No", "One", "More"]
    schema = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "required": ["pets"],
              "properties": {"pets": {"type": "string", "enum": answers, "default": "No", "title": "Pets"}},
              "dependencies": {"pets": {"oneOf": [
                  {"properties": {"pets": {"enum": ["No"]}}},
                  {"properties": {"pets": {"enum": ["One"]}, "age": {"type": "number", "title": "Age of the pet"}}, "required": ["age"]},
                  {"properties": {"pets": {"enum": ["More"]}, "getRidOf": {"type": "boolean", "title": "Give some away"}}, "required": ["getRidOf"]}]}}}
    html, form, config_file = open_instance(schema, {"pets": "One", "age": 6})
    assert form["config/age"] == ["6"] and "config/getRidOf" not in form and required_label("Age of the pet") in html
    assert [o["value"] for tag, o in Page(html).elements if tag == "option"] == answers  # the answer can still be changed
    more = changed(session, {**form, "config/pets": ["More"]}, "config/pets")
    assert "Give some away" in more and "Age of the pet" not in more
    assert [o["value"] for tag, o in Page(more).elements if tag == "option"] == answers
    assert "Age of the pet" not in changed(session, {**form, "config/pets": ["No"]}, "config/pets")
    assert saved(session, form, config_file) == {"pets": "One", "age": 6}


ANIMALS = {"type": "object", "properties": {"animal": {"enum": ["Cat", "Fish"], "title": "Animal"}},
           "allOf": [{"if": {"properties": {"animal": {"const": "Cat"}}},
                      "then": {"properties": {"food": {"type": "string", "enum": ["meat", "grass", "fish"]}}, "required": ["food"]}},
                     {"if": {"properties": {"animal": {"const": "Fish"}}},
                      "then": {"properties": {"food": {"type": "string", "enum": ["insect", "worms"]}, "water": {"type": "string", "enum": ["lake", "sea"]}},
                               "required": ["food", "water"]}},
                     {"required": ["animal"]}]}


def options_of(html: str, name: str) -> list[str]:
    page, inside, found = Page(html), False, []
    for tag, attrs in page.elements:
        if tag == "select":
            inside = attrs.get("name") == name
        elif tag == "option" and inside and attrs["value"]:
            found.append(attrs["value"])
    return found


def test_every_if_then_of_an_allof_shows_its_fields(session, open_instance):
    html, form, config_file = open_instance(ANIMALS, {"animal": "Cat", "food": "fish"})
    assert options_of(html, "config/food") == ["meat", "grass", "fish"] and "config/water" not in form and "config/$extra" not in form
    assert saved(session, form, config_file) == {"animal": "Cat", "food": "fish"}
    fish = changed(session, {**form, "config/animal": ["Fish"]}, "config/animal")
    assert options_of(fish, "config/food") == ["insect", "worms", "fish"] and "fish (not allowed)" in fish  # the cat's food stays until changed
    assert options_of(fish, "config/water") == ["lake", "sea"]
    html, form, config_file = open_instance(ANIMALS, {"animal": "Fish", "food": "worms", "water": "sea"})
    assert options_of(html, "config/water") == ["lake", "sea"] and form["config/water"] == ["sea"]
    assert saved(session, form, config_file) == {"animal": "Fish", "food": "worms", "water": "sea"}


def feedback_of(field_id: str, message: str) -> str:
    return f'<div class="feedback" id="{field_id}-feedback" hx-swap-oob="true"><p class="feedback__error">{message}</p>'


def test_after_a_map_entry_is_renamed_its_messages_reach_its_fields(session, open_instance):
    schema = {"type": "object", "properties": {"name": {"type": "string"}},
              "additionalProperties": {"type": "integer", "maximum": 65535}, "patternProperties": {"^x-": {"type": "string"}}}
    _, form, config_file = open_instance(schema, {"name": "n", "port": 80, "spare": 1, "x-note": "hi"})
    form["config/port/$key"], form["config/spare/$key"], form["config/port"] = ["spare"], ["port"], ["70000"]  # swapped names
    review = session.post("/instances/patterns.sample/review", form)
    assert review.status_code == 422
    assert feedback_of(html_id("config/port"), "Must be at most 65535.") in review.get_data(as_text=True)  # the field the page has
    live = changed(session, form, "config/port/$key")
    assert feedback_of(html_id("config/port"), "Must be at most 65535.") in live
    form["config/port"], form["config/x-note/$key"] = ["8080"], ["port"]
    duplicate = changed(session, form, "config/x-note/$key")
    assert feedback_of(html_id(marker("config/x-note", "key")), "There is already an entry named port.") in duplicate
    review = session.post("/instances/patterns.sample/review", form).get_data(as_text=True)
    assert feedback_of(html_id(marker("config/x-note", "key")), "There is already an entry named port.") in review
    added = session.post("/instances/patterns.sample/form/array", {**form, "_op": "add-entry", "_target": "config", "_key": ""})
    fragment = Page(added.get_data(as_text=True)).form_data(None)  # the entry with a name it cannot have is kept as typed
    assert fragment["config/x-note/$key"] == ["port"] and fragment["config/x-note"] == ["hi"] and fragment["config/port"] == ["8080"]
    form["config/x-note/$key"] = ["x-note"]
    assert saved(session, form, config_file) == {"name": "n", "spare": 8080, "port": 1, "x-note": "hi"}


def test_an_allof_of_two_choices_offers_both_and_saves_what_each_picks(session, open_instance):
    schema = {"type": "object", "properties": {"conn": {
        "type": "object", "title": "Connection", "properties": {"host": {"type": "string"}},
        "allOf": [
            {"anyOf": [{"title": "Password", "properties": {"password": {"type": "string"}}, "required": ["password"]},
                       {"title": "Key file", "properties": {"keyFile": {"type": "string"}}, "required": ["keyFile"]}]},
            {"oneOf": [{"title": "TCP", "properties": {"port": {"type": "integer"}}, "required": ["port"]},
                       {"title": "Socket", "properties": {"socket": {"type": "string"}}, "required": ["socket"]}]},
        ]}}}
    config = {"conn": {"host": "db", "keyFile": "/keys/db", "socket": "/run/db.sock"}}
    html, form, config_file = open_instance(schema, config)
    assert (form["config/conn/$variant"], form["config/conn/$variant2"]) == (["1"], ["1"])  # Key file, Socket
    assert saved(session, form, config_file) == config

    form = Page(session.get("/instances/patterns.sample").get_data(as_text=True)).form_data()
    form["config/conn/$variant2"] = ["0"]  # the second choice switched to TCP: its section is redrawn
    section = session.post("/instances/patterns.sample/form/changed", {**form, "_field": "config/conn/$variant2"})
    redrawn = Page(section.get_data(as_text=True)).form_data(None)
    assert "config/conn/port" in redrawn and "config/conn/socket" not in redrawn
    assert redrawn["config/conn/keyFile"] == ["/keys/db"]  # the first choice's field is untouched
    form = {k: v for k, v in form.items() if k != "config/conn/socket"} | redrawn  # as the page now holds it
    form["config/conn/port"] = ["5432"]
    assert saved(session, form, config_file) == {"conn": {"host": "db", "keyFile": "/keys/db", "port": 5432}}

    form = Page(session.get("/instances/patterns.sample").get_data(as_text=True)).form_data()
    form["config/conn/$variant"] = ["0"]  # the first choice switched to Password: what both share stays
    section = session.post("/instances/patterns.sample/form/changed", {**form, "_field": "config/conn/$variant"})
    redrawn = Page(section.get_data(as_text=True)).form_data(None)
    assert (redrawn["config/conn/host"], redrawn["config/conn/port"], redrawn["config/conn/$variant2"]) == (["db"], ["5432"], ["0"])
    assert redrawn["config/conn/password"] == [""] and "config/conn/keyFile" not in redrawn
