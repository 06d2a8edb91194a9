"""The cluster page lists every replica on the app's database with its heartbeat and what it runs,
and names the database without its password."""
from __future__ import annotations

from element_studio.editor import create_app
from element_studio.runtime.app import App
from element_studio.runtime.supervisor import Supervisor
from tests.support.elements import copy_fixture, instance, write_element
from tests.support.tcp_server import RecordingTcpServer
from tests.support.waiting import wait_until


def with_password(url: str | None) -> str | None:
    return url and url.replace("postgres@", "postgres:cluster-page-secret@")  # the test server trusts any password


def test_the_cluster_page_shows_each_replica_what_it_runs_and_no_password(app_dir, database):
    copy_fixture("probe", app_dir)
    url = with_password(database)
    with RecordingTcpServer() as server:
        write_element(app_dir, "probes.solo", instance("probes.tcpProbeType"), {"port": server.port, "token": "t"})
        first, second = Supervisor(App(app_dir, database_url=url)), Supervisor(App(app_dir, database_url=url))
        try:
            first.start_at_boot(), second.start_at_boot()
            wait_until(lambda: [bool(r.running) for r in first.cluster.replicas()] == [True, False])  # both have beaten
            page = create_app(first, TESTING=True, SECRET_GUARD="raise").test_client().get("/cluster").get_data(as_text=True)
        finally:
            second.shutdown(5), first.shutdown(5)
    assert page.count('data-replica="') == 2
    assert f'data-replica="{first.cluster.replica_id}"' in page and "this editor" in page
    assert "<code>probes.solo</code> (running)" in page
    assert "cluster-page-secret" not in page and ("PostgreSQL" in page) == bool(database)
