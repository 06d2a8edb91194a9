"""What a boot made is left out of the collector's full passes while its supervisor runs (a full
pass over 1,000 robots stopped the loop for 0.4 s in a burst of questions) and young objects are
collected less often, both handed back when the supervisor shuts down."""
from __future__ import annotations

import gc

from tests.support.elements import copy_fixture, instance, write_element
from tests.support.tcp_server import RecordingTcpServer
from tests.support.waiting import wait_until


def test_a_booted_supervisor_freezes_what_it_made_and_thaws_it_at_shutdown(app_dir, supervisor):
    copy_fixture("probe", app_dir)
    with RecordingTcpServer() as server:
        write_element(app_dir, "probes.one", instance("probes.tcpProbeType"), {"port": server.port, "token": "probe-secret-token"})
        gc.unfreeze()
        default = gc.get_threshold()
        supervisor.start_at_boot()
        wait_until(lambda: len(server.open_connections()) == 1)
        assert gc.get_freeze_count() > 1000  # the app, its elements, the service and the loop's objects
        assert gc.get_threshold()[0] > default[0]  # young objects collected less often
        assert gc.isenabled()  # paused during the boot only
        supervisor.shutdown(timeout=5)
        assert gc.get_freeze_count() == 0 and gc.get_threshold() == default
