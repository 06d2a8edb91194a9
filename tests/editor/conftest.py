"""Editor fixtures: an app over a temp app dir, a test client, a live server and a browser."""
from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import waitress

from element_studio.editor import create_app
from element_studio.runtime.app import App
from element_studio.runtime.supervisor import Supervisor
from element_studio.elements.imRobots.dingTalkStreamType.simulator.thread import SimulatorThread
from tests.support.elements import write_element

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
DINGTALK_SCHEMA = Path(__file__).resolve().parents[2] / "elements" / "imRobots" / "dingTalkStreamType" / "config.schema.json"


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
def supervisor(app_dir: Path) -> Iterator[Supervisor]:
    """A Supervisor over the temp app (refresh the App after writing elements)."""
    sup = Supervisor(App(app_dir))
    yield sup
    sup.shutdown(timeout=2)


@pytest.fixture
def simulators() -> dict:
    """The offline simulators the editor knows, by Type fullName (a test puts its own in)."""
    return {}


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
        self.token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def get(self, url: str, **kwargs):
        return self.client.get(url, **kwargs)

    def post(self, url: str, data=None, htmx: bool = True, **kwargs):
        headers = {"X-CSRFToken": self.token, **({"HX-Request": "true"} if htmx else {}), **kwargs.pop("headers", {})}
        return self.client.post(url, data=data or {}, headers=headers, **kwargs)


@pytest.fixture
def session(client) -> Session:
    return Session(client)


@contextmanager
def serving(supervisor: Supervisor, simulators: dict | None = None) -> Iterator[str]:
    """The editor served by waitress on 127.0.0.1 (a free port), as `serve` runs it; yields its URL."""
    flask_app = create_app(supervisor, SECRET_GUARD="raise", simulators=simulators)
    server = waitress.create_server(flask_app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(timeout=5)


@pytest.fixture
def live_server(supervisor: Supervisor, simulators: dict) -> Iterator[str]:
    with serving(supervisor, simulators) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium driven by Playwright (installed by scripts/install-chromium.sh).

    One per module, not per session: Playwright's sync API keeps an event loop marked running in
    the main thread while it is open, and async tests of a later module would then fail.
    """
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: run scripts/install-chromium.sh (scripts/test.sh does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser tab (closed before the live server, so no connection holds it open)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(8000)
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    tab.on("console", lambda message: problems.append(message.text) if message.type == "error"
           and not message.text.startswith("Failed to load resource") else None)
    yield tab
    context.close()
    assert problems == [], "the page logged errors (a CSP violation, a script error...)"


@pytest.fixture
def sim_apps() -> dict[str, str] | None:
    """The apps (clientId -> secret) the simulator knows; None is the demo app. Modules override it."""
    return None


@pytest.fixture
def sim(monkeypatch, sim_apps):
    """The DingTalk simulator where robots look for DingTalk (the Type reads the address at call time).

    Modules that need it for every test say `pytestmark = pytest.mark.usefixtures("sim")`, so it
    is set up before, and stopped after, the supervisor.
    """
    with SimulatorThread(apps=sim_apps, redeliver_after=0.5) as simulator:
        monkeypatch.setenv("DINGTALK_OPENAPI_ENDPOINT", simulator.base_url)
        yield simulator
