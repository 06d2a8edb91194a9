"""`serve`: the editor on waitress (a production WSGI server) beside the supervisor's loop."""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping, Sequence

import waitress

from .contract import RunningSimulator
from .runtime.supervisor import Supervisor

log = logging.getLogger("element_studio.serve")
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
TOKEN_MIN_LENGTH = 16
TOKEN_MIN_DISTINCT = 6
TOKEN_RULE = (f"at least {TOKEN_MIN_LENGTH} characters with at least {TOKEN_MIN_DISTINCT} different ones, "
              'e.g. --token "$(openssl rand -hex 16)"')


class AccessTokenRequired(SystemExit):
    """Binding beyond this machine without a token would hand credentials to the network."""


class WeakAccessToken(SystemExit):
    """A short or repetitive token is guessed; login slows guesses down, it cannot stop them."""


def access_token_for(host: str, token: str | None) -> str | None:
    """The token the editor requires; refuses (before anything starts) to bind beyond 127.0.0.1
    without one, and any token that is too weak (wherever the editor binds)."""
    token = token or os.environ.get("ELEMENT_STUDIO_TOKEN")
    if host not in LOCAL_HOSTS and not token:
        raise AccessTokenRequired(f"refusing to bind {host}: set --token or ELEMENT_STUDIO_TOKEN so only people with the token can edit robots")
    if token and (len(token) < TOKEN_MIN_LENGTH or len(set(token)) < TOKEN_MIN_DISTINCT):
        raise WeakAccessToken(f"the access token (--token or ELEMENT_STUDIO_TOKEN) is too weak: use {TOKEN_RULE}")
    return token


def serve(supervisor: Supervisor, simulators: Mapping[str, RunningSimulator], host: str, port: int, token: str | None,
          wait: Callable[[], None], allowed_hosts: Sequence[str] = ()) -> int:
    """Serve the editor until `wait` returns (a signal); returns the exit code.

    `allowed_hosts`: names besides this machine's and `host` that requests may use (Host header).
    """
    from .editor import create_app

    token = access_token_for(host, token)
    flask_app = create_app(supervisor, access_token=token, simulators=simulators, bound_host=host,
                           allowed_hosts=allowed_hosts)
    server = waitress.create_server(flask_app, host=host, port=port, threads=8, channel_timeout=30)
    thread = threading.Thread(target=server.run, name="editor-http", daemon=True)
    thread.start()
    shown_host = f"[{host}]" if ":" in host else host
    print(f"Element Studio editor: http://{shown_host}:{server.effective_port}/", flush=True)
    try:
        wait()
    finally:
        server.close()
    return 0
