"""The supervisor runs every service on one loop thread, and stop really stops."""
from __future__ import annotations

import threading
import time

import pytest

from tests.support.elements import copy_fixture, instance, write_element
from tests.support.tcp_server import RecordingTcpServer
from tests.support.waiting import wait_until

PROBE = "probes.tcpProbeType"
GATE_LOADER = """
import asyncio
import os


class Gate:
    def __init__(self, config):
        self.config = config

    async def start(self, context):
        while not os.path.exists(self.config["opensWhen"]):
            await asyncio.sleep(0.02)

    async def stop(self):
        pass


class Loader:
    def __init__(self, nodes):
        self.nodes = nodes

    def load(self):
        return Gate(self.nodes[0].config)
"""


@pytest.fixture
def server():
    with RecordingTcpServer() as tcp:
        yield tcp


@pytest.fixture
def probe_app(app_dir, server):
    copy_fixture("probe", app_dir)
    return app_dir


def add_probe(app_dir, name, port, token="probe-secret-token", **extra):
    write_element(app_dir, f"probes.{name}", instance(PROBE, title=name.title()), {"port": port, "token": token, **extra})


def test_start_connects_and_stop_closes_the_connection(probe_app, server, supervisor):
    add_probe(probe_app, "one", server.port)
    status = supervisor.start("probes.one")
    assert status.state == "running"
    assert supervisor.app.getElement("probes.one") is supervisor.app.getElement("probes.one")
    assert status.detail == {"connection": "connected", "greetingsSent": 1}
    wait_until(lambda: len(server.open_connections()) == 1)
    wait_until(lambda: server.connections[0].first_line == "hello probe-secret-token")

    running = supervisor.app.getElement("probes.one")
    assert running.writer is not None  # the started service itself, not an unstarted copy
    assert supervisor.stop("probes.one").state == "stopped"
    wait_until(lambda: server.connections[0].closed_at is not None, message="stop left the connection open")


def test_a_failing_service_ends_in_error_and_the_others_keep_running(probe_app, server, supervisor):
    add_probe(probe_app, "good", server.port)
    add_probe(probe_app, "bad", server.port, failOnStart=True)
    add_probe(probe_app, "unset", server.port, token="{{PROBE_TOKEN_NEVER_SET}}")
    states = {s.full_name: (s.state, s.message) for s in supervisor.start_all()}
    assert states["probes.good"] == ("running", "")
    assert states["probes.bad"] == ("error", "probe refused to start (failOnStart is set)")
    assert states["probes.unset"][0] == "error"
    assert "variable PROBE_TOKEN_NEVER_SET is not set" in states["probes.unset"][1]
    wait_until(lambda: len(server.open_connections()) == 1)


def test_needs_setup_instances_are_listed_but_not_started(probe_app, server, supervisor):
    add_probe(probe_app, "fresh", server.port, token="")
    [status] = supervisor.start_all()
    assert (status.state, status.missing) == ("needs_setup", ("token",))
    assert supervisor.statuses()[0].state == "needs_setup"
    assert server.connections == []


def test_one_loop_thread_for_many_services(probe_app, server, supervisor):
    for number in range(20):
        add_probe(probe_app, f"p{number}", server.port)
    statuses = supervisor.start_all()
    assert {s.state for s in statuses} == {"running"}
    wait_until(lambda: len(server.open_connections()) == 20)
    ours = [t.name for t in threading.enumerate() if t.name != "tcp-server" and t is not threading.main_thread()]
    assert ours.count("element-studio-loop") == 1
    assert all(name == "element-studio-loop" or name.startswith("element-studio-worker") for name in ours)
    assert len(ours) <= 1 + 8  # the loop and its bounded worker pool, whatever the number of services


