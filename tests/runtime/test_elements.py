"""Discovery and resolution: every way an element folder can be wrong gets its own clear error."""
from __future__ import annotations

import json

from element_studio.runtime.app import App
from element_studio.runtime.errors import (
    InvalidJsonError,
    InvalidNameError,
    NotAMetaError,
    SchemaViolationError,
    ShadowedElementError,
    TypeCycleError,
    UnknownTypeError,
)
from element_studio.runtime.json_files import write_json_atomic
from tests.support.elements import instance, write_element

META = {"title": "Family", "type": "", "backendBundleEntry": "."}


def problems_of(app: App, cls):
    return [p for p in app.problems if isinstance(p, cls)]


def test_fullname_is_the_dotted_folder_path_and_shipped_families_are_available(app_dir):
    write_element(app_dir, "shop.Meta", META)
    write_element(app_dir, "shop.payType", {"title": "Pay", "type": "shop.Meta"})
    write_element(app_dir, "shop.paypal", instance("shop.payType"))
    app = App(app_dir)
    assert [e.full_name for e in app.chain("shop.paypal")] == ["shop.paypal", "shop.payType", "shop.Meta"]
    assert app.kind("shop.paypal") == "instance"
    assert "imRobots.Meta" in [m.full_name for m in app.metas()]
    assert "aiagents.Meta" in [m.full_name for m in app.metas()]
    assert app.problems == []


def test_invalid_json_is_reported_with_line_and_column_and_the_rest_still_load(app_dir):
    write_element(app_dir, "shop.Meta", META)
    write_element(app_dir, "shop.broken", '{\n  "title": "x",\n  "type": \n}')
    app = App(app_dir)
    [problem] = problems_of(app, InvalidJsonError)
    assert problem.full_name == "shop.broken"
    assert "e.json" in str(problem) and "line 4, column 1" in str(problem)
    assert "shop.Meta" in app.elements


def test_e_json_is_validated_against_the_element_schema(app_dir):
    write_element(app_dir, "shop.Meta", {"type": ""})
    write_element(app_dir, "shop.Other", {"title": "t", "type": "", "backendLoadTime": "whenever"})
    app = App(app_dir)
    messages = sorted(str(p) for p in problems_of(app, SchemaViolationError))
    assert messages[0].startswith("shop.Meta: e.json") and "'title' is a required property" in messages[0]
    assert messages[1].startswith("shop.Other: e.json field backendLoadTime")


def test_unknown_type_cycle_and_non_meta_parent_each_have_their_error(app_dir):
    write_element(app_dir, "shop.Meta", META)
    write_element(app_dir, "shop.lost", instance("shop.nowhereType"))
    write_element(app_dir, "shop.a", {"title": "a", "type": "shop.b"})
    write_element(app_dir, "shop.b", {"title": "b", "type": "shop.a"})
    write_element(app_dir, "shop.payType", {"title": "Pay", "type": "shop.Meta"})
    write_element(app_dir, "shop.paypal", instance("shop.payType"))
    write_element(app_dir, "shop.deep", instance("shop.paypal"))
    app = App(app_dir)
    assert "unknown type 'shop.nowhereType'" in str(problems_of(app, UnknownTypeError)[0])
    assert "cycle" in str(problems_of(app, TypeCycleError)[0])
    [not_meta] = problems_of(app, NotAMetaError)
    assert not_meta.full_name == "shop.paypal" and "must be a Meta" in str(not_meta)


def test_folder_names_must_be_identifiers(app_dir):
    write_element(app_dir, "shop.Meta", META)
    folder = app_dir / "shop" / "my-robot"
    folder.mkdir()
    (folder / "e.json").write_text(json.dumps(instance("shop.payType")))
    [problem] = problems_of(App(app_dir), InvalidNameError)
    assert "'my-robot' is not an identifier" in str(problem)


def test_an_app_element_shadowing_a_shipped_one_is_reported_not_preferred(app_dir):
    write_element(app_dir, "imRobots.Meta", {"title": "Mine", "type": ""})
    app = App(app_dir)
    [problem] = problems_of(app, ShadowedElementError)
    assert problem.full_name == "imRobots.Meta"
    assert app.element("imRobots.Meta").title == "IM Robot"


def test_unknown_keys_survive_a_rewrite_in_their_order(app_dir):
    folder = write_element(app_dir, "shop.Meta", '{"zeta": 1, "title": "F", "type": "", "x-owner": {"team": "ops"}}')
    app = App(app_dir)
    descriptor = app.element("shop.Meta").descriptor
    write_json_atomic(folder / "e.json", {**descriptor, "title": "Renamed"})
    assert list(json.loads((folder / "e.json").read_text())) == ["zeta", "title", "type", "x-owner"]
    assert App(app_dir).element("shop.Meta").descriptor["x-owner"] == {"team": "ops"}
