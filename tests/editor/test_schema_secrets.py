"""Secrets inside a oneOf variant and inside array items stay out of every page, log and download.

The Type below is the hard case the schema walker exists for: its secrets are not plain nested
properties, and its Loader logs its whole config. config.json holds the secrets themselves (the
worst case: no `{{VAR}}` placeholder in between).
"""
from __future__ import annotations

import html as html_text
import json
import uuid

import pytest

from element_studio.editor.form_views import JSON_SECRET
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


SIGNED = {
    "type": "object",
    "properties": {"mode": {"type": "string", "title": "Mode", "enum": ["plain", "signed"], "default": "plain"}},
    "if": {"properties": {"mode": {"const": "signed"}}, "required": ["mode"]},
    "then": {"properties": {
        "signKey": {"type": "string", "title": "Signing key", "writeOnly": True},
        "proxy": {"type": "string", "title": "Proxy", "format": "uri"},
        "vault": {"type": "object", "title": "Vault", "properties": {
            "user": {"type": "string", "title": "User"}, "token": {"type": "string", "title": "Token", "writeOnly": True}}},
    }},
}


def test_secrets_the_shown_branch_does_not_name_stay_off_the_page_and_in_the_file(app_dir, session, supervisor):
    """A config on "plain" that still holds the "signed" branch's settings: the page shows the
    plain branch, and an unchanged save keeps the hidden settings, secrets included."""
    key, token, password = (f"{what}-{uuid.uuid4().hex}" for what in ("key", "token", "password"))
    stored = {"mode": "plain", "signKey": key, "proxy": f"http://me:{password}@proxy.example:3128",
              "vault": {"user": "bob", "token": token}}
    write_type(app_dir, "vault.signedType", SIGNED, title="Signed")
    folder = write_element(app_dir, "vault.signed", instance("vault.signedType", at_start=False), stored)
    supervisor.app.refresh()
    page = session.get("/instances/vault.signed")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "bob" in html  # the hidden settings travel with the form...
    assert [s for s in (key, token, password) if s in html] == []  # ...without their secrets
    form = Page(html).form_data()
    assert session.post("/instances/vault.signed/save", form).status_code == 200
    assert json.loads((folder / "config.json").read_text()) == stored


PIN = {
    "type": "object",
    "properties": {
        "pin": {"type": "integer", "title": "PIN", "writeOnly": True},
        "region": {"type": "string", "title": "Region", "enum": ["north-7431", "south-8642"], "writeOnly": True},
        "service": {"type": "object", "title": "Service account", "writeOnly": True, "properties": {"id": {"type": "string"}}},
    },
}


def test_a_secret_of_any_type_is_never_shown_and_a_new_one_is_saved_as_its_type(app_dir, session, supervisor):
    account = f"account-{uuid.uuid4().hex}"
    stored = {"pin": 918273, "region": "south-8642", "service": {"id": account}}
    write_type(app_dir, "vault.pinType", PIN, title="PIN")
    folder = write_element(app_dir, "vault.pin", instance("vault.pinType", at_start=False), stored)
    supervisor.app.refresh()
    html = session.get("/instances/vault.pin").get_data(as_text=True)
    assert [s for s in ("918273", "south-8642", account) if s in html] == []
    form = Page(html).form_data()
    assert {form[f"config/{key}/$secret"][0] for key in stored} == {"keep"}
    json_text = session.post("/instances/vault.pin/form/json", form).get_data(as_text=True)
    assert [s for s in ("918273", "south-8642", account) if s in json_text] == []
    applied = session.post("/instances/vault.pin/form/apply-json", {**form, "raw_json": json.dumps(dict.fromkeys(stored, JSON_SECRET))})
    assert applied.status_code == 200 and "918273" not in applied.get_data(as_text=True)

    form["config/pin/$secret"], form["config/pin"] = ["replace"], ["12ab"]
    refused = session.post("/instances/vault.pin/save", form)
    assert refused.status_code == 422 and "Enter a whole number." in refused.get_data(as_text=True)
    assert json.loads((folder / "config.json").read_text()) == stored
    form["config/pin"] = ["4321"]
    form["config/service/$secret"], form["config/service"] = ["replace"], ['{"id": "robot-2"}']
    assert session.post("/instances/vault.pin/save", form).status_code == 200
    assert json.loads((folder / "config.json").read_text()) == {"pin": 4321, "region": "south-8642", "service": {"id": "robot-2"}}


