"""The runtime pages without a browser: chips from states, which buttons make sense, health rows,
connection test wording, log levels, and the routes' answers (Flask's test client)."""
from __future__ import annotations

import re
import socket

import pytest

from element_studio.editor.connection_test_view import outcome_of
from element_studio.editor.live_status import health_rows, service_view
from element_studio.editor.logs_view import at_least
from element_studio.editor.runtime_control import summary
from element_studio.editor.status import chip_for_status
from element_studio.runtime.connection_check import ConnectionCheck
from element_studio.runtime.logs import LogEntry
from element_studio.runtime.redaction import redactor
from element_studio.elements.imRobots.Meta.robot_status import status_fields as FIELDS
from element_studio.runtime.service import InstanceState, InstanceStatus
from tests.support.elements import copy_fixture, instance, write_element
from tests.support.waiting import wait_until

ROBOT_TYPE = "imRobots.dingTalkStreamType"


def status(state: str, message: str = "", alive: bool | None = None, **detail) -> InstanceStatus:
    """A snapshot as the supervisor makes it: a robot reporting detail still holds its service."""
    if alive is None:
        alive = state in ("running", "starting") or (state == "error" and bool(detail))
    return InstanceStatus("imRobots.bot", "Bot", ROBOT_TYPE, InstanceState(state), message, detail, alive=alive)


def view(state: str, message: str = "", **detail):
    s = status(state, message, **detail)
    return service_view(s, chip_for_status(s, FIELDS), FIELDS)


def test_chips_follow_the_connection_a_running_robot_reports():
    assert chip_for_status(status("running", connection="connected"), FIELDS).label == "Connected"
    assert chip_for_status(status("running", connection="connected"), FIELDS).state == "running"
    assert chip_for_status(status("running", connection="connecting"), FIELDS).label == "Connecting"
    backing = chip_for_status(status("running", "reconnecting: timed out", connection="backing_off", lastError="open connection: timed out", nextRetryAt=123.0), FIELDS)
    assert (backing.state, backing.label, backing.message, backing.retry_at) == ("backing_off", "Backing off", "open connection: timed out", 123.0)
    refused = chip_for_status(status("error", "credentials refused (HTTP 401)", connection="backing_off", nextRetryAt=99.0), FIELDS)
    assert (refused.label, refused.message, refused.retry_at) == ("Error", "credentials refused (HTTP 401)", 99.0)
    assert chip_for_status(status("running"), FIELDS).label == "Running"  # a service that reports no connection


def test_buttons_make_sense_for_each_state():
    def buttons(v):
        return v.can_start, v.can_stop, v.can_restart

    assert buttons(view("stopped")) == (True, False, False)
    assert buttons(view("running", connection="connected")) == (False, True, True)
    assert buttons(view("error", "failed to load")) == (True, True, False)  # start again, or clear it
    assert buttons(view("error", "credentials refused", connection="backing_off")) == (False, True, True)  # still retrying
    needs = service_view(InstanceStatus("imRobots.bot", "Bot", ROBOT_TYPE, InstanceState.NEEDS_SETUP, missing=("clientSecret",)),
                         chip_for_status(InstanceStatus("imRobots.bot", "Bot", ROBOT_TYPE, InstanceState.NEEDS_SETUP, missing=("clientSecret",)), FIELDS), FIELDS)
    assert buttons(needs) == (False, False, False)
    assert needs.why == "Needs setup: fill in clientSecret in Settings before it can start."


def test_health_rows_show_what_the_robot_reports_and_mask_secrets():
    redactor.add("tok-4c1d9e7f2a")
    s = status("running", connection="connected", connectedSince=100.0, lastFrameAt=None, reconnects=2, answersInFlight=1,
               messagesHandled=7, lastError="token tok-4c1d9e7f2a expired", nextRetryAt=None, somethingElse=1)
    rows = {r.label: r for r in health_rows(s, chip_for_status(s, FIELDS), FIELDS)}
    assert list(rows) == ["Connection", "Connected since", "Last frame", "Reconnects", "Answers in flight", "Messages handled", "Last error",
                          "somethingElse"]  # a key the Type did not declare is shown as it is
    assert rows["Connected since"].value.epoch == 100.0 and rows["Last frame"].value == "not yet"
    assert (rows["Reconnects"].value, rows["Messages handled"].value) == ("2", "7")  # formatted for the locale
    assert rows["Last error"].value == "token *** expired" and rows["Last error"].kind == "error"
    assert view("stopped").health == []


