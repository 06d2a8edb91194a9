"""Replicas on one database (both engines): commands from any replica apply on every replica
within 2 s; an instance whose platform needs one connection runs on one replica and moves to
another, with a higher fencing generation, when its owner is killed."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from element_studio.runtime.app import App
from element_studio.runtime.cluster_tables import instance_leases
from element_studio.runtime.supervisor import Supervisor
from tests.support.elements import copy_fixture, instance, write_element
from tests.support.tcp_server import RecordingTcpServer
from tests.support.waiting import wait_until

CLI = str(Path(sys.executable).parent / "element-studio")
SHARED = "probes.sharedProbeType"


@pytest.fixture
def server() -> Iterator[RecordingTcpServer]:
    with RecordingTcpServer() as tcp:
        yield tcp


@pytest.fixture
def probe_app(app_dir: Path, server: RecordingTcpServer) -> Path:
    """The probe family with two Types: the single-owner probe and a copy whose platform lets every replica connect."""
    copy_fixture("probe", app_dir)
    shared = app_dir / "probes" / "sharedProbeType"
    shutil.copytree(app_dir / "probes" / "tcpProbeType", shared)
    with (shared / "__init__.py").open("a") as init:
        init.write("\nfrom element_studio.contract import ClusterMode\n\ncluster_mode = ClusterMode.EVERY_REPLICA\n")
    return app_dir


def test_a_stop_or_start_on_one_replica_applies_on_every_replica_within_2_seconds(probe_app, server, database):
    write_element(probe_app, "probes.shared", instance(SHARED), {"port": server.port, "token": "t"})
    first, second = Supervisor(App(probe_app, database_url=database)), Supervisor(App(probe_app, database_url=database))
    try:
        first.start_at_boot(), second.start_at_boot()
        wait_until(lambda: len(server.open_connections()) == 2, timeout=5)  # every replica connects
        assert first.stop("probes.shared").state == "stopped"
        wait_until(lambda: second.status("probes.shared").state == "stopped", timeout=2)
        wait_until(lambda: not server.open_connections(), timeout=2)
        second.start("probes.shared")
        wait_until(lambda: first.status("probes.shared").state == "running", timeout=2)
        assert [r.this for r in first.cluster.replicas()] == [True, False]
    finally:
        second.shutdown(5), first.shutdown(5)


def test_a_replica_joining_later_follows_the_last_command(probe_app, server, database):
    write_element(probe_app, "probes.shared", instance(SHARED), {"port": server.port, "token": "t"})
    first = Supervisor(App(probe_app, database_url=database))
    try:
        first.start_at_boot()
        first.stop("probes.shared")
        late = Supervisor(App(probe_app, database_url=database))
        try:
            assert {s.full_name: s.state for s in late.start_at_boot()}["probes.shared"] == "stopped"  # not its e.json's afterAppInit
        finally:
            late.shutdown(5)
    finally:
        first.shutdown(5)


def test_a_single_owner_instance_runs_on_one_replica_and_the_owners_clean_exit_hands_it_over_at_once(probe_app, server, database):
    write_element(probe_app, "probes.solo", instance("probes.tcpProbeType"), {"port": server.port, "token": "t"})
    first, second = Supervisor(App(probe_app, database_url=database)), Supervisor(App(probe_app, database_url=database))
    try:
        first.start_at_boot(), second.start_at_boot()
        wait_until(lambda: len(server.open_connections()) == 1, timeout=5)
        assert first.status("probes.solo").state == "running"
        assert second.status("probes.solo").message == "standby: another replica runs it"
        first.shutdown(5)
        wait_until(lambda: second.status("probes.solo").state == "running", timeout=3)
        wait_until(lambda: len(server.open_connections()) == 1, timeout=2)  # the old owner's socket closes, the new one's stays
    finally:
        second.shutdown(5), first.shutdown(5)


def start_replica(app_dir: Path, database: str | None) -> subprocess.Popen:
    command = [CLI, "run", "--app", str(app_dir), "--simulators", "off"] + (["--database", database] if database else [])
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONUNBUFFERED": "1"})


def test_a_killed_owner_is_replaced_within_seconds_with_a_higher_fencing_generation(probe_app, server, database):
    write_element(probe_app, "probes.solo", instance("probes.tcpProbeType"), {"port": server.port, "token": "t"})
    processes = [start_replica(probe_app, database) for _ in range(2)]
    storage = App(probe_app, database_url=database).storage
    try:
        wait_until(lambda: len(server.open_connections()) == 1, timeout=20)

        def lease():
            with storage.connect() as conn:
                return conn.execute(select(instance_leases).where(instance_leases.c.instance == "probes.solo")).first()

        owner = lease()
        pid = int(owner.owner.split("-")[-2])
        victim = next(p for p in processes if p.pid == pid)
        killed_at = time.monotonic()
        victim.send_signal(signal.SIGKILL)
        victim.wait(5)
        wait_until(lambda: lease().owner != owner.owner and len(server.open_connections()) == 1, timeout=15)
        assert time.monotonic() - killed_at < 10  # expiry (5 s) + one heartbeat + the start
        assert lease().generation == owner.generation + 1
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(10)
        storage.close()
