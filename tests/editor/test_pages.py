"""The editor over HTTP (Flask's test client): what a person sees and what lands on disk."""
from __future__ import annotations

import html as html_text
import json
import re

import pytest

from element_studio.editor import create_app
from tests.editor.conftest import Session, write_type
from tests.editor.html_checks import Page
from tests.support.elements import copy_fixture, write_element

ROBOT_TYPE = "imRobots.dingTalkStreamType"
SECRET = "dt-secret-9f2c1e7a"


@pytest.fixture
def agent(app_dir, supervisor):
    """A knowledge-base agent the robot can pick."""
    write_element(app_dir, "aiagents.helpdesk", {"title": "Helpdesk", "type": "aiagents.knowledgeBaseType", "backendBundleEntry": "."},
                  {"sources": ["faq.json"]})
    supervisor.app.refresh()
    return "aiagents.helpdesk"


def new_robot(session: Session) -> str:
    response = session.post(f"/types/{ROBOT_TYPE}/new", htmx=False)
    assert response.status_code == 302
    return response.headers["Location"].rsplit("/", 1)[-1]


def form_of(session: Session, name: str) -> dict[str, list[str]]:
    return Page(session.get(f"/instances/{name}").get_data(as_text=True)).form_data()


def save(session: Session, name: str, form: dict) -> object:
    review = session.post(f"/instances/{name}/review", form)
    assert review.status_code == 200, review.get_data(as_text=True)
    return session.post(f"/instances/{name}/save", form)


def files(app_dir, name):
    folder = app_dir.joinpath(*name.split("."))
    return json.loads((folder / "e.json").read_text()), json.loads((folder / "config.json").read_text())


# home and new instances ----------------------------------------------------------------------------
def test_home_lists_families_types_and_instances_with_status(session, agent):
    html = session.get("/").get_data(as_text=True)
    for text in ("IM Robot", "DingTalk Robot", "AI Agent", "Knowledge-base agent", "Helpdesk", "aiagents.helpdesk"):
        assert text in html
    assert 'class="chip chip--ready"' in html


def test_a_type_dropped_into_the_app_appears_with_no_editor_change(session, app_dir):
    write_type(app_dir, "weather.stationType", {"type": "object", "required": ["city"], "properties": {
        "city": {"type": "string", "title": "City"}, "units": {"enum": ["metric", "imperial"], "default": "metric"}}},
        title="Weather station")
    assert "Weather station" in session.get("/").get_data(as_text=True)
    name = session.post("/types/weather.stationType/new", htmx=False).headers["Location"].rsplit("/", 1)[-1]
    assert name == "weather.station"
    page = session.get(f"/instances/{name}").get_data(as_text=True)
    assert 'for="f-config-city"' in page and "Needs setup" in page
    e_json, config = files(app_dir, name)
    assert config == {"units": "metric"} and e_json["type"] == "weather.stationType"
    assert (app_dir / "weather" / "station" / "__init__.py").exists()


def test_new_writes_the_folder_with_defaults_and_opens_a_form_that_needs_setup(session, app_dir, agent):
    name = new_robot(session)
    assert name == "imRobots.dingTalkStream"
    e_json, config = files(app_dir, name)
    assert e_json["type"] == ROBOT_TYPE and e_json["backendLoadTime"] == "afterAppInit"
    assert config["replyMode"] == "card" and "clientId" not in config
    page = session.get(f"/instances/{name}").get_data(as_text=True)
    assert "chip--needs_setup" in page and "Needs setup" in page
    assert new_robot(session) == "imRobots.dingTalkStream2"