def test_connection_test_outcomes_in_the_persons_words():
    ok = outcome_of(ConnectionCheck(True, "connected", "DingTalk accepted clientId dingdemo", "DingTalk", "dingdemo"))
    assert ok.ok and ok.headline == "ok: connected as dingdemo"
    refused = outcome_of(ConnectionCheck(False, "credentials", "credentials refused (HTTP 401 InvalidAuthentication)", "DingTalk"))
    assert (refused.headline, refused.detail) == ("credentials refused", "HTTP 401 InvalidAuthentication")
    assert outcome_of(ConnectionCheck(False, "network", "open connection: timed out", "DingTalk")).headline == "cannot reach DingTalk"
    assert outcome_of(ConnectionCheck(False, "network", "x")).headline == "cannot reach the service"  # a Type that names no service
    assert outcome_of(ConnectionCheck(False, "access token", "HTTP 500", "DingTalk")).headline == "access token failed"


def test_log_levels_are_a_minimum():
    entries = [LogEntry(i, 0.0, level, "bot", level.lower()) for i, level in enumerate(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], 1)]
    assert [line.level for line in at_least(entries, "WARNING")] == ["WARNING", "ERROR", "CRITICAL"]
    assert len(at_least(entries, "DEBUG")) == 5


def test_start_all_says_what_became_of_each():
    statuses = [status("running"), status("needs_setup"), status("error")]
    assert summary(statuses, "start") == "Started all: 1 of 3 running, 1 needs setup, 1 failed."
    assert summary(statuses, "stop") == "Stopped 3 services."


@pytest.fixture
def probe(app_dir, supervisor):
    """A service Type without a connection test, holding a real TCP connection, and an agent."""
    listener = socket.create_server(("127.0.0.1", 0))
    copy_fixture("probe", app_dir)
    write_element(app_dir, "probes.one", {"title": "Probe", "type": "probes.tcpProbeType", "backendBundleEntry": "."},
                  {"host": "127.0.0.1", "port": listener.getsockname()[1], "token": "probe-token-123"})
    copy_fixture("scripted_agent", app_dir)
    write_element(app_dir, "aiagents.scripted", instance("aiagents.scriptedType", at_start=False), {})
    supervisor.app.refresh()
    yield "probes.one"
    listener.close()


def test_run_buttons_answer_with_the_live_fragments_and_polls_only_when_something_changed(session, probe, supervisor):
    page = session.get(f"/instances/{probe}").get_data(as_text=True)
    assert re.search(r'/live\?seen="', page)  # a full page renders its chips apart from the poller's snapshot
    context = {"view": "instance", "names": probe}
    first = session.get("/live", query_string={**context, "seen": ""})
    assert first.status_code == 200  # so the first poll always brings it up to date
    seen = re.search(r'/live\?seen=(\w+)', first.get_data(as_text=True)).group(1)
    assert session.get("/live", query_string={**context, "seen": seen}).status_code == 204
    answer = session.post(f"/instances/{probe}/start", context).get_data(as_text=True)
    assert "hx-swap-oob=\"outerHTML:[data-chip='probes.one']\"" in answer and ">Connected</span>" in answer
    assert 'id="runtime-panel"' in answer and 'id="live-poller"' in answer and "probe-token-123" not in answer
    poll = session.get("/live", query_string={**context, "seen": seen})
    assert poll.status_code == 200 and "Connected" in poll.get_data(as_text=True)
    assert supervisor.status(probe).state == "running"
    home = session.post("/runtime/stop-all", {"view": "home", "names": probe}).get_data(as_text=True)
    assert 'id="row-runtime-probes-one"' in home and 'id="runtime-all"' in home and "Stopped 1 service" in home
    assert supervisor.status(probe).state == "stopped"


def test_actions_need_the_csrf_token_and_a_service(session, probe):
    assert session.client.post(f"/instances/{probe}/start").status_code == 400
    assert session.post("/instances/aiagents.scripted/start").status_code == 404
    assert session.post("/instances/nothing.here/stop").status_code == 404


def test_without_htmx_an_action_redirects_back_with_a_message(session, probe):
    response = session.post(f"/instances/{probe}/restart", htmx=False)
    assert response.status_code == 302 and response.headers["Location"] == f"/instances/{probe}"
    assert "Restarted Probe." in session.get(response.headers["Location"]).get_data(as_text=True)
    session.post(f"/instances/{probe}/stop", htmx=False)


