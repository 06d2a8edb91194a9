"""The editor in real headless Chromium: what a person does, click by click."""
from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.editor.conftest import write_type
from tests.support.elements import write_element

pytestmark = pytest.mark.browser
SECRET = "dt-secret-4b8e2f91"
ROBOT_TYPE = "imRobots.dingTalkStreamType"
ROBOT_BUTTON = "New DingTalk Robot"


@pytest.fixture
def agents(app_dir, supervisor):
    for name, title in (("helpdesk", "Helpdesk"), ("sales", "Sales desk")):
        write_element(app_dir, f"aiagents.{name}", {"title": title, "type": "aiagents.knowledgeBaseType", "backendBundleEntry": "."},
                      {"sources": ["faq.json"]})
    supervisor.app.refresh()


def review_and_save(page) -> None:
    page.get_by_role("button", name="Review & save").click()
    page.get_by_role("button", name=re.compile(r"^Save")).click()
    page.wait_for_url(re.compile(r"/instances/"))
    expect(page.locator(".toast--success")).to_contain_text("Saved")


def test_one_click_adds_a_robot_whose_form_checks_fields_and_saves_valid_files(page, live_server, app_dir, agents, supervisor):
    type_name, button = ROBOT_TYPE, ROBOT_BUTTON
    page.goto(live_server + "/")
    page.get_by_role("button", name=button).click()
    expect(page.get_by_label("Name", exact=True)).to_have_value("dingTalkStream")
    assert not (app_dir / "imRobots").exists()  # nothing is written before the name is chosen
    page.get_by_label("Name", exact=True).fill("support")
    page.get_by_role("button", name="Create").click()
    expect(page.locator("h1")).to_have_text(re.compile("DingTalk Robot"))
    assert page.url.endswith("/instances/imRobots.support")
    expect(page.locator(".page-head .chip")).to_have_text("Needs setup")
    name = page.url.rsplit("/", 1)[-1]
    folder = app_dir.joinpath(*name.split("."))
    assert {p.name for p in folder.iterdir()} >= {"e.json", "config.json", "__init__.py"}

    page.get_by_label("Agent").select_option("aiagents.sales")
    expect(page.get_by_role("link", name=re.compile("Open aiagents.sales"))).to_be_visible()
    page.get_by_label("Client Secret").fill(SECRET)
    page.get_by_label("Title").fill("Support robot")
    page.get_by_role("button", name="Review & save").click()
    expect(page.locator("#f-config-clientId-feedback")).to_have_text(re.compile("Fill in this field"))
    expect(page.locator("#summary")).to_contain_text("Client ID")
    expect(page.get_by_label("Title")).to_have_value("Support robot")
    expect(page.get_by_label("Client Secret")).to_have_value(SECRET)

    page.get_by_label("Client ID").fill("ding-app-42")
    page.get_by_label("Client ID").blur()
    expect(page.locator("#f-config-clientId-feedback")).to_be_empty()
    page.get_by_role("button", name="Review & save").click()
    expect(page.locator(".panel--review")).to_contain_text('"clientId": "ding-app-42"')
    expect(page.locator(".panel--review")).not_to_contain_text(SECRET)
    page.get_by_role("button", name=re.compile(r"^Save")).click()
    page.wait_for_url(re.compile(name))
    expect(page.locator(".toast--success")).to_contain_text("Saved")

    config = json.loads((folder / "config.json").read_text())
    e_json = json.loads((folder / "e.json").read_text())
    assert config["agent"] == "aiagents.sales" and config["clientId"] == "ding-app-42" and config["clientSecret"] == SECRET
    assert e_json == {**e_json, "title": "Support robot", "type": type_name}
    supervisor.app.refresh()
    assert supervisor.app.missing_setup(name) == []
    supervisor.app.config(name)
    assert SECRET not in page.content()
    expect(page.locator("#f-config-clientSecret-field .pill")).to_have_text("Set")


