"""Real-world schemas through the real editor: every form renders, an unchanged save keeps every valid value.

The corpus (tests/editor/schema_corpus/, origins and licenses in its README) holds JSON Schemas
the form engine was never written for, each with values valid under it. For each value the
instance page is rendered by the Flask app, the HTML is read the way a browser reads it and
posted back unchanged: config.json must come back byte-for-byte the same JSON value.
"""
from __future__ import annotations

import html as html_text
import json
from pathlib import Path

import pytest

from tests.editor.conftest import write_type
from tests.editor.html_checks import Page
from tests.support.elements import instance, write_element

CORPUS = Path(__file__).resolve().parent / "schema_corpus"
ENTRIES = sorted(p for p in CORPUS.glob("*/*.json") if p.parent.name != "refused")
REFUSED = sorted(CORPUS.glob("refused/*.json"))
TYPE = "corpus.sampleType"


def canonical(value: object) -> str:
    """JSON text that tells 1 from 1.0 and true from 1 (Python's == does not)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def test_the_corpus_is_large_and_every_schema_has_valid_samples():
    entries = [json.loads(path.read_text()) for path in ENTRIES]
    assert len(entries) >= 80
    assert [p.name for p, e in zip(ENTRIES, entries) if not e["valid"] or not e["origin"] or not e["license"]] == []


def differences(before: object, after: object, path: str = "") -> list[str]:
    """Where two JSON values differ, one line per place (what a failing save changed)."""
    if isinstance(before, dict) and isinstance(after, dict):
        return [line for key in dict.fromkeys([*before, *after])
                for line in differences(before.get(key, "<absent>"), after.get(key, "<absent>"), f"{path}/{key}")]
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [line for i, (a, b) in enumerate(zip(before, after)) for line in differences(a, b, f"{path}/{i}")]
    return [] if canonical(before) == canonical(after) else [f"{path or '/'}: {canonical(before)[:80]} -> {canonical(after)[:80]}"]


@pytest.mark.parametrize("path", ENTRIES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_the_form_renders_and_an_unchanged_save_keeps_every_valid_value(path, app_dir, supervisor, session):
    entry = json.loads(path.read_text())
    write_type(app_dir, TYPE, entry["schema"])
    names = []
    for index, value in enumerate(entry["valid"]):
        names.append(f"corpus.sample{index}")
        write_element(app_dir, names[-1], instance(TYPE, at_start=False), value)
    supervisor.app.refresh()
    created = session.post(f"/types/{TYPE}/new", htmx=False)  # a new instance starts from the schema's defaults
    assert created.status_code == 302, created.get_data(as_text=True)[-2000:]
    assert session.get(created.headers["Location"]).status_code == 200
    changed = {}
    for name, value in zip(names, entry["valid"]):
        page = session.get(f"/instances/{name}")
        assert page.status_code == 200, page.get_data(as_text=True)[-2000:]
        saved = session.post(f"/instances/{name}/save", Page(page.get_data(as_text=True)).form_data())
        assert saved.status_code == 200, saved.get_data(as_text=True)[-3000:]
        stored = json.loads(app_dir.joinpath(*name.split("."), "config.json").read_text())
        if canonical(stored) != canonical(value):
            changed[name] = differences(value, stored)
    assert changed == {}


@pytest.mark.parametrize("path", REFUSED, ids=lambda p: p.stem)
def test_a_schema_the_editor_cannot_use_is_a_clear_message_naming_the_keyword(path, app_dir, supervisor, session):
    entry = json.loads(path.read_text())
    write_type(app_dir, TYPE, entry["schema"])
    folder = write_element(app_dir, "corpus.sample", instance(TYPE, at_start=False), entry["valid"][0])
    supervisor.app.refresh()
    before = (folder / "config.json").read_text()
    page = session.get("/instances/corpus.sample")
    assert page.status_code == 422
    assert f"config.schema.json keyword {entry['refused_keyword']} at /" in html_text.unescape(page.get_data(as_text=True))
    assert session.post("/instances/corpus.sample/save", {"config/x": "1"}).status_code == 422
    created = session.post(f"/types/{TYPE}/new", htmx=False)  # said on the naming form, nothing written
    assert created.status_code == 422
    assert "config.schema.json keyword" in html_text.unescape(created.get_data(as_text=True))
    assert (folder / "config.json").read_text() == before
