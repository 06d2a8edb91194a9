"""Loading an instance: {{VAR}} rendering, schema validation and the Type's Loader."""
from __future__ import annotations

import pytest

from element_studio.runtime.app import App
from element_studio.runtime.errors import ConfigInvalidError, MissingLoaderError, UnresolvedVariableError
from tests.support.elements import copy_fixture, instance, write_element

PROBE = "probes.tcpProbeType"


@pytest.fixture
def probe_app(app_dir):
    copy_fixture("probe", app_dir)
    return app_dir


def test_placeholders_come_from_the_environment_over_the_app_env_file(probe_app, monkeypatch):
    (probe_app / ".env").write_text("PROBE_TOKEN=from-dotenv\nPROBE_PORT_HOST=10.0.0.1\n")
    monkeypatch.setenv("PROBE_PORT_HOST", "127.0.0.1")
    write_element(probe_app, "probes.one", instance(PROBE), {"host": "{{PROBE_PORT_HOST}}", "port": 9, "token": "tok-{{ PROBE_TOKEN }}"})
    config = App(probe_app).config("probes.one")
    assert config == {"host": "127.0.0.1", "port": 9, "token": "tok-from-dotenv", "failOnStart": False}


def test_a_value_with_quotes_cannot_break_the_json(probe_app, monkeypatch):
    monkeypatch.setenv("PROBE_TOKEN", 'a"b\\c')
    write_element(probe_app, "probes.one", instance(PROBE), {"port": 9, "token": "{{PROBE_TOKEN}}"})
    assert App(probe_app).config("probes.one")["token"] == 'a"b\\c'


def test_an_unset_variable_is_an_error_naming_it_and_the_element(probe_app, monkeypatch):
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    write_element(probe_app, "probes.one", instance(PROBE), {"port": 9, "token": "{{NOT_SET_ANYWHERE}}"})
    with pytest.raises(UnresolvedVariableError) as caught:
        App(probe_app).config("probes.one")
    assert str(caught.value) == (
        "probes.one: config.json field token: variable NOT_SET_ANYWHERE is not set "
        "(set it in the environment or in the app's .env file)"
    )


def test_config_is_validated_against_the_type_schema_without_quoting_secrets(probe_app):
    write_element(probe_app, "probes.one", instance(PROBE), {"port": 70000, "token": "s3cret-value"})
    write_element(probe_app, "probes.two", instance(PROBE), {"port": 9, "token": 12345})
    app = App(probe_app)
    with pytest.raises(ConfigInvalidError, match=r"probes.one: config.json field port: 70000 is greater than the maximum of 65535"):
        app.config("probes.one")
    with pytest.raises(ConfigInvalidError) as caught:
        app.config("probes.two")
    assert "field token" in str(caught.value) and "12345" not in str(caught.value)


def test_empty_required_fields_mean_needs_setup(probe_app):
    write_element(probe_app, "probes.one", instance(PROBE), {"port": 9, "token": ""})
    app = App(probe_app)
    assert app.missing_setup("probes.one") == ["token"]
    with pytest.raises(ConfigInvalidError, match="config.json field token: is required"):
        app.config("probes.one")


def test_a_type_without_loader_is_reported(app_dir):
    write_element(app_dir, "shop.Meta", {"title": "Shop", "type": ""})
    write_element(app_dir, "shop.payType", {"title": "Pay", "type": "shop.Meta"}, files={"__init__.py": "X = 1\n"})
    write_element(app_dir, "shop.badType", {"title": "Bad", "type": "shop.Meta"}, files={"__init__.py": "import nowhere_module\n"})
    problems = {p.full_name: str(p) for p in App(app_dir).check() if isinstance(p, MissingLoaderError)}
    assert problems["shop.payType"] == "shop.payType: __init__.py: the package does not export a Loader class"
    assert "No module named 'nowhere_module'" in problems["shop.badType"]


def test_loader_gets_the_chain_and_get_element_caches_until_files_change(probe_app):
    folder = write_element(probe_app, "probes.one", instance(PROBE, at_start=False), {"port": 9, "token": "t1"})
    app = App(probe_app)
    first = app.getElement("probes.one")
    assert app.getElement("probes.one") is first
    assert first.config["token"] == "t1"
    (folder / "config.json").write_text('{"port": 9, "token": "t2"}')
    import os

    os.utime(folder / "config.json", ns=(1, 1))
    second = app.getElement("probes.one")
    assert second is not first and second.config["token"] == "t2"


def test_app_type_code_uses_relative_imports(app_dir):
    write_element(app_dir, "shop.Meta", {"title": "Shop", "type": ""})
    write_element(
        app_dir,
        "shop.payType",
        {"title": "Pay", "type": "shop.Meta"},
        files={
            "__init__.py": "from .loader import Loader\n",
            "loader.py": "from .helper import greet\n\nclass Loader:\n    def __init__(self, nodes):\n        self.nodes = nodes\n    def load(self):\n        return greet(self.nodes[0].fullName, [n.fullName for n in self.nodes])\n",
            "helper.py": "def greet(name, chain):\n    return f'hello {name} via {chain}'\n",
        },
    )
    write_element(app_dir, "shop.paypal", instance("shop.payType"), {})
    assert App(app_dir).getElement("shop.paypal") == "hello shop.paypal via ['shop.paypal', 'shop.payType', 'shop.Meta']"


def test_defaults_spell_out_nested_objects_even_when_their_own_default_is_empty():
    from element_studio.runtime.schema import default_for

    schema = {
        "type": "object",
        "$defs": {"label": {"type": "string", "default": "Yes"}},
        "properties": {
            "buttons": {"type": "object", "default": {}, "properties": {"enabled": {"type": "boolean", "default": True}, "yes": {"$ref": "#/$defs/label"}}},
            "tuning": {"type": "object", "default": {"retries": 5}, "properties": {"retries": {"type": "integer", "default": 3}}},
            "name": {"type": "string"},
        },
    }
    assert default_for(schema) == {"buttons": {"enabled": True, "yes": "Yes"}, "tuning": {"retries": 5}}


def test_check_runs_a_loaders_optional_check_without_loading(app_dir):
    write_element(app_dir, "shop.Meta", {"title": "Shop", "type": ""})
    write_element(
        app_dir,
        "shop.fileType",
        {"title": "Files", "type": "shop.Meta"},
        files={
            "__init__.py": (
                "from element_studio.contract import ElementError\n"
                "class Loader:\n"
                "    def __init__(self, nodes):\n        self.nodes = nodes\n"
                "    def load(self):\n        raise AssertionError('check must not load')\n"
                "    def check(self):\n"
                "        node = self.nodes[0]\n"
                "        if not (node.folder / 'data.txt').exists():\n"
                "            raise ElementError(node.fullName, 'config.json field file', 'data.txt not found')\n"
            )
        },
    )
    write_element(app_dir, "shop.withFile", instance("shop.fileType"), {}, files={"data.txt": "x"})
    write_element(app_dir, "shop.missing", instance("shop.fileType"), {})
    assert [str(p) for p in App(app_dir).check()] == ["shop.missing: config.json field file: data.txt not found"]