def test_every_control_has_a_label_and_every_button_a_name_in_the_browser(page, live_server, app_dir, agents):
    page.goto(live_server + "/")
    page.get_by_role("button", name=ROBOT_BUTTON).click()
    page.get_by_role("button", name="Create").click()
    unlabelled = page.evaluate("""() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
        .filter(c => !c.labels || c.labels.length === 0).map(c => c.name || c.id)""")
    nameless = page.evaluate("""() => [...document.querySelectorAll('button')]
        .filter(b => !(b.textContent.trim() || b.getAttribute('aria-label'))).map(b => b.outerHTML)""")
    assert unlabelled == []
    assert nameless == []


LISTS = {"type": "object", "required": ["words"], "properties": {
    "words": {"type": "array", "title": "Words", "items": {"type": "string", "title": "Word"}},
    "auth": {"title": "Auth", "oneOf": [
        {"title": "Token", "type": "object", "required": ["kind"], "properties": {"kind": {"const": "token"}, "token": {"type": "string", "title": "Token"}}},
        {"title": "User and password", "type": "object", "required": ["kind"],
         "properties": {"kind": {"const": "basic"}, "user": {"type": "string", "title": "User"}}}]},
}}


@pytest.fixture
def lists(app_dir, supervisor):
    write_type(app_dir, "tools.listType", LISTS, title="Lists")
    write_element(app_dir, "tools.one", {"title": "One", "type": "tools.listType", "backendBundleEntry": "."},
                  {"words": ["alpha", "beta"], "auth": {"kind": "token", "token": "tok-1"}})
    supervisor.app.refresh()
    return app_dir / "tools" / "one" / "config.json"


def test_an_array_item_is_added_and_reordered_without_a_reload(page, live_server, lists):
    page.goto(live_server + "/instances/tools.one")
    page.evaluate("window.marker = 'same page'")
    page.get_by_role("button", name="Add word to Words").click()
    expect(page.get_by_label("Word 3", exact=True)).to_be_focused()
    page.keyboard.type("gamma")
    page.get_by_role("button", name="Move Word 3 up").click()
    expect(page.get_by_label("Word 2", exact=True)).to_have_value("gamma")
    expect(page.get_by_role("button", name="Move Word 2 up")).to_be_focused()
    page.get_by_role("button", name="Move Word 1 down").click()
    expect(page.get_by_label("Word 1", exact=True)).to_have_value("gamma")
    assert [page.get_by_label(f"Word {i}", exact=True).input_value() for i in (1, 2, 3)] == ["gamma", "alpha", "beta"]
    page.get_by_role("button", name="Remove Word 3").click()
    expect(page.locator("#f-config-words input.input")).to_have_count(2)
    assert page.evaluate("window.marker") == "same page"
    review_and_save(page)
    assert json.loads(lists.read_text())["words"] == ["gamma", "alpha"]


def test_a_oneof_variant_switch_keeps_what_was_typed_in_each(page, live_server, lists):
    page.goto(live_server + "/instances/tools.one")
    expect(page.get_by_label("Token", exact=True)).to_have_value("tok-1")
    page.get_by_label("Auth · kind").select_option(label="User and password")
    page.get_by_label("User").fill("ann")
    page.get_by_label("User").blur()
    page.get_by_label("Auth · kind").select_option(label="Token")
    expect(page.get_by_label("Token", exact=True)).to_have_value("tok-1")
    page.get_by_label("Auth · kind").select_option(label="User and password")
    expect(page.get_by_label("User")).to_have_value("ann")
    review_and_save(page)
    assert json.loads(lists.read_text())["auth"] == {"kind": "basic", "user": "ann"}


def test_the_json_view_follows_the_form_and_applies_back(page, live_server, lists):
    page.goto(live_server + "/instances/tools.one")
    page.get_by_label("Word 1", exact=True).fill("omega")
    page.get_by_role("tab", name="JSON").click()
    text = page.get_by_label("config.json as the form holds it now")
    expect(text).to_have_value(re.compile('"omega"'))
    text.fill('{"words": ["x"], "auth": {"kind": "basic", "user": "bob"}')
    page.get_by_role("button", name="Apply to form").click()
    expect(page.locator("#json-error")).to_contain_text("Not valid JSON")
    text.fill('{"words": ["x"], "auth": {"kind": "basic", "user": "bob"}}')
    page.get_by_role("button", name="Apply to form").click()
    expect(page.get_by_label("User")).to_have_value("bob")
    expect(page.get_by_label("Word 1", exact=True)).to_have_value("x")


