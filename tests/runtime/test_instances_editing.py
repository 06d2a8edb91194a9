"""Editing instance folders: save with a fingerprint check, rename, duplicate, delete."""
from __future__ import annotations

import json

import pytest

from element_studio.runtime.app import App
from element_studio.runtime.errors import ConcurrentEditError, ElementError, InvalidNameError
from element_studio.runtime.instances import (
    create_instance,
    delete_instance,
    duplicate_instance,
    file_fingerprint,
    rename_instance,
    save_instance,
)
from tests.support.elements import copy_fixture

TYPE = "probes.tcpProbeType"


@pytest.fixture
def app(app_dir):
    copy_fixture("probe", app_dir)
    application = App(app_dir)
    create_instance(application, TYPE, "probes.one", {"port": 4000, "token": "tok-secret"})
    return application


def read(app, full_name, file):
    return json.loads((app.element(full_name).folder / file).read_text())


def test_a_save_writes_both_files_and_returns_the_new_fingerprint(app):
    folder = app.element("probes.one").folder
    before = file_fingerprint(folder, b"k")
    descriptor = {**read(app, "probes.one", "e.json"), "title": "Renamed title"}
    after = save_instance(app, "probes.one", descriptor, {"port": 4001}, before, b"k")
    assert read(app, "probes.one", "config.json") == {"port": 4001}
    assert app.element("probes.one").title == "Renamed title"
    assert after == file_fingerprint(folder, b"k") != before


def test_a_file_changed_on_disk_since_the_form_opened_is_not_overwritten(app):
    folder = app.element("probes.one").folder
    opened = file_fingerprint(folder, b"k")
    (folder / "config.json").write_text('{"port": 5000}')
    with pytest.raises(ConcurrentEditError, match="changed on disk"):
        save_instance(app, "probes.one", read(app, "probes.one", "e.json"), {"port": 1}, opened, b"k")
    assert read(app, "probes.one", "config.json") == {"port": 5000}


def test_the_fingerprint_depends_on_its_key(app):
    folder = app.element("probes.one").folder
    assert file_fingerprint(folder, b"a") != file_fingerprint(folder, b"b")


def test_a_save_cannot_change_the_type_or_break_e_json(app):
    descriptor = read(app, "probes.one", "e.json")
    with pytest.raises(ElementError, match="type"):
        save_instance(app, "probes.one", {**descriptor, "type": "probes.Meta"}, {})
    with pytest.raises(ElementError, match="title"):
        save_instance(app, "probes.one", {**descriptor, "title": ""}, {})


def test_rename_moves_the_folder_within_its_family(app):
    assert rename_instance(app, "probes.one", "two") == "probes.two"
    assert "probes.one" not in app.elements
    assert read(app, "probes.two", "config.json")["token"] == "tok-secret"


@pytest.mark.parametrize("bad", ["2fast", "a-b", "../evil", "other.family", ""])
def test_rename_refuses_names_that_are_not_identifiers_or_leave_the_family(app, bad):
    with pytest.raises(InvalidNameError):
        rename_instance(app, "probes.one", bad)
    assert "probes.one" in app.elements


def test_rename_refuses_a_taken_name_and_shipped_elements(app):
    create_instance(app, TYPE, "probes.taken")
    with pytest.raises(ElementError, match="already exists"):
        rename_instance(app, "probes.one", "taken")
    with pytest.raises(ElementError, match="only instances"):
        rename_instance(app, "probes.tcpProbeType", "x")


def test_duplicate_copies_config_under_a_free_name(app):
    first = duplicate_instance(app, "probes.one")
    second = duplicate_instance(app, "probes.one")
    assert (first, second) == ("probes.oneCopy", "probes.oneCopy2")
    assert read(app, first, "config.json") == read(app, "probes.one", "config.json")
    assert app.element(first).title.endswith("(copy)")
    assert app.kind(first) == "instance"


def test_delete_removes_the_folder(app):
    folder = app.element("probes.one").folder
    delete_instance(app, "probes.one")
    assert not folder.exists()
    assert "probes.one" not in app.elements
    assert not any(p.name.startswith(".") for p in folder.parent.iterdir())
