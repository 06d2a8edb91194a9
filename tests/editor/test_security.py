"""The editor as an attacker meets it over real HTTP: foreign Host names, login redirects,
token guessing, names and JSON built to crash it."""
from __future__ import annotations

import http.client
import re
from urllib.parse import quote, urlsplit

import pytest

from element_studio.editor.login_limit import LoginLimiter
from tests.editor.conftest import Session
from tests.support.live_server import serving

ROBOT_TYPE = "imRobots.dingTalkStreamType"
TOKEN = "k3y-for-the-login-tests-7Q"


class Browser:
    """A bare HTTP client to the live editor: any Host header, cookies kept, redirects not followed."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.address, self.port = parts.hostname, parts.port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, host: str | None = None, body: str = "",
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        connection = http.client.HTTPConnection(self.address, self.port, timeout=10)
        try:
            connection.putrequest(method, path, skip_host=True)
            connection.putheader("Host", host if host is not None else f"127.0.0.1:{self.port}")
            if self.cookies:
                connection.putheader("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
            sent = {**({"Content-Type": "application/x-www-form-urlencoded"} if method == "POST" else {}), **(headers or {})}
            for key, value in sent.items():
                connection.putheader(key, value)
            data = body.encode()
            connection.putheader("Content-Length", str(len(data)))
            connection.endheaders(data)
            response = connection.getresponse()
            text = response.read().decode()
            for cookie in response.headers.get_all("Set-Cookie") or []:
                key, _, rest = cookie.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
            return response.status, dict(response.headers), text
        finally:
            connection.close()

    def csrf(self, path: str = "/") -> str:
        status, _, page = self.request("GET", path)
        assert status == 200
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def login(self, token: str, next_path: str | None = None) -> tuple[int, dict[str, str], str]:
        csrf = self.csrf("/login")
        query = f"?next={next_path}" if next_path is not None else ""
        return self.request("POST", f"/login{query}", body=f"csrf_token={quote(csrf)}&token={quote(token)}")


# 1. DNS rebinding -----------------------------------------------------------------------------
def test_a_request_naming_a_foreign_host_is_refused_before_anything_acts(live_server, app_dir):
    browser = Browser(live_server)
    port = browser.port
    for path in ("/", "/static/studio.css", "/login", f"/types/{ROBOT_TYPE}/new"):
        status, headers, text = browser.request("GET", path, host=f"rebind.attacker.example:{port}")
        assert status == 421, path
        assert headers["Content-Type"].startswith("text/plain")
        assert "does not answer to the host name 'rebind.attacker.example'" in text
        assert "--allowed-host rebind.attacker.example" in text
        assert "csrf" not in text.lower()
    status, _, _ = browser.request("POST", f"/types/{ROBOT_TYPE}/new", host="rebind.attacker.example")
    assert status == 421
    assert not (app_dir / "imRobots").exists(), "a refused request created an instance"
    assert browser.request("GET", "/", host="")[0] == 421
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "localhost", f"[::1]:{port}", f"LOCALHOST:{port}"):
        assert browser.request("GET", "/", host=host)[0] == 200, host


def test_allowed_host_names_are_served_and_others_still_refused(supervisor):
    with serving(supervisor, allowed_hosts=["studio.example.lan"]) as url:
        browser = Browser(url)
        assert browser.request("GET", "/", host=f"studio.example.lan:{browser.port}")[0] == 200
        assert browser.request("GET", "/", host="studio.example.lan")[0] == 200
        assert browser.request("GET", "/", host="evil.example.lan")[0] == 421


def test_bound_to_every_interface_ip_addresses_are_names_but_host_names_are_not(supervisor):
    with serving(supervisor, bound_host="0.0.0.0", access_token=TOKEN) as url:
        browser = Browser(url)
        assert browser.request("GET", "/login", host=f"192.168.1.20:{browser.port}")[0] == 200
        assert browser.request("GET", "/login", host="rebind.attacker.example")[0] == 421


# 2. where login goes next ---------------------------------------------------------------------
@pytest.mark.parametrize("next_path", ["//evil.example", "/%09/evil.example", "/%0A/evil.example", "/%0d%0aX-Injected:%201",
                                       "/%5C/evil.example", "%2F%2Fevil.example", "https://evil.example/", "javascript:alert(1)",
                                       "/%00", "%20//evil.example", "/%E2%80%A8/x", ""])
def test_login_goes_back_only_to_a_path_of_this_editor(supervisor, next_path):
    with serving(supervisor, access_token=TOKEN) as url:
        browser = Browser(url)
        status, headers, _ = browser.login(TOKEN, next_path)
        assert status == 302
        location = headers["Location"]
        assert location == "/" or (location.startswith("/") and not location.startswith(("//", "/\\"))), location
        assert "X-Injected" not in headers
        if next_path in ("//evil.example", "/%09/evil.example", "/%0A/evil.example", "/%5C/evil.example"):
            assert location == "/"


def test_login_returns_to_the_page_that_was_asked_for(supervisor):
    with serving(supervisor, access_token=TOKEN) as url:
        browser = Browser(url)
        status, headers, _ = browser.request("GET", "/instances/imRobots.x?tab=logs")
        assert status == 302
        next_path = headers["Location"].split("next=", 1)[1]
        assert browser.login(TOKEN, next_path)[1]["Location"] == "/instances/imRobots.x?tab=logs"


# 3. guessing the token ---------------------------------------------------------------------------
class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_fifty_wrong_guesses_in_a_row_are_slowed_down_and_the_right_token_works_after_the_wait(supervisor):
    clock = FakeClock()
    limiter = LoginLimiter(clock=clock)
    with serving(supervisor, access_token=TOKEN, LOGIN_LIMITER=limiter) as url:
        browser = Browser(url)
        statuses = [browser.login(f"guess-{n:04d}-wrong-token")[0] for n in range(50)]
        assert statuses.count(401) == 6, "5 free wrong tries, the 6th starts the wait"
        assert statuses[6:] == [429] * 44, "while waiting, guesses are refused without being checked"
        status, headers, page = browser.login(TOKEN)
        assert status == 429, "the right token is not even looked at during the wait"
        assert "Too many wrong tokens: wait 1 s" in page and headers["Retry-After"] == "1"
        clock.now += 1.0
        assert browser.login("one-more-wrong-guess")[0] == 401
        status, _, page = browser.login(TOKEN)
        assert status == 429 and "wait 2 s" in page, "each further wrong token doubles the wait"
        clock.now += 2.0
        assert browser.login(TOKEN)[0] == 302
        assert browser.request("GET", "/")[0] == 200
        assert limiter.wait_for("127.0.0.1") == 0


def test_the_wait_is_per_client_and_capped():
    clock = FakeClock()
    limiter = LoginLimiter(clock=clock)
    for _ in range(40):
        limiter.failed("10.0.0.1")
    assert limiter.wait_for("10.0.0.1") == 60.0
    assert limiter.wait_for("10.0.0.2") == 0


# 4. names and JSON built to crash it -----------------------------------------------------------------
def test_a_300_character_name_is_a_clear_message_not_a_crash(session, app_dir):
    session.post(f"/types/{ROBOT_TYPE}/new", htmx=False)
    name = next(p.name for p in (app_dir / "imRobots").iterdir())
    response = session.post(f"/instances/imRobots.{name}/rename", {"new_name": "a" * 300}, htmx=False)
    assert response.status_code == 302
    page = session.get(response.headers["Location"]).get_data(as_text=True)
    assert "is too long: 300 characters, at most 64" in page
    assert [p.name for p in (app_dir / "imRobots").iterdir()] == [name]
    assert session.get(f"/instances/imRobots.{'a' * 300}").status_code == 404


def test_deeply_nested_json_in_the_json_view_or_a_json_field_is_a_field_error(session, app_dir):
    session.post(f"/types/{ROBOT_TYPE}/new", htmx=False)
    name = "imRobots." + next(p.name for p in (app_dir / "imRobots").iterdir())
    for depth in (100, 100_000):
        deep = '{"advanced": ' + "[" * depth + "]" * depth + "}"
        response = session.post(f"/instances/{name}/form/apply-json", {"raw_json": deep})
        assert response.status_code == 422
        assert "nested more than 64 levels deep" in response.get_data(as_text=True)
    before = (app_dir / name.replace(".", "/") / "config.json").read_text()
    assert session.post(f"/instances/{name}/form/apply-json", {"raw_json": "[" * 50 + "]" * 50}).status_code == 422
    assert (app_dir / name.replace(".", "/") / "config.json").read_text() == before


def test_deeply_nested_json_in_a_json_box_of_the_form_is_a_field_error(session, app_dir, supervisor):
    from tests.editor.conftest import write_type
    from tests.support.elements import write_element

    write_type(app_dir, "things.anyType", {"type": "object", "properties": {"extra": {"title": "Extra"}}})
    write_element(app_dir, "things.one", {"title": "One", "type": "things.anyType", "backendBundleEntry": "."}, {})
    supervisor.app.refresh()
    deep = "[" * 5000 + "]" * 5000
    response = session.post("/instances/things.one/review", {"element/title": "One", "config/extra": deep, "config/$object": "1"})
    assert response.status_code in (200, 422)
    assert "nested more than 64 levels deep" in response.get_data(as_text=True)


# 5. the password in a proxy URL -----------------------------------------------------------------------
PROXY_PASSWORD = "Pr0xy-Pa55word-81f"


def test_the_password_in_a_proxy_url_is_write_only_masked_in_review_json_and_diagnostics_and_kept_on_save(session, app_dir, supervisor):
    from element_studio.runtime.redaction import redactor
    from tests.editor.test_pages import files, form_of
    from tests.support.elements import write_element

    write_element(app_dir, "aiagents.helpdesk", {"title": "Helpdesk", "type": "aiagents.knowledgeBaseType", "backendBundleEntry": "."},
                  {"sources": []})  # the robot's agent must exist for a save
    write_element(app_dir, "imRobots.bot", {"title": "Bot", "type": ROBOT_TYPE, "backendBundleEntry": "."},
                  {"agent": "aiagents.helpdesk", "clientId": "abc", "clientSecret": "dt-secret-9f2c1e7a", "proxy": f"socks5://alice:{PROXY_PASSWORD}@127.0.0.1:1080"})
    supervisor.app.refresh()
    page = session.get("/instances/imRobots.bot").get_data(as_text=True)  # the guard raises on any leak
    assert 'value="socks5://alice:***@127.0.0.1:1080"' in page
    assert "The password in this URL is saved and not shown" in page
    form = form_of(session, "imRobots.bot")
    assert "Nothing to save" in session.post("/instances/imRobots.bot/review", form).get_data(as_text=True)

    form["config/proxy"] = ["socks5://alice:***@10.0.0.9:1080"]  # another host, the password left as shown
    review = html_text(session.post("/instances/imRobots.bot/review", form))
    assert "socks5://alice:•••••• (secret, unchanged)@10.0.0.9:1080" in review
    assert session.post("/instances/imRobots.bot/save", form).status_code == 200
    assert files(app_dir, "imRobots.bot")[1]["proxy"] == f"socks5://alice:{PROXY_PASSWORD}@10.0.0.9:1080"

    form = form_of(session, "imRobots.bot")
    json_view = html_text(session.post("/instances/imRobots.bot/form/json", form))
    assert '"proxy": "socks5://alice:***@10.0.0.9:1080"' in json_view
    diagnostics = session.get("/instances/imRobots.bot/diagnostics.json").get_data(as_text=True)
    assert "socks5://alice:***@10.0.0.9:1080" in diagnostics and PROXY_PASSWORD not in diagnostics

    form["config/proxy"] = ["socks5://alice:N3w-pr0xy-pa55@10.0.0.9:1080"]
    review = html_text(session.post("/instances/imRobots.bot/review", form))
    assert "socks5://alice:•••••• (secret, new value)@10.0.0.9:1080" in review and "N3w-pr0xy-pa55" not in review
    assert session.post("/instances/imRobots.bot/save", form).status_code == 200
    assert files(app_dir, "imRobots.bot")[1]["proxy"] == "socks5://alice:N3w-pr0xy-pa55@10.0.0.9:1080"
    supervisor.app.config("imRobots.bot")  # what the runtime reads registers the password with the log redactor
    assert "N3w-pr0xy-pa55" not in redactor.redact("proxy refused alice/N3w-pr0xy-pa55")


def html_text(response) -> str:
    import html

    return html.unescape(response.get_data(as_text=True))
