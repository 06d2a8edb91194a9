"""Real-world schemas through the real editor: every form renders, an unchanged save keeps every valid value.

The corpus (tests/editor/schema_corpus/, origins and licenses in its README) holds JSON Schemas
the form engine was never written for, each with values valid under it. For each value the
instance page is rendered by the Flask app, the HTML is read the way a browser reads it and
posted back unchanged: config.json must come back byte-for-byte the same JSON value.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.editor.conftest import write_type
from tests.editor.html_checks import Page
from tests.support.elements import instance, write_element

CORPUS = Path(__file__).resolve().parent / "schema_corpus"
ENTRIES = sorted(CORPUS.glob("*/*.json"))
TYPE = "corpus.sampleType"


def canonical(value: object) -> str:
    """JSON text that tells 1 from 1.0 and true from 1 (Python's == does not)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def test_the_corpus_is_large_and_every_schema_has_valid_samples():
    entries = [json.loads(path.read_text()) for path in ENTRIES]
    assert len(entries) >= 80
    assert [p.name for p, e in zip(ENTRIES, entries) if not e["valid"] or not e["origin"] or not e["license"]] == []


@pytest.mark.parametrize("path", ENTRIES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_an_unchanged_save_keeps_every_valid_value(path, app_dir, supervisor, session):
    entry = json.loads(path.read_text())
    write_type(app_dir, TYPE, entry["schema"])
    names = []
    for index, value in enumerate(entry["valid"]):
        names.append(f"corpus.sample{index}")
        write_element(app_dir, names[-1], instance(TYPE, at_start=False), value)
    supervisor.app.refresh()
    changed = {}
    for name, value in zip(names, entry["valid"]):
        page = session.get(f"/instances/{name}")
        assert page.status_code == 200, page.get_data(as_text=True)[-2000:]
        saved = session.post(f"/instances/{name}/save", Page(page.get_data(as_text=True)).form_data())
        assert saved.status_code == 200, saved.get_data(as_text=True)[-3000:]
        stored = json.loads(app_dir.joinpath(*name.split("."), "config.json").read_text())
        if canonical(stored) != canonical(value):
            changed[name] = (value, stored)
    assert changed == {}


@pytest.mark.parametrize("path", ENTRIES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_a_new_instance_starts_from_the_schema_defaults_and_renders(path, app_dir, supervisor, session):
    write_type(app_dir, TYPE, json.loads(path.read_text())["schema"])
    supervisor.app.refresh()
    created = session.post(f"/types/{TYPE}/new", htmx=False)
    assert created.status_code == 302, created.get_data(as_text=True)[-2000:]
    assert session.get(created.headers["Location"]).status_code == 200