def test_status_changes_are_announced_and_logs_are_kept_redacted(probe_app, server, supervisor):
    add_probe(probe_app, "one", server.port)
    seen = []
    unsubscribe = supervisor.subscribe(lambda status: seen.append((status.full_name, status.state)))
    supervisor.start("probes.one")
    supervisor.stop("probes.one")
    unsubscribe()
    states = [state for name, state in seen]
    assert states[0] == "starting" and "running" in states and states[-2:] == ["stopping", "stopped"]
    lines = [entry.message for entry in supervisor.logs("probes.one")]
    assert "connected with token ***" in lines
    assert not any("probe-secret-token" in line for line in lines)
    assert [entry.level for entry in supervisor.logs("probes.one")][-1] == "INFO"


def test_restart_applies_a_changed_config(probe_app, server, supervisor):
    add_probe(probe_app, "one", server.port, token="first-token")
    supervisor.start("probes.one")
    add_probe(probe_app, "one", server.port, token="second-token")
    assert supervisor.restart("probes.one").state == "running"
    wait_until(lambda: len(server.connections) == 2 and server.connections[0].closed_at is not None)
    wait_until(lambda: server.connections[1].first_line == "hello second-token")


def test_shutdown_stops_everything_within_five_seconds(probe_app, server, supervisor):
    for number in range(5):
        add_probe(probe_app, f"p{number}", server.port)
    supervisor.start_all()
    started = time.monotonic()
    supervisor.shutdown(timeout=5.0)
    assert time.monotonic() - started < 7.0  # about its timeout, however the services behave
    wait_until(lambda: server.open_connections() == [], message="a connection outlived the shutdown")


def test_start_leaves_a_service_that_reports_error_while_retrying_alone(probe_app, server, supervisor):
    add_probe(probe_app, "one", server.port)
    supervisor.start("probes.one")
    service = supervisor.app.getElement("probes.one")
    supervisor.call(_report_error(service))
    status = supervisor.status("probes.one")
    assert (status.state, status.alive) == ("error", True)
    assert supervisor.start("probes.one").state == "error"
    assert supervisor.app.getElement("probes.one") is service  # no second copy was loaded
    assert len(server.connections) == 1
    assert supervisor.stop("probes.one").alive is False


async def _report_error(service):
    service.context.update(state="error", message="credentials refused (HTTP 401)")


def test_at_boot_a_slow_or_failing_start_holds_up_none_of_the_others(probe_app, server, supervisor, tmp_path):
    """Services start side by side: one still starting (for up to START_TIMEOUT) and one failing
    leave the others running, and the boot lists every status in name order."""
    write_element(probe_app, "probes.gateType", {"title": "Gate", "type": "probes.Meta", "service": True, "backendBundleEntry": "."},
                  None, {"__init__.py": "from .loader import Loader\n", "loader.py": GATE_LOADER})
    opens = tmp_path / "open"
    write_element(probe_app, "probes.a_slow", instance("probes.gateType", title="Slow"), {"opensWhen": str(opens)})
    add_probe(probe_app, "b_failing", server.port, failOnStart=True)
    quick = [f"probes.c{number:02d}" for number in range(12)]
    for name in quick:
        add_probe(probe_app, name.split(".")[1], server.port)
    supervisor.app.refresh()
    booted = []
    booting = threading.Thread(target=lambda: booted.extend(supervisor.start_at_boot()), name="test-boot")
    booting.start()
    try:
        wait_until(lambda: all(supervisor.status(name).state == "running" for name in quick),
                   message=lambda: f"quick services waited: {[(s.full_name, s.state) for s in supervisor.statuses()]}")
        wait_until(lambda: len(server.open_connections()) == len(quick))
        assert supervisor.status("probes.a_slow").state == "starting"
        assert supervisor.status("probes.b_failing").state == "error"
        assert booting.is_alive()  # the boot itself waits for every start to end
    finally:
        opens.touch()
        booting.join(10)
    assert [s.full_name for s in booted] == ["probes.a_slow", "probes.b_failing", *quick]
    assert [s.state for s in booted] == ["running", "error", *["running"] * len(quick)]