SECRET = {"type": "string", "writeOnly": True}
HIDDEN_SETTINGS = {
    "another variant's": ({"type": "object", "properties": {"auth": {"oneOf": [
        {"title": "A", "properties": {"kind": {"const": "a"}, "proxy": {"type": "string", "format": "uri"}, "token": SECRET,
                                      "vault": {"type": "object", "properties": {"user": {"type": "string"}, "key": SECRET}}}, "required": ["kind"]},
        {"title": "B", "properties": {"kind": {"const": "b"}, "user": {"type": "string"}}, "required": ["kind"]}]}}},
        {"auth": {"kind": "b", "user": "x", "proxy": "http://me:{0}@proxy.example", "token": "{1}", "vault": {"user": "v", "key": "{2}"}}}),
    "the first choice's other branch, under a second choice": ({"type": "object", "properties": {"c": {"type": "object", "allOf": [
        {"oneOf": [{"title": "A", "properties": {"kind": {"const": "a"}, "tok": SECRET}, "required": ["kind"]},
                   {"title": "B", "properties": {"kind": {"const": "b"}}, "required": ["kind"]}]},
        {"oneOf": [{"title": "C", "properties": {"x": {"type": "string"}}, "required": ["x"]},
                   {"title": "D", "properties": {"y": {"type": "string"}}, "required": ["y"]}]}]}}},
        {"c": {"kind": "b", "x": "1", "tok": "{0}"}}),
    "a map's in a hidden branch": ({"type": "object", "properties": {"mode": {"enum": ["plain", "signed"]}},
                                    "if": {"properties": {"mode": {"const": "signed"}}, "required": ["mode"]},
                                    "then": {"patternProperties": {"^key_": SECRET}}},
                                   {"mode": "plain", "key_a": "{0}", "key_b": "{1}"}),
    "a key that is a secret in one branch only": ({"type": "object", "properties": {"mode": {"enum": ["a", "b", "c"]}}, "allOf": [
        {"if": {"properties": {"mode": {"const": "a"}}, "required": ["mode"]}, "then": {"properties": {"tok": {"type": "string"}}}},
        {"if": {"properties": {"mode": {"const": "b"}}, "required": ["mode"]}, "then": {"properties": {"tok": SECRET}}}]},
        {"mode": "c", "tok": "{0}"}),
}
HIDDEN_SETTINGS["a draft-07 tuple's (a JSON box otherwise)"] = (
    {"$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "properties": {
        "pair": {"type": "array", "items": [SECRET, {"type": "string"}], "additionalItems": SECRET}}},
    {"pair": ["{0}", "public", "{1}"]})
HIDDEN_SETTINGS["a tuple's with no items after its places"] = (
    {"type": "object", "properties": {"pair": {"type": "array", "prefixItems": [SECRET, {"type": "string"}]}}},
    {"pair": ["{0}", "public"]})
HIDDEN_SETTINGS["a value one branch holds secret as a whole"] = (
    {"type": "object", "properties": {"x": {"oneOf": [
        {"type": "object", "properties": {"q": {"type": "object", "properties": {"a": {"type": "string"}}}}},
        SECRET]}}},
    {"x": {"q": {"a": "{0}", "hidden": "{1}"}, "hidden": "{2}"}})
HIDDEN_SETTINGS["a key that is a secret in another branch, shown in a branch where it is not"] = (
    HIDDEN_SETTINGS["a key that is a secret in one branch only"][0], {"mode": "a", "tok": "{0}"})