def test_only_types_with_a_check_offer_test_connection(session, probe, app_dir, supervisor):
    assert "Test connection" not in session.get(f"/instances/{probe}").get_data(as_text=True)
    assert "Test connection" not in session.get(f"/instances/{probe}/logs/").get_data(as_text=True)
    write_element(app_dir, "imRobots.bot", instance(ROBOT_TYPE), {"agent": "aiagents.scripted", "clientId": "ding-x"})
    supervisor.app.refresh()
    assert "Test connection" in session.get("/instances/imRobots.bot").get_data(as_text=True)
    saved = session.post("/instances/imRobots.bot/connection-test/saved").get_data(as_text=True)
    assert "not tested" in saved and "fill in clientSecret" in saved


def test_the_log_tail_is_empty_until_there_is_something_new(session, probe, supervisor):
    page = session.get(f"/instances/{probe}/logs/").get_data(as_text=True)
    after = re.search(r"/logs/tail\?after=(\d+)", page).group(1)
    assert session.get(f"/instances/{probe}/logs/tail?after={after}").status_code == 204
    supervisor.start(probe)
    tail = session.get(f"/instances/{probe}/logs/tail?after={after}&level=INFO").get_data(as_text=True)
    assert "connected with token ***" in tail and "probe-token-123" not in tail and 'class="log__poller"' in tail
    assert "started in" in session.get(f"/instances/{probe}/logs/lines?level=INFO").get_data(as_text=True)
    assert "started in" not in session.get(f"/instances/{probe}/logs/lines?level=ERROR").get_data(as_text=True)
    supervisor.stop(probe)


def test_start_all_leaves_a_robot_that_is_retrying_a_refused_login_alone(sim, session, app_dir, supervisor):
    """Supervisor.start would load a second copy of a service in error that still runs; the page does not ask it to."""
    copy_fixture("scripted_agent", app_dir)
    write_element(app_dir, "aiagents.scripted", instance("aiagents.scriptedType", at_start=False), {})
    write_element(app_dir, "imRobots.refused", instance(ROBOT_TYPE), {"agent": "aiagents.scripted", "clientId": "dingdemo",
                  "clientSecret": "a-wrong-secret", "advanced": {"reconnectMinSeconds": 0.05, "reconnectMaxSeconds": 0.2}})
    supervisor.app.refresh()
    supervisor.start("imRobots.refused")
    wait_until(lambda: supervisor.status("imRobots.refused").state == "error")
    answer = session.post("/runtime/start-all", {"view": "home", "names": "imRobots.refused"}).get_data(as_text=True)
    assert "0 of 1 running, 1 failed" in answer
    starts = [e for e in supervisor.logs("imRobots.refused", limit=500) if e.message.startswith("starting:")]
    assert len(starts) == 1


def test_test_connection_says_a_clientid_is_in_use_by_another_running_robot_and_which(sim, session, app_dir, supervisor):
    copy_fixture("scripted_agent", app_dir)
    write_element(app_dir, "aiagents.scripted", instance("aiagents.scriptedType", at_start=False), {})
    config = {"agent": "aiagents.scripted", "clientId": "dingdemo", "clientSecret": "demo-secret",
              "advanced": {"reconnectMinSeconds": 0.05, "reconnectMaxSeconds": 0.2, "httpTimeoutSeconds": 2}}
    write_element(app_dir, "imRobots.first", instance(ROBOT_TYPE), config)
    write_element(app_dir, "imRobots.second", instance(ROBOT_TYPE), config)
    supervisor.app.refresh()
    free = session.post("/instances/imRobots.second/connection-test/saved").get_data(as_text=True)
    assert "ok: connected as dingdemo" in free
    supervisor.start("imRobots.first")
    wait_until(lambda: supervisor.status("imRobots.first").detail.get("connection") == "connected")
    taken = session.post("/instances/imRobots.second/connection-test/saved").get_data(as_text=True)
    assert "already in use" in taken
    assert "clientId dingdemo is connected by imRobots.first, which is running" in taken
    assert "ok: connected as dingdemo" in session.post("/instances/imRobots.first/connection-test/saved").get_data(as_text=True)
    supervisor.stop("imRobots.first")
    wait_until(lambda: "ok: connected" in session.post("/instances/imRobots.second/connection-test/saved").get_data(as_text=True))
