"""The command line as a person uses it: real processes, real files, real signals."""
from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.elements import copy_fixture, instance, write_element
from tests.support.tcp_server import RecordingTcpServer
from tests.support.waiting import wait_until

CLI = str(Path(sys.executable).parent / "element-studio")


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("command", ["check", "run", "serve", "new", "sim"])
def test_every_subcommand_has_help(command):
    result = cli(command, "--help")
    assert result.returncode == 0
    assert "usage: element-studio" in result.stdout


def test_check_passes_on_the_sample_app():
    result = cli("check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok: ")


def test_check_names_a_broken_instance_and_an_unset_variable(app_dir):
    copy_fixture("probe", app_dir)
    write_element(app_dir, "probes.good", instance("probes.tcpProbeType"), {"port": 9, "token": "t"})
    write_element(app_dir, "probes.broken", {"title": "no type"}, {"port": 9, "token": "t"})
    write_element(app_dir, "probes.unset", instance("probes.tcpProbeType"), {"port": 9, "token": "{{PROBE_TOKEN_UNSET}}"})
    result = cli("check", "--app", str(app_dir))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "probes.broken: e.json: 'type' is a required property" in lines
    assert any(line.startswith("probes.unset: config.json field token: variable PROBE_TOKEN_UNSET is not set") for line in lines)
    assert len(lines) == 2


def test_new_writes_an_instance_from_the_schema_defaults(app_dir):
    copy_fixture("probe", app_dir)
    result = cli("new", "probes.tcpProbeType", "myProbe", "--set", "port=8080", "--app", str(app_dir))
    assert result.returncode == 0, result.stderr
    assert "needs setup: fill in token" in result.stdout
    folder = app_dir / "probes" / "myProbe"
    assert json.loads((folder / "config.json").read_text()) == {"host": "127.0.0.1", "failOnStart": False, "port": 8080}
    assert json.loads((folder / "e.json").read_text())["type"] == "probes.tcpProbeType"
    assert (folder / "__init__.py").exists()
    again = cli("new", "probes.tcpProbeType", "myProbe", "--app", str(app_dir))
    assert again.returncode == 1 and "already exists" in again.stderr
    bad = cli("new", "probes.tcpProbeType", "my-probe", "--app", str(app_dir))
    assert bad.returncode == 1 and "'my-probe' is not an identifier" in bad.stderr


def test_run_keeps_valid_instances_running_beside_broken_ones_and_stops_on_sigterm(app_dir):
    copy_fixture("probe", app_dir)
    with RecordingTcpServer() as server:
        write_element(app_dir, "probes.good", instance("probes.tcpProbeType"), {"port": server.port, "token": "t"})
        write_element(app_dir, "probes.broken", '{"title": "oops",', {"port": server.port, "token": "t"})
        write_element(app_dir, "probes.failing", instance("probes.tcpProbeType"), {"port": server.port, "token": "t", "failOnStart": True})
        process = subprocess.Popen([CLI, "run", "--app", str(app_dir)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            output = ""
            while "probes.failing: error" not in output or "probes.good: running" not in output:
                line = process.stdout.readline()
                assert line, output
                output += line
            wait_until(lambda: len(server.open_connections()) == 1)
            process.send_signal(signal.SIGTERM)
            rest, _ = process.communicate(timeout=10)  # it stops well within its 5 s shutdown timeout
            output += rest
        finally:
            process.kill()
            process.wait()
        assert process.returncode == 0, output
        wait_until(lambda: server.open_connections() == [], message="the robot's connection outlived `run`")
    assert "probes.broken: e.json: invalid JSON at line 1" in output
    assert "probes.good: running" in output
    assert "probes.failing: error (probe refused to start (failOnStart is set))" in output


def test_serve_refuses_to_bind_beyond_this_machine_without_a_token_before_starting_anything(app_dir):
    env = {k: v for k, v in os.environ.items() if k != "ELEMENT_STUDIO_TOKEN"}
    result = subprocess.run([CLI, "serve", "--host", "0.0.0.0", "--app", str(app_dir)], capture_output=True, text=True, timeout=30, env=env)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "refusing to bind 0.0.0.0: set --token or ELEMENT_STUDIO_TOKEN" in result.stderr


@pytest.mark.parametrize(("args", "env_token"), [(["--token", "a"], None), (["--token", "let-me-in"], None),
                                                 ([], "aaaaaaaaaaaaaaaaaaaaaaaa")])
def test_serve_refuses_a_weak_access_token_naming_the_rule(app_dir, args, env_token):
    env = {k: v for k, v in os.environ.items() if k != "ELEMENT_STUDIO_TOKEN"}
    if env_token:
        env["ELEMENT_STUDIO_TOKEN"] = env_token
    result = subprocess.run([CLI, "serve", "--host", "0.0.0.0", *args, "--app", str(app_dir)], capture_output=True,
                            text=True, timeout=30, env=env)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "the access token (--token or ELEMENT_STUDIO_TOKEN) is too weak: use at least 16 characters with at least 6 different ones" in result.stderr


def test_serve_answers_to_an_allowed_host_name_and_refuses_any_other(app_dir):
    process = subprocess.Popen([CLI, "serve", "--port", "0", "--simulators", "off", "--allowed-host", "studio.example.lan",
                                "--app", str(app_dir)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        output = ""
        while "Element Studio editor: http://" not in output:
            line = process.stdout.readline()
            assert line, output
            output += line
        port = int(output.rsplit(":", 1)[1].strip(" /\n"))

        def status(host: str) -> int:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/", headers={"Host": host})
            code = connection.getresponse().status
            connection.close()
            return code

        assert status(f"studio.example.lan:{port}") == 200
        assert status(f"127.0.0.1:{port}") == 200
        assert status(f"rebind.attacker.example:{port}") == 421
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_run_on_an_unreachable_database_says_which_without_its_password(app_dir):
    result = cli("run", "--app", str(app_dir), "--database", "postgresql://studio:topsecret-pw@127.0.0.1:9/app", timeout=60)
    assert result.returncode == 1
    assert "cannot open the database (PostgreSQL postgresql://studio:***@127.0.0.1:9/app)" in result.stderr
    assert "topsecret-pw" not in result.stdout + result.stderr
    refused = cli("serve", "--app", str(app_dir), "--database", "mysql://studio:topsecret-pw@db/app")
    assert refused.returncode == 1 and "mysql:// is not supported" in refused.stderr and "topsecret-pw" not in refused.stderr
