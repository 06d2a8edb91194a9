"""The diagnostics bundle holds what a bug report needs and no secret."""
from __future__ import annotations

import json

from element_studio.runtime.diagnostics import diagnostics
from element_studio.runtime.logs import instance_logger
from element_studio.runtime.redaction import redactor
from tests.support.elements import copy_fixture, instance, write_element
from tests.support.tcp_server import RecordingTcpServer


def test_bundle_has_config_versions_status_and_logs_with_every_secret_replaced(app_dir, monkeypatch, supervisor):
    copy_fixture("probe", app_dir)
    monkeypatch.setenv("PROBE_DIAG_TOKEN", "diag-token-from-env")
    with RecordingTcpServer() as server:
        write_element(app_dir, "probes.literal", instance("probes.tcpProbeType"), {"port": server.port, "token": "literal-secret-123"})
        write_element(app_dir, "probes.viaenv", instance("probes.tcpProbeType"), {"port": server.port, "token": "{{PROBE_DIAG_TOKEN}}"})
        supervisor.start_all()
        redactor.add("runtime-ticket-abcdef")
        instance_logger("probes.literal").info("opened stream with ticket runtime-ticket-abcdef")
        literal = diagnostics(supervisor.app, supervisor, "probes.literal")
        via_env = diagnostics(supervisor.app, supervisor, "probes.viaenv")
        supervisor.stop_all()
    for text in (literal, via_env):
        assert "literal-secret-123" not in text and "diag-token-from-env" not in text and "runtime-ticket-abcdef" not in text
    bundle = json.loads(literal)
    assert bundle["config"]["token"] == "***"
    assert bundle["eJson"]["type"] == "probes.tcpProbeType"
    assert bundle["status"]["state"] == "running"
    assert bundle["versions"]["dingtalk-stream"].startswith("0.24")
    assert any(entry["message"] == "opened stream with ticket ***" for entry in bundle["logs"])
    assert json.loads(via_env)["config"]["token"] == "***"