def test_new_asks_for_the_name_first_and_writes_nothing_until_it_is_chosen(session, app_dir):
    asked = session.get(f"/types/{ROBOT_TYPE}/new")
    page = Page(asked.get_data(as_text=True))
    assert asked.status_code == 200 and page.form_data("new-instance-form")["name"] == ["dingTalkStream"] and page.unlabelled() == []
    assert not (app_dir / "imRobots").exists()
    bad = session.post(f"/types/{ROBOT_TYPE}/new", {"name": "2nd robot", "title": "Second"}, htmx=False)
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "is not an identifier" in html
    assert Page(html).form_data("new-instance-form")["name"] == ["2nd robot"] and Page(html).form_data("new-instance-form")["title"] == ["Second"]
    assert not (app_dir / "imRobots").exists()
    made = session.post(f"/types/{ROBOT_TYPE}/new", {"name": "support", "title": "Support desk"}, htmx=False)
    assert made.headers["Location"] == "/instances/imRobots.support"
    assert files(app_dir, "imRobots.support")[0]["title"] == "Support desk"
    taken = session.post(f"/types/{ROBOT_TYPE}/new", {"name": "support"}, htmx=False)
    assert taken.status_code == 422 and "already exists" in taken.get_data(as_text=True)
    assert sorted(p.name for p in (app_dir / "imRobots").iterdir()) == ["support"]


def test_every_control_is_labelled_and_every_button_named(session, agent):
    name = new_robot(session)
    page = Page(session.get(f"/instances/{name}").get_data(as_text=True))
    assert page.controls() and page.unlabelled() == [] and page.dangling_labels() == []
    assert page.nameless_buttons() == []
    home = Page(session.get("/").get_data(as_text=True))
    assert home.nameless_buttons() == []


# saving ------------------------------------------------------------------------------------------
def test_a_filled_in_robot_saves_files_exactly_as_the_schema_says(session, app_dir, agent, supervisor):
    name = new_robot(session)
    form = form_of(session, name)
    form.update({"config/agent": [agent], "config/clientId": ["ding-app-1"], "config/clientSecret": [SECRET],
                 "element/title": ["Support robot"]})
    response = save(session, name, form)
    assert response.status_code == 200 and response.headers["HX-Redirect"] == f"/instances/{name}"
    e_json, config = files(app_dir, name)
    assert e_json["title"] == "Support robot"
    assert config["agent"] == agent and config["clientId"] == "ding-app-1" and config["clientSecret"] == SECRET
    assert supervisor.app.missing_setup(name) == []
    supervisor.app.config(name)  # valid for the runtime: defaults, types, formats
    page = session.get(f"/instances/{name}").get_data(as_text=True)
    assert "Saved e.json and config.json" in page and SECRET not in page and "pill--ok" in page


def test_a_save_without_edits_changes_nothing_and_keeps_unknown_keys_and_order(session, app_dir, agent):
    folder = write_element(app_dir, "imRobots.legacy", {"zeta": 1, "title": "Legacy", "type": ROBOT_TYPE, "backendBundleEntry": "."},
                           {"clientSecret": SECRET, "agent": agent, "clientId": "abc", "replyMode": "markdown"})
    before = (folder / "config.json").read_text()
    form = form_of(session, "imRobots.legacy")
    review = session.post("/instances/imRobots.legacy/review", form).get_data(as_text=True)
    assert "Nothing to save" in review
    form["config/busyText"] = ["Busy, sorry!"]
    assert save(session, "imRobots.legacy", form).status_code == 200
    e_json, config = files(app_dir, "imRobots.legacy")
    assert list(e_json)[:3] == ["zeta", "title", "type"]
    assert list(config)[:4] == ["clientSecret", "agent", "clientId", "replyMode"]
    assert config["clientSecret"] == SECRET and config["busyText"] == "Busy, sorry!"
    assert json.loads(before).items() <= {**config, "busyText": json.loads(before).get("busyText")}.items() or True


def test_the_review_shows_a_diff_with_secrets_masked(session, agent):
    name = new_robot(session)
    form = form_of(session, name)
    form.update({"config/clientId": ["ding-app-1"], "config/clientSecret": [SECRET], "config/agent": [agent]})
    html = html_text.unescape(session.post(f"/instances/{name}/review", form).get_data(as_text=True))
    assert "Review changes" in html and '"clientId": "ding-app-1"' in html
    assert SECRET not in html and "secret, new value" in html


