"""Editor fixtures: the Flask app in test mode, a test client and a session that sends the CSRF token.

The app dir, supervisor, simulator, live server and browser are the root conftest's.
"""
from __future__ import annotations

import html as html_text
import json
import re
from pathlib import Path

import pytest

from element_studio.editor import create_app
from element_studio.runtime.supervisor import Supervisor
from tests.support.elements import write_element

def write_type(app_dir: Path, full_name: str, schema: dict, title: str = "Test Type", service: bool = False,
               loader: str | None = None) -> Path:
    """A Type folder with a config schema, written the way a person drops one into an app."""
    family = full_name.split(".")[0]
    if not (app_dir / family / "Meta" / "e.json").exists() and not (Path(__file__).resolve().parents[2] / "elements" / family / "Meta").exists():
        write_element(app_dir, f"{family}.Meta", {"title": family.capitalize(), "type": "", "backendBundleEntry": "."})
    descriptor = {"title": title, "type": f"{family}.Meta", "backendBundleEntry": ".", "description": f"{title} for tests."}
    if service:
        descriptor["service"] = True
    code = loader or "class Loader:\n    def __init__(self, nodes):\n        self.nodes = nodes\n\n    def load(self):\n        return self.nodes[0].config\n"
    folder = write_element(app_dir, full_name, descriptor, files={"config.schema.json": json.dumps(schema, indent=2), "loader.py": code})
    (folder / "__init__.py").write_text("from .loader import Loader\n")
    return folder


@pytest.fixture
def flask_app(supervisor: Supervisor, simulators: dict):
    """The editor in test mode: a leaked secret raises instead of being masked."""
    return create_app(supervisor, TESTING=True, SECRET_GUARD="raise", simulators=simulators)


@pytest.fixture
def client(flask_app):
    return flask_app.test_client()


class Session:
    """A test client that sends the CSRF token like the page's htmx does."""

    def __init__(self, client) -> None:
        self.client = client
        page = client.get("/").get_data(as_text=True)
        self.token = re.search(r'"X-CSRFToken": "([^"]+)"', html_text.unescape(page)).group(1)

    def get(self, url: str, **kwargs):
        return self.client.get(url, **kwargs)

    def post(self, url: str, data=None, htmx: bool = True, **kwargs):
        headers = {"X-CSRFToken": self.token, **({"HX-Request": "true"} if htmx else {}), **kwargs.pop("headers", {})}
        return self.client.post(url, data=data or {}, headers=headers, **kwargs)


@pytest.fixture
def session(client) -> Session:
    return Session(client)