def test_a_map_entry_is_added_renamed_and_removed_in_the_browser(page, live_server, app_dir, supervisor):
    write_type(app_dir, "maps.headersType", {"type": "object", "properties": {"name": {"type": "string"}},
                                             "additionalProperties": {"type": "string"}}, title="Headers")
    config = write_element(app_dir, "maps.one", {"title": "One", "type": "maps.headersType", "backendBundleEntry": "."},
                           {"name": "api", "Accept": "text/html", "X-Old": "drop me"}) / "config.json"
    supervisor.app.refresh()
    page.goto(live_server + "/instances/maps.one")
    page.evaluate("window.marker = 'same page'")
    expect(page.get_by_label("Name of entry 1", exact=True)).to_have_value("Accept")
    page.get_by_role("button", name="Remove entry 2").click()
    expect(page.get_by_label("Name of entry 2", exact=True)).to_have_count(0)
    page.get_by_role("button", name="Add entry to this group").click()
    expect(page.get_by_label("Name of entry 2", exact=True)).to_be_focused()
    page.get_by_label("Name of entry 2", exact=True).fill("X-Trace")
    page.get_by_label("Value of entry 2", exact=True).fill("on")
    page.get_by_label("Name of entry 1", exact=True).fill("Accept-Language")
    assert page.evaluate("window.marker") == "same page"
    review_and_save(page)
    assert json.loads(config.read_text()) == {"name": "api", "Accept-Language": "text/html", "X-Trace": "on"}


def test_filling_in_a_trigger_field_shows_its_dependent_field_and_emptying_it_hides_it(page, live_server, app_dir, supervisor):
    write_type(app_dir, "billing.cardType", {"type": "object", "properties": {"name": {"type": "string", "title": "Holder"},
                                                                             "card": {"type": "number", "title": "Card number"}},
                                             "dependentSchemas": {"card": {"properties": {"address": {"type": "string", "title": "Billing address"}},
                                                                           "required": ["address"]}}}, title="Card")
    config = write_element(app_dir, "billing.one", {"title": "One", "type": "billing.cardType", "backendBundleEntry": "."}, {"name": "Ann"}) / "config.json"
    supervisor.app.refresh()
    page.goto(live_server + "/instances/billing.one")
    address = page.get_by_label("Billing address")
    expect(address).to_have_count(0)
    page.get_by_label("Card number").fill("4111")
    page.keyboard.press("Tab")
    expect(address).to_be_visible()
    address.fill("1 Main St")
    page.get_by_label("Card number").fill("")
    page.keyboard.press("Tab")
    expect(address).to_have_count(0)
    page.get_by_label("Card number").fill("4111")
    page.keyboard.press("Tab")
    expect(address).to_have_value("1 Main St")
    review_and_save(page)
    assert json.loads(config.read_text()) == {"name": "Ann", "card": 4111, "address": "1 Main St"}


def test_list_items_with_secrets_moved_and_removed_in_the_browser_keep_their_own(page, live_server, app_dir, supervisor):
    schema = {"type": "object", "properties": {"keys": {"type": "array", "items": {"type": "object", "title": "Key", "properties": {
        "name": {"type": "string", "title": "Name"}, "secret": {"type": "string", "title": "Secret", "writeOnly": True}}}}}}
    write_type(app_dir, "tools.keysType", schema, title="Keys")
    stored = {"keys": [{"name": n, "secret": f"secret-{n}-7f3a"} for n in "ABC"]}
    write_element(app_dir, "tools.keys", {"title": "Keys", "type": "tools.keysType", "backendBundleEntry": "."}, stored)
    supervisor.app.refresh()
    page.goto(live_server + "/instances/tools.keys")
    page.get_by_role("button", name="Move Key 1 down").click()  # B A C
    expect(page.locator("#f-config-keys-0-name")).to_have_value("B")
    page.get_by_role("button", name="Remove Key 3").click()  # B A
    expect(page.locator("#f-config-keys > .items > .item")).to_have_count(2)
    review_and_save(page)
    config = json.loads((app_dir / "tools" / "keys" / "config.json").read_text())
    assert config["keys"] == [{"name": "B", "secret": "secret-B-7f3a"}, {"name": "A", "secret": "secret-A-7f3a"}]
