"""Element files changed on disk while the runtime runs (a person, a deploy's git pull): the
affected running instance restarts with them; a broken change leaves it running and says why."""
from __future__ import annotations

import json

from element_studio.runtime.file_watch import FileWatcher
from tests.support.elements import copy_fixture, instance, write_element
from tests.support.tcp_server import RecordingTcpServer
from tests.support.waiting import wait_until


def test_a_changed_config_restarts_the_instance_and_a_broken_one_leaves_it_running(app_dir, supervisor):
    copy_fixture("probe", app_dir)
    with RecordingTcpServer() as first, RecordingTcpServer() as second:
        folder = write_element(app_dir, "probes.watched", instance("probes.tcpProbeType"), {"port": first.port, "token": "t"})
        write_element(app_dir, "probes.other", instance("probes.tcpProbeType"), {"port": first.port, "token": "u"})
        supervisor.app.refresh()
        supervisor.start("probes.watched")
        supervisor.start("probes.other")
        wait_until(lambda: len(first.open_connections()) == 2)
        watcher = FileWatcher(supervisor, debounce_ms=50).start()
        try:
            (folder / "config.json").write_text(json.dumps({"port": second.port, "token": "t"}))  # as a deploy would
            wait_until(lambda: len(second.open_connections()) == 1, timeout=10, message="the changed instance never reconnected")
            wait_until(lambda: len(first.open_connections()) == 1)  # the old connection closed; the other probe kept its own
            assert supervisor.status("probes.other").state == "running"

            (folder / "config.json").write_text('{"port": ')  # a broken change
            wait_until(lambda: any("cannot be used, so it keeps running as it was" in e.message
                                   for e in supervisor.logs("probes.watched")), timeout=10)
            assert supervisor.status("probes.watched").state == "running" and len(second.open_connections()) == 1
        finally:
            watcher.stop()
