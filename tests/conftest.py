"""The shared fixtures: a temp app, its supervisor, the DingTalk simulator, robots, the live editor,
a browser. Waiting is `tests.support.waiting.wait_until`. Folder conftests add only what is specific to their folder."""
from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from element_studio.elements.imRobots.dingTalkStreamType.simulator.thread import SimulatorThread
from element_studio.runtime.app import App
from element_studio.runtime.supervisor import Supervisor
from tests.support.live_server import serving
from tests.support.postgres import PostgresNotInstalled, ThrowawayServer
from tests.support.robots import FeishuWorld, RobotWorld
from tests.support.waiting import wait_until

os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
# The per-user data folder (the sample app's copy) of this test process, never the developer's.
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="element-studio-data-")
for proxy_var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(proxy_var, None)

FEISHU_APPS = {"cli_demo_feishu": "demo-feishu-secret", "cli_two": "two-feishu-secret"}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
# Threads our fixtures and the product start; one still alive after a test's teardown is a leak.
WATCHED_THREADS = ("element-studio-", "waitress-", "dingtalk-simulator", "feishu-simulator", "chat-server", "tcp-server", "connect-proxy",
                   "editor-http", "agent-run")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that opens a browser carries the `browser` marker (`-m "not browser"` skips them all)."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


def _leaked(before: set[threading.Thread], ignored: tuple[str, ...] = ()) -> list[str]:
    return [f"{t.name} (daemon={t.daemon})" for t in threading.enumerate()
            if t not in before and t.is_alive() and not t.name.startswith(ignored)
            and (not t.daemon or t.name.startswith(WATCHED_THREADS))]


@pytest.fixture(autouse=True)
def no_leaked_threads(request) -> Iterator[None]:
    """A test's fixtures stop what they started: no server, simulator or supervisor thread outlives it.

    Playwright's event loop (one per module, see `browser`) keeps its own executor threads until it closes.
    """
    ignored = ("asyncio_",) if "browser" in request.fixturenames else ()
    before = set(threading.enumerate())
    yield
    try:
        wait_until(lambda: not _leaked(before, ignored), timeout=5, interval=0.05)
    except AssertionError:
        pytest.fail(f"threads left running after the test: {_leaked(before, ignored)}")


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    """An empty app directory: the shipped families are available, nothing else."""
    folder = tmp_path / "app"
    folder.mkdir()
    return folder


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[ThrowawayServer]:
    """One throwaway PostgreSQL server per test process (each xdist worker has its own)."""
    try:
        server = ThrowawayServer()
    except PostgresNotInstalled as exc:
        pytest.fail(str(exc))
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request) -> Iterator[str | None]:
    """The database an App stores in, on both engines: None (the app's own SQLite file, the
    default) and a fresh database on the throwaway PostgreSQL server. `App(app_dir, database_url=database)`."""
    if request.param == "sqlite":
        yield None
        return
    server = request.getfixturevalue("postgres_server")
    url = server.create_database()
    yield url
    server.drop_database(url)


@pytest.fixture
def app(app_dir: Path) -> App:
    """The App over the temp app directory."""
    return App(app_dir)


@pytest.fixture
def supervisor(app: App) -> Iterator[Supervisor]:
    """A Supervisor over the temp app (it re-reads the folder on start; `supervisor.app.refresh()` for pages)."""
    sup = Supervisor(app)
    yield sup
    sup.shutdown(timeout=5)


@pytest.fixture
def sim_apps() -> dict[str, str] | None:
    """The apps (clientId -> secret) the simulator knows; None is the demo app. Folders and modules override it."""
    return None


@pytest.fixture
def sim(monkeypatch, sim_apps) -> Iterator[SimulatorThread]:
    """The DingTalk simulator where robots look for DingTalk (the Type reads the address at call time).

    Ask for it before `supervisor` (or say `pytestmark = pytest.mark.usefixtures("sim")`), so it
    is set up before, and stopped after, the supervisor.
    """
    with SimulatorThread(apps=sim_apps, redeliver_after=0.5) as simulator:
        monkeypatch.setenv("DINGTALK_OPENAPI_ENDPOINT", simulator.base_url)
        yield simulator


@pytest.fixture
def world(app_dir: Path, sim: SimulatorThread, supervisor: Supervisor) -> RobotWorld:
    """Robots and scripted agents written into the temp app, run by the supervisor against the simulator."""
    return RobotWorld(app_dir, sim, supervisor)


@pytest.fixture
def feishu_sim():
    """The Feishu simulator (apps: the demo app and `cli_two`), redelivering unanswered events after 0.5 s."""
    from element_studio.elements.imRobots.feishuType.simulator.thread import FeishuSimulatorThread

    with FeishuSimulatorThread(apps=FEISHU_APPS, redeliver_after=0.5) as simulator:
        yield simulator


@pytest.fixture
def feishu_world(app_dir: Path, feishu_sim, supervisor: Supervisor) -> FeishuWorld:
    """Feishu robots and scripted agents written into the temp app, run by the supervisor against the Feishu simulator."""
    return FeishuWorld(app_dir, feishu_sim, supervisor)


@pytest.fixture
def simulators() -> dict:
    """The offline simulators the editor knows, by Type fullName (a test puts its own in)."""
    return {}


@pytest.fixture
def live_server(supervisor: Supervisor, simulators: dict) -> Iterator[str]:
    """The editor on waitress at a free local port, as `serve` runs it; yields its URL."""
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