@pytest.mark.parametrize("case", HIDDEN_SETTINGS)
def test_the_secrets_of_settings_the_page_does_not_show_stay_off_it_and_in_the_file(app_dir, session, supervisor, case):
    schema, template = HIDDEN_SETTINGS[case]
    secrets = [f"s{i}-{uuid.uuid4().hex}" for i in range(3)]
    stored = json.loads(json.dumps(template).replace("{0}", secrets[0]).replace("{1}", secrets[1]).replace("{2}", secrets[2]))
    write_type(app_dir, "vault.hiddenType", schema, title="Hidden")
    folder = write_element(app_dir, "vault.hidden", instance("vault.hiddenType", at_start=False), stored)
    supervisor.app.refresh()
    html = session.get("/instances/vault.hidden").get_data(as_text=True)
    assert [s for s in secrets if s in html] == []
    assert session.post("/instances/vault.hidden/save", Page(html).form_data()).status_code == 200
    assert json.loads((folder / "config.json").read_text()) == stored


LIST = {"type": "object", "properties": {"bots": {"type": "array", "items": {
    "type": "object", "properties": {"name": {"type": "string", "title": "Name"}, "key": {**SECRET, "title": "Key"},
                                     "mode": {"enum": ["plain", "signed"]}},
    "if": {"properties": {"mode": {"const": "signed"}}, "required": ["mode"]}, "then": {"properties": {"signKey": SECRET}}}}}}


def test_list_items_moved_removed_and_added_keep_their_own_secrets(app_dir, session, supervisor):
    stored = {"bots": [{"name": n, "key": f"key-{n}", "mode": "plain", "signKey": f"sign-{n}"} for n in "ABC"]}
    write_type(app_dir, "vault.listType", LIST, title="List")
    folder = write_element(app_dir, "vault.list", instance("vault.listType", at_start=False), stored)
    supervisor.app.refresh()
    form = Page(session.get("/instances/vault.list").get_data(as_text=True)).form_data()

    def act(form: dict, op: str, index: int) -> dict:
        """A list button, as htmx does it: the list is redrawn and replaces the old one on the page."""
        html = session.post("/instances/vault.list/form/array", {**form, "_op": op, "_target": "config/bots", "_index": str(index)}).get_data(as_text=True)
        return {k: v for k, v in form.items() if not k.startswith("config/bots/")} | Page(html).form_data(None)

    form = act(form, "down", 0)  # B A C
    form = act(form, "remove", 2)  # B A
    form = act(form, "add", 0)  # B A (new)
    form["config/bots/2/name"], form["config/bots/2/mode"] = ["D"], ["plain"]
    assert form["config/bots/2/key/$secret"] == ["replace"]  # the new item has no key yet, not C's
    form["config/bots/2/key"] = ["key-D"]
    assert session.post("/instances/vault.list/save", form).status_code == 200
    assert json.loads((folder / "config.json").read_text())["bots"] == [
        {"name": "B", "key": "key-B", "mode": "plain", "signKey": "sign-B"},
        {"name": "A", "key": "key-A", "mode": "plain", "signKey": "sign-A"},
        {"name": "D", "key": "key-D", "mode": "plain"},
    ]


HOOKS = {"type": "object", "properties": {"on": {"type": "boolean", "title": "On"}},
         "if": {"properties": {"on": {"const": True}}, "required": ["on"]},
         "then": {"properties": {"hooks": {"type": "array", "items": {"type": "object", "title": "Hook", "properties": {
             "url": {"type": "string", "title": "URL"}, "token": {**SECRET, "title": "Token"}}}}}}}


