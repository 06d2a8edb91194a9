"""Secrets inside a oneOf variant and inside array items stay out of every page, log and download.

The Type below is the hard case the schema walker exists for: its secrets are not plain nested
properties, and its Loader logs its whole config. config.json holds the secrets themselves (the
worst case: no `{{VAR}}` placeholder in between).
"""
from __future__ import annotations

import json
import uuid

import pytest

from element_studio.runtime.app import App
from element_studio.runtime.diagnostics import diagnostics
from element_studio.runtime.redaction import MASK
from element_studio.runtime.supervisor import Supervisor
from tests.editor.conftest import write_type
from tests.editor.html_checks import Page
from tests.support.elements import instance, write_element

TYPE = "vault.keeperType"
NAME = "vault.keeper"
SCHEMA = {
    "type": "object",
    "required": ["auth"],
    "$defs": {"secret": {"type": "string", "title": "Secret", "writeOnly": True, "minLength": 1}},
    "properties": {
        "label": {"type": "string", "title": "Label", "default": "keeper"},
        "auth": {"title": "Auth", "oneOf": [
            {"title": "No auth", "type": "object", "properties": {"kind": {"const": "none"}}, "required": ["kind"]},
            {"title": "Token", "type": "object", "properties": {"kind": {"const": "token"}, "token": {"$ref": "#/$defs/secret"}},
             "required": ["kind", "token"]},
        ]},
        "endpoints": {"type": "array", "title": "Endpoints", "items": {"type": "object", "title": "Endpoint", "properties": {
            "url": {"type": "string", "title": "URL", "format": "uri"},
            "key": {"type": "string", "title": "Key", "writeOnly": True},
        }}},
    },
}
LOGGING_LOADER = (
    "class Loader:\n"
    "    def __init__(self, nodes):\n"
    "        self.nodes = nodes\n\n"
    "    def load(self):\n"
    "        node = self.nodes[0]\n"
    "        node.logger.info('loaded with config %s', node.config)\n"
    "        return node.config\n"
)


@pytest.fixture
def secrets() -> tuple[str, str]:
    """Secrets no other test knows: the process-wide redactor learns them only from this test."""
    return f"variant-{uuid.uuid4().hex}", f"item-{uuid.uuid4().hex}"


@pytest.fixture
def keeper(app_dir, secrets) -> str:
    token, key = secrets
    write_type(app_dir, TYPE, SCHEMA, title="Keeper", loader=LOGGING_LOADER)
    write_element(app_dir, NAME, instance(TYPE, title="Keeper", at_start=False), {
        "auth": {"kind": "token", "token": token},
        "endpoints": [{"url": "https://one.example/api", "key": key}, {"url": "https://two.example/api"}],
    })
    return NAME


def test_the_runtime_redacts_both_secrets_from_logs_and_the_diagnostics_bundle(app_dir, keeper, secrets):
    supervisor = Supervisor(App(app_dir))
    try:
        loaded = supervisor.app.getElement(keeper)
        assert (loaded["auth"]["token"], loaded["endpoints"][0]["key"]) == secrets and loaded["label"] == "keeper"
        logged = "\n".join(entry.message for entry in supervisor.logs(keeper))
        assert "loaded with config" in logged and logged.count(MASK) >= 2
        bundle_text = diagnostics(supervisor.app, supervisor, keeper)
    finally:
        supervisor.shutdown(timeout=2)
    bundle = json.loads(bundle_text)
    assert bundle["config"]["auth"] == {"kind": "token", "token": MASK}
    assert bundle["config"]["endpoints"] == [{"url": "https://one.example/api", "key": MASK}, {"url": "https://two.example/api"}]
    assert [s for s in secrets if s in logged or s in bundle_text] == []


def test_editor_pages_review_json_view_logs_and_download_never_show_either_secret(session, supervisor, keeper, secrets):
    supervisor.app.refresh()
    supervisor.app.getElement(keeper)  # the Loader logs its whole config
    page = session.get(f"/instances/{keeper}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    form = Page(html).form_data()
    assert form["config/auth/token/$secret"] == ["keep"] and form["config/endpoints/0/key/$secret"] == ["keep"]
    form["config/endpoints/0/url"] = ["https://three.example/api"]
    form["config/label"] = ["renamed"]
    review = session.post(f"/instances/{keeper}/review", form)
    json_view = session.post(f"/instances/{keeper}/form/json", form)
    logs = session.get(f"/instances/{keeper}/logs/")
    download = session.get(f"/instances/{keeper}/diagnostics.json")
    responses = {"review": review, "json": json_view, "logs": logs, "download": download}
    assert {name: r.status_code for name, r in responses.items()} == dict.fromkeys(responses, 200)
    texts = {name: r.get_data(as_text=True) for name, r in responses.items()}
    assert "three.example" in texts["review"] and "loaded with config" in texts["logs"]
    bundle = json.loads(texts["download"])
    assert bundle["config"]["auth"]["token"] == MASK and bundle["config"]["endpoints"][0]["key"] == MASK
    leaks = [(name, secret) for name, text in {"page": html, **texts}.items() for secret in secrets if secret in text]
    assert leaks == []
    saved = session.post(f"/instances/{keeper}/save", form)
    assert saved.status_code == 200
    config = json.loads((supervisor.app.element(keeper).folder / "config.json").read_text())
    assert (config["auth"]["token"], config["endpoints"][0]["key"]) == secrets  # kept, never round-tripped