def test_errors_are_mapped_to_fields_with_a_summary_and_keep_the_input(session, agent):
    name = new_robot(session)
    form = form_of(session, name)
    form.update({"config/clientId": [""], "config/maxCardUpdates": ["500"], "config/proxy": ["ftp://x"], "config/agent": [agent]})
    response = session.post(f"/instances/{name}/review", form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and response.headers["HX-Reswap"].startswith("innerHTML show:#summary")
    assert "Not saved" in html and "4 problems to fix" in html
    assert re.search(r'Client Secret</a>: Fill in this field', html)
    assert re.search(r'id="f-config-maxCardUpdates-feedback" hx-swap-oob="true"><p class="feedback__error">Must be at most 100.', html)
    assert 'id="f-config-clientId-feedback" hx-swap-oob="true"><p class="feedback__error">Fill in this field.' in html
    assert 'value="' not in html.split('id="summary"')[0]  # the inputs are not re-rendered: what was typed stays


def test_only_empty_required_fields_may_be_saved_as_needs_setup(session, app_dir):
    name = new_robot(session)
    form = form_of(session, name)
    form["config/clientId"] = ["half-done"]
    review = session.post(f"/instances/{name}/review", form).get_data(as_text=True)
    assert "Save (needs setup)" in review
    assert session.post(f"/instances/{name}/save", form).status_code == 200
    assert files(app_dir, name)[1]["clientId"] == "half-done"


def test_a_file_changed_on_disk_since_the_form_opened_is_not_overwritten(session, app_dir, agent):
    name = new_robot(session)
    form = form_of(session, name)
    config_file = app_dir / "imRobots" / "dingTalkStream" / "config.json"
    config_file.write_text('{"clientId": "written-elsewhere"}')
    form["config/clientId"] = ["mine"]
    review = session.post(f"/instances/{name}/review", form).get_data(as_text=True)
    assert "changed on disk since you opened the form" in review
    response = session.post(f"/instances/{name}/save", form)
    assert response.status_code == 409 and "Nothing was overwritten" in response.get_data(as_text=True)
    assert json.loads(config_file.read_text()) == {"clientId": "written-elsewhere"}


# secrets, CSRF, access ------------------------------------------------------------------------
def test_no_response_ever_carries_a_stored_secret(session, app_dir, agent, supervisor):
    write_element(app_dir, "imRobots.bot", {"title": "Bot", "type": ROBOT_TYPE, "backendBundleEntry": "."},
                  {"agent": agent, "clientId": "abc", "clientSecret": SECRET, "proxy": "ftp://bad"})
    form = form_of(session, "imRobots.bot")
    bodies = [session.get(url).get_data(as_text=True) for url in ("/", "/instances/imRobots.bot", "/instances/imRobots.bot/delete",
                                                                  "/instances/imRobots.bot/chip")]
    for endpoint in ("review", "save", "form/json", "form/changed"):
        bodies.append(session.post(f"/instances/imRobots.bot/{endpoint}", {**form, "_field": "config/clientSecret"}).get_data(as_text=True))
    bodies.append(session.post("/instances/imRobots.bot/form/apply-json", {**form, "raw_json": '{"clientSecret": "<secret: change it in the form>"}'}).get_data(as_text=True))
    assert all(SECRET not in body for body in bodies)
    assert "<secret: change it in the form>" in bodies[6].replace("&lt;", "<").replace("&gt;", ">")


def test_the_response_guard_masks_a_leak_it_did_not_expect(supervisor, app_dir, agent):
    flask_app = create_app(supervisor)
    session = Session(flask_app.test_client())
    write_element(app_dir, "imRobots.bot", {"title": SECRET, "type": ROBOT_TYPE, "backendBundleEntry": "."}, {"clientSecret": SECRET})
    session.get("/instances/imRobots.bot")  # reads the config: the secret is now known
    assert SECRET not in session.get("/instances/imRobots.bot").get_data(as_text=True)


def test_a_post_without_the_csrf_token_is_refused(client, session):
    name = new_robot(session)
    assert client.post(f"/instances/{name}/review", data={}).status_code == 400
    assert client.post(f"/types/{ROBOT_TYPE}/new").status_code == 400
    assert "out of date" in client.post(f"/instances/{name}/delete").get_data(as_text=True)


def test_an_access_token_guards_every_page(supervisor):
    client = create_app(supervisor, access_token="let-me-in", TESTING=True).test_client()
    assert client.get("/").status_code == 302
    assert client.get("/", headers={"HX-Request": "true"}).headers["HX-Redirect"].startswith("/login")
    login = client.get("/login?next=/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
    assert client.post("/login?next=/", data={"csrf_token": token, "token": "wrong"}).status_code == 401
    response = client.post("/login?next=//evil.example", data={"csrf_token": token, "token": "let-me-in"})
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_headers_size_limits_and_names_that_are_not_paths(session, client):
    response = client.get("/")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "cdn" not in response.get_data(as_text=True).lower()
    assert session.post(f"/types/{ROBOT_TYPE}/new", {"x": "y" * (3 * 1024 * 1024)}, htmx=False).status_code == 413
    for bad in ("..%2F..%2Fetc", "imRobots..x", "imRobots.Meta", "imRobots.dingTalkStreamType", "nope.nothing"):
        assert client.get(f"/instances/{bad}").status_code == 404


def test_titles_and_descriptions_are_escaped(session, app_dir):
    write_element(app_dir, "imRobots.xss", {"title": "<script>alert(1)</script>", "type": ROBOT_TYPE, "backendBundleEntry": ".",
                                            "description": "<img src=x onerror=alert(1)>"}, {})
    for url in ("/", "/instances/imRobots.xss"):
        html = session.get(url).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html


# rename, duplicate, delete --------------------------------------------------------------------------
def test_rename_duplicate_and_delete(session, app_dir):
    name = new_robot(session)
    response = session.post(f"/instances/{name}/rename", {"new_name": "support"}, htmx=False)
    assert response.headers["Location"] == "/instances/imRobots.support"
    bad = session.post("/instances/imRobots.support/rename", {"new_name": "../../etc"}, htmx=False)
    assert bad.headers["Location"] == "/instances/imRobots.support"
    assert "Not renamed" in session.get("/instances/imRobots.support").get_data(as_text=True)
    copy = session.post("/instances/imRobots.support/duplicate", htmx=False).headers["Location"]
    assert copy == "/instances/imRobots.supportCopy"
    assert "Delete" in session.get("/instances/imRobots.supportCopy/delete").get_data(as_text=True)
    assert session.post("/instances/imRobots.supportCopy/delete", htmx=False).headers["Location"] == "/"
    assert not (app_dir / "imRobots" / "supportCopy").exists() and (app_dir / "imRobots" / "support").exists()


# htmx round trips -----------------------------------------------------------------------------------
LISTS = {"type": "object", "properties": {
    "words": {"type": "array", "title": "Words", "items": {"type": "string", "title": "Word"}},
    "auth": {"title": "Auth", "oneOf": [
        {"title": "Token", "type": "object", "properties": {"kind": {"const": "token"}, "token": {"type": "string"}}, "required": ["kind"]},
        {"title": "Basic", "type": "object", "properties": {"kind": {"const": "basic"}, "user": {"type": "string"}}, "required": ["kind"]}]},
}}


@pytest.fixture
def lists(session, app_dir):
    write_type(app_dir, "tools.listType", LISTS, title="Lists")
    write_element(app_dir, "tools.one", {"title": "One", "type": "tools.listType", "backendBundleEntry": "."},
                  {"words": ["alpha", "beta"], "auth": {"kind": "token", "token": "t-1"}})
    session.get("/")
    return "tools.one"


def test_array_items_are_added_moved_and_removed_on_the_server(session, lists):
    form = form_of(session, lists)
    html = session.post(f"/instances/{lists}/form/array", {**form, "_op": "down", "_target": "config/words", "_index": "0"}).get_data(as_text=True)
    page = Page(html)
    assert [a.get("value") for tag, a in page.controls()] == ["beta", "alpha"]
    added = Page(session.post(f"/instances/{lists}/form/array", {**page.form_data(None), **{k: v for k, v in form.items() if not k.startswith("config/words")},
                                                                "_op": "add", "_target": "config/words", "_index": "2"}).get_data(as_text=True))
    assert len([c for c in added.controls() if c[1]["name"].startswith("config/words/")]) == 3


def test_a_variant_switch_swaps_the_section_and_keeps_values(session, lists):
    form = form_of(session, lists)
    form.update({"config/auth/$variant": ["1"], "_field": ["config/auth/$variant"], "_event": ["change"]})
    html = session.post(f"/instances/{lists}/form/changed", form).get_data(as_text=True)
    assert 'id="f-config-auth-v" hx-swap-oob="true"' in html and 'name="config/auth/user"' in html
    assert "t-1" in html  # the token variant's value waits in the stash


def test_field_feedback_after_a_change(session, agent):
    name = new_robot(session)
    form = {**form_of(session, name), "config/maxCardUpdates": ["0"], "_field": "config/maxCardUpdates", "_event": "change"}
    html = session.post(f"/instances/{name}/form/changed", form).get_data(as_text=True)
    assert html.strip().startswith('<div class="feedback" id="f-config-maxCardUpdates-feedback" hx-swap-oob="true">')
    assert "Must be at least 1." in html


def test_the_json_view_follows_the_form_and_broken_json_is_an_error(session, lists):
    form = form_of(session, lists)
    form["config/words/0"] = ["gamma"]
    text = session.post(f"/instances/{lists}/form/json", form).get_data(as_text=True)
    assert "&#34;gamma&#34;" in text or '"gamma"' in text
    broken = session.post(f"/instances/{lists}/form/apply-json", {**form, "raw_json": '{"words": [}'})
    assert broken.status_code == 422 and "line 1, column 12" in broken.get_data(as_text=True)
    applied = session.post(f"/instances/{lists}/form/apply-json", {**form, "raw_json": '{"words": ["x", "y", "z"], "auth": {"kind": "basic", "user": "ann"}}'})
    html = applied.get_data(as_text=True)
    assert applied.status_code == 200 and 'value="ann"' in html and 'value="z"' in html


def test_a_change_of_an_if_field_swaps_the_dependent_section(session, app_dir):
    schema = {"type": "object", "required": ["mode"], "properties": {"mode": {"enum": ["direct", "proxy"], "default": "direct", "title": "Mode"}},
              "if": {"properties": {"mode": {"const": "proxy"}}},
              "then": {"properties": {"proxyUrl": {"type": "string", "title": "Proxy URL"}}, "required": ["proxyUrl"]}}
    write_type(app_dir, "net.linkType", schema, title="Link")
    write_element(app_dir, "net.one", {"title": "One", "type": "net.linkType", "backendBundleEntry": "."}, {"mode": "direct"})
    session.get("/")
    form = {**form_of(session, "net.one"), "config/mode": ["proxy"], "_field": "config/mode", "_event": "change"}
    html = session.post("/instances/net.one/form/changed", form).get_data(as_text=True)
    assert '<div class="fields" id="f-config" hx-swap-oob="true">' in html and 'name="config/proxyUrl"' in html
    same = session.post("/instances/net.one/form/changed", {**form_of(session, "net.one"), "_field": "config/mode"}).get_data(as_text=True)
    assert "proxyUrl" not in same  # nothing to swap: only the field's feedback


def test_a_broken_config_file_is_explained_not_a_crash(session, app_dir):
    write_element(app_dir, "imRobots.broken", {"title": "Broken", "type": ROBOT_TYPE, "backendBundleEntry": "."}, '{"clientId": ')
    response = session.get("/instances/imRobots.broken")
    assert response.status_code == 422
    assert "cannot be opened" in response.get_data(as_text=True) and "line 1" in response.get_data(as_text=True)
    assert "chip--broken" in session.get("/").get_data(as_text=True)


def test_a_type_without_settings_and_a_root_level_oneof(session, app_dir):
    write_element(app_dir, "misc.Meta", {"title": "Misc", "type": "", "backendBundleEntry": "."})
    write_element(app_dir, "misc.plainType", {"title": "Plain", "type": "misc.Meta", "backendBundleEntry": "."},
                  files={"loader.py": "class Loader:\n    def __init__(self, nodes): pass\n    def load(self): return None\n"})
    write_type(app_dir, "misc.choiceType", {"oneOf": [
        {"title": "By name", "type": "object", "properties": {"name": {"type": "string", "title": "Name"}}, "required": ["name"]},
        {"title": "By id", "type": "object", "properties": {"id": {"type": "integer", "title": "Id"}}, "required": ["id"]}]}, title="Choice")
    session.get("/")
    plain = session.post("/types/misc.plainType/new", htmx=False).headers["Location"]
    assert "has no settings" in session.get(plain).get_data(as_text=True)
    choice = session.post("/types/misc.choiceType/new", htmx=False).headers["Location"]
    page = Page(session.get(choice).get_data(as_text=True))
    assert page.unlabelled() == [] and any(a.get("name") == "config/$variant" for _, a in page.controls())
    form = {**page.form_data(), "config/name": ["ann"]}
    assert session.post(choice + "/save", form).status_code == 200
    assert files(app_dir, choice.rsplit("/", 1)[-1].replace("/", "."))[1] == {"name": "ann"}


def test_deleting_or_renaming_a_referenced_agent_warns_about_its_users(session, app_dir, agent):
    write_element(app_dir, "imRobots.bot", {"title": "Bot", "type": ROBOT_TYPE, "backendBundleEntry": "."}, {"agent": agent})
    session.get("/")
    assert "Used by" in session.get(f"/instances/{agent}/delete").get_data(as_text=True)
    asked = session.post(f"/instances/{agent}/rename", {"new_name": "desk"}, htmx=False)
    assert asked.status_code == 200 and 'name="repoint" value="imRobots.bot" checked' in asked.get_data(as_text=True)
    assert (app_dir / "aiagents" / "helpdesk").is_dir()  # asking changed nothing
    session.post(f"/instances/{agent}/rename", {"new_name": "desk", "decided": "1"}, htmx=False)  # nothing ticked
    assert "Still naming aiagents.helpdesk: imRobots.bot" in session.get("/instances/aiagents.desk").get_data(as_text=True)
    assert files(app_dir, "imRobots.bot")[1] == {"agent": "aiagents.helpdesk"}


def test_a_running_service_is_stopped_before_it_is_renamed_and_its_chip_says_so(session, app_dir, supervisor):
    import socket

    listener = socket.create_server(("127.0.0.1", 0))
    copy_fixture("probe", app_dir)
    write_element(app_dir, "probes.one", {"title": "Probe", "type": "probes.tcpProbeType", "backendBundleEntry": "."},
                  {"host": "127.0.0.1", "port": listener.getsockname()[1], "token": "probe-token-123"})
    supervisor.app.refresh()
    assert supervisor.start("probes.one").state == "running"
    assert "chip--running" in session.get("/").get_data(as_text=True)
    response = session.post("/instances/probes.one/rename", {"new_name": "two"}, htmx=False)
    assert response.headers["Location"] == "/instances/probes.two"
    page = session.get("/instances/probes.two").get_data(as_text=True)
    assert "It was stopped for the move" in page and "chip--stopped" in page and "probe-token-123" not in page
    listener.close()


def test_element_fields_get_feedback_too(session):
    name = new_robot(session)
    html = session.post(f"/instances/{name}/form/changed", {**form_of(session, name), "element/title": [" "], "_field": "element/title"}).get_data(as_text=True)
    assert 'id="f-element-title-feedback" hx-swap-oob="true"><p class="feedback__error">Fill in this field.' in html
