"""Part 2 adds pages the way the built-in ones are added: a blueprint, a nav link, a tab, a panel."""
from __future__ import annotations

import pytest
from flask import Blueprint, render_template_string

from element_studio.editor import PAGES, create_app
from element_studio.editor.instances import header_context
from element_studio.editor.pages import NavLink, Page, Tab
from tests.editor.conftest import Session
from tests.support.elements import copy_fixture, instance, write_element

bp = Blueprint("probe_logs", __name__)


@bp.get("/logs")
def overview() -> str:
    return render_template_string("{% extends 'base.html' %}{% block content %}<h1>All logs</h1>{% endblock %}")


@bp.get("/instances/<name>/logs")
def logs(name: str) -> str:
    return render_template_string(
        "{% extends 'instances/_tab_page.html' %}{% block tab_content %}<p>Logs of {{ name }}</p>{% endblock %}",
        **header_context(name))


@pytest.fixture
def session(supervisor, app_dir):
    copy_fixture("probe", app_dir)
    write_element(app_dir, "probes.one", instance("probes.tcpProbeType"), {"host": "127.0.0.1", "port": 1, "token": "tok"})
    supervisor.app.refresh()
    page = Page(bp, nav=NavLink("Logs", "probe_logs.overview"), instance_tab=Tab("Logs", "probe_logs.logs", services_only=True),
                instance_panel="_status_chip.html")
    return Session(create_app(supervisor, pages=[*PAGES, page], TESTING=True).test_client())


def test_a_page_adds_a_nav_link_an_instance_tab_and_a_side_panel(session):
    home = session.get("/").get_data(as_text=True)
    assert 'href="/logs"' in home
    settings = session.get("/instances/probes.one").get_data(as_text=True)
    assert 'href="/instances/probes.one/logs"' in settings and ">Settings</a>" in settings
    assert settings.count('data-chip="probes.one"') == 3  # header, side panel facts, and the added panel
    tab = session.get("/instances/probes.one/logs").get_data(as_text=True)
    assert "Logs of probes.one" in tab and 'aria-current="page">Logs</a>' in tab


def test_a_type_from_outside_the_product_adds_its_table_status_and_tab_through_the_contract(supervisor, app_dir):
    """tests/fixtures/probe uses only element_studio.contract: its table is migrated, its status
    detail is shown the way it declares, and its tab appears on its instances only."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    copy_fixture("probe", app_dir)
    copy_fixture("scripted_agent", app_dir)
    port = listener.getsockname()[1]
    write_element(app_dir, "probes.one", instance("probes.tcpProbeType", at_start=False), {"host": "127.0.0.1", "port": port, "token": "tok-123456"})
    write_element(app_dir, "aiagents.scripted", instance("aiagents.scriptedType", at_start=False), {})
    supervisor.app.refresh()
    session = Session(create_app(supervisor, TESTING=True).test_client())
    try:
        assert supervisor.start("probes.one").state == "running"
        page = session.get("/instances/probes.one").get_data(as_text=True)
        assert ">Probe events</a>" in page and "Greetings sent" in page and ">Connected<" in page
        events = session.get("/instances/probes.one/probe-events").get_data(as_text=True)
        assert f"<li>connected to port {port}</li>" in events
        assert ">Probe events</a>" not in session.get("/instances/aiagents.scripted").get_data(as_text=True)
    finally:
        supervisor.stop("probes.one")
        listener.close()