@pytest.fixture
def hooks(app_dir, supervisor, session):
    """A list of hooks with secrets, shown only while "on" is ticked; returns (form, config file, act)."""
    stored = {"on": True, "hooks": [{"url": "A", "token": "token-A"}, {"url": "B", "token": "token-B"}]}
    write_type(app_dir, "vault.hooksType", HOOKS, title="Hooks")
    folder = write_element(app_dir, "vault.hooks", instance("vault.hooksType", at_start=False), stored)
    supervisor.app.refresh()

    def redraw(form: dict, endpoint: str, target: str, **fields: str) -> dict:
        """What htmx does: post the form, put the section it answers in place of the old one."""
        html = session.post(f"/instances/vault.hooks/form/{endpoint}", {**form, **fields}).get_data(as_text=True)
        return {k: v for k, v in form.items() if k != target and not k.startswith(target + "/")} | Page(html).form_data(None)

    return Page(session.get("/instances/vault.hooks").get_data(as_text=True)).form_data(), folder / "config.json", redraw


def test_a_moved_list_hidden_and_shown_again_or_applied_from_json_keeps_each_items_secret(session, hooks):
    form, config_file, redraw = hooks
    form = redraw(form, "array", "config/hooks", _op="up", _target="config/hooks", _index="1")  # B A
    form.pop("config/on")  # unticked: the list is hidden, its items go to the stash
    form = redraw(form, "changed", "config", _field="config/on")
    assert "config/hooks/0/url" not in form
    form["config/on"] = ["true"]  # ticked again: the list comes back
    form = redraw(form, "changed", "config", _field="config/on")
    json_text = session.post("/instances/vault.hooks/form/json", form).get_data(as_text=True)
    raw = html_text.unescape(json_text.split('name="raw_json"', 1)[1].split(">", 1)[1].split("</textarea>", 1)[0])
    form = redraw(form, "apply-json", "config", raw_json=raw)  # the JSON view applied back unchanged
    assert session.post("/instances/vault.hooks/save", form).status_code == 200
    assert json.loads(config_file.read_text())["hooks"] == [{"url": "B", "token": "token-B"}, {"url": "A", "token": "token-A"}]


def test_a_forged_from_marker_cannot_copy_a_stored_secret_to_another_place(session, hooks):
    form, config_file, _redraw = hooks
    form["config/hooks/$from"] = ["[0, 0]"]  # both items claim the first stored item
    form["config/$from"] = ["[1, 0]"]  # and the config itself is no list
    assert session.post("/instances/vault.hooks/save", form).status_code == 200
    assert json.loads(config_file.read_text())["hooks"] == [{"url": "A", "token": "token-A"}, {"url": "B"}]


def test_a_tuple_keeps_its_places_and_a_map_key_in_other_digits_saves(app_dir, session, supervisor):
    schema = {"type": "object", "properties": {
        "pair": {"type": "array", "title": "Pair", "prefixItems": [{**SECRET, "title": "Key"}, {"type": "string", "title": "Label"}],
                 "items": {"type": "string"}},
        "units": {"type": "object", "additionalProperties": {"type": "string"}}}}
    stored = {"pair": ["tuple-secret-5d1c", "public"], "units": {"①": "first", "²": "second"}}
    write_type(app_dir, "vault.tupleType", schema, title="Tuple")
    folder = write_element(app_dir, "vault.tuple", instance("vault.tupleType", at_start=False), stored)
    supervisor.app.refresh()
    html = session.get("/instances/vault.tuple").get_data(as_text=True)
    assert "tuple-secret-5d1c" not in html
    form = Page(html).form_data()
    assert "Extra 1" not in html and "Extra 2" not in html  # each place is named by its own title (Key, Label)

    def act(form: dict, op: str, index: int):
        return session.post("/instances/vault.tuple/form/array", {**form, "_op": op, "_target": "config/pair", "_index": str(index)})

    assert (act(form, "down", 0).status_code, act(form, "remove", 0).status_code) == (400, 400)  # a tuple's places stay
    added = Page(act(form, "add", 0).get_data(as_text=True)).form_data(None)
    with_extra = {k: v for k, v in form.items() if not k.startswith("config/pair/")} | added
    assert added["config/pair/2"] == [""] and act(with_extra, "remove", 2).status_code == 200  # an item after them comes and goes
    assert act(with_extra, "remove", 1).status_code == 400
    assert act({**form, "config/pair/①": ["z"]}, "add", 0).status_code == 200  # a posted name in other digits is no item
    assert session.post("/instances/vault.tuple/save", form).status_code == 200
    assert json.loads((folder / "config.json").read_text()) == stored


