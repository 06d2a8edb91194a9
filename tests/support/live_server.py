"""The editor served by waitress on 127.0.0.1, as `element-studio serve` runs it, and stopped completely."""
from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import waitress

from element_studio.editor import create_app
from element_studio.runtime.supervisor import Supervisor


@contextmanager
def serving(supervisor: Supervisor, simulators: Mapping | None = None, **options: Any) -> Iterator[str]:
    """Yield the URL of the editor on a free port; afterwards its socket, connections and worker threads are gone.

    `options` go to create_app (an access token, allowed host names, Flask config).
    """
    flask_app = create_app(supervisor, **{"SECRET_GUARD": "raise", "simulators": simulators, **options})
    server = waitress.create_server(flask_app, host="127.0.0.1", port=0, threads=4, asyncore_loop_timeout=0.1)
    thread = threading.Thread(target=server.run, name="waitress-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        try:
            server.trigger.pull_trigger(lambda: close_all(server))  # on the server's own thread, between two polls
        except OSError:  # the trigger's pipe is gone already (seen rarely: "Bad file descriptor"): close from here
            close_all(server)
        thread.join(timeout=5)
        server.task_dispatcher.shutdown(timeout=5)


def close_all(server) -> None:
    """Close the keep-alive connections a browser left open, then the listening socket and the trigger:
    with nothing left to poll, the server's loop returns."""
    for channel in list(server._map.values()):
        if channel is not server and channel is not server.trigger:
            channel.close()
    server.close()