def test_a_choice_with_a_secret_branch_still_offers_the_choice_for_an_object_value(app_dir, session, supervisor):
    schema = {"type": "object", "properties": {"cred": {"title": "Credentials", "oneOf": [
        {"title": "Token", "type": "string", "writeOnly": True},
        {"title": "Login", "type": "object", "properties": {"user": {"type": "string"}, "pw": {"type": "string", "writeOnly": True}}}]}}}
    stored = {"cred": {"user": "login-user-77", "pw": "login-pw-77"}}
    write_type(app_dir, "vault.credType", schema, title="Cred")
    folder = write_element(app_dir, "vault.cred", instance("vault.credType", at_start=False), stored)
    supervisor.app.refresh()
    html = session.get("/instances/vault.cred").get_data(as_text=True)
    form = Page(html).form_data()
    assert form["config/cred/$variant"] == ["1"]  # Login, with its fields
    assert form["config/cred/user/$secret"] == form["config/cred/pw/$secret"] == ["keep"]  # the runtime holds both secret
    assert "login-user-77" not in html and "login-pw-77" not in html
    assert session.post("/instances/vault.cred/save", form).status_code == 200
    assert json.loads((folder / "config.json").read_text()) == stored


def test_items_after_a_tuples_places_and_a_list_behind_a_switched_choice_keep_their_secrets(app_dir, session, supervisor):
    item = {"type": "object", "title": "Key", "properties": {"n": {"type": "string", "title": "Name"}, "k": {**SECRET, "title": "Key"}}}
    schema = {"type": "object", "properties": {
        "t": {"type": "array", "prefixItems": [{"type": "string"}], "items": SECRET},
        "x": {"title": "Keys", "oneOf": [{"type": "array", "title": "List", "items": item}, {"type": "string", "title": "None"}]}}}
    stored = {"t": ["head", "tail-1", "tail-2"], "x": [{"n": "A", "k": "key-A"}, {"n": "B", "k": "key-B"}]}
    write_type(app_dir, "vault.mixType", schema, title="Mix")
    folder = write_element(app_dir, "vault.mix", instance("vault.mixType", at_start=False), stored)
    supervisor.app.refresh()
    form = Page(session.get("/instances/vault.mix").get_data(as_text=True)).form_data()

    def redraw(form: dict, endpoint: str, target: str, **fields: str) -> dict:
        """htmx's swap: the section answered replaces the one on the page (a list inside a choice
        leaves the choice's own markers in place)."""
        html = session.post(f"/instances/vault.mix/form/{endpoint}", {**form, **fields}).get_data(as_text=True)
        choice = ("$variant", "$shown", "$vstash") if endpoint == "array" else ()
        inside = [k for k in form if (k == target or k.startswith(target + "/")) and k.rsplit("/", 1)[-1] not in choice]
        return {k: v for k, v in form.items() if k not in inside} | Page(html).form_data(None)

    form = redraw(form, "array", "config/t", _op="remove", _target="config/t", _index="1")  # head, tail-2
    form = redraw(form, "array", "config/x", _op="remove", _target="config/x", _index="0")  # B
    for variant in ("1", "0"):  # the choice switched away from the list and back
        form["config/x/$variant"] = [variant]
        form = redraw(form, "changed", "config/x", _field="config/x/$variant")
    assert session.post("/instances/vault.mix/save", form).status_code == 200
    assert json.loads((folder / "config.json").read_text()) == {"t": ["head", "tail-2"], "x": [{"n": "B", "k": "key-B"}]}
