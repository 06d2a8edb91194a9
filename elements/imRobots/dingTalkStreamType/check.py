""""Test connection" for the editor: are these credentials (and this proxy) accepted by DingTalk?

It asks for a stream ticket and an access token, the two things a robot needs, but opens
no WebSocket: a running robot with the same clientId keeps its one connection. A clientId that
another running robot holds is reported as in use, naming that robot: two robots sharing one
clientId would each get only some of the messages.
"""
from __future__ import annotations

from typing import Any

from element_studio.contract import ConnectionCheck

from .callbacks import ROBOT_TOPICS
from ..Meta.claims import holder_of
from .http import ApiError, make_session
from .local_ip import local_ip
from .openapi import CredentialsRefused, DingTalkApi

SERVICE = "DingTalk"


async def check_connection(config: dict[str, Any], offline_endpoint: str | None = None, full_name: str = "") -> ConnectionCheck:
    """A ConnectionCheck: ok, or the step that failed ("settings", "in use", "network", "credentials", ...)."""
    client_id, secret = config.get("clientId") or "", config.get("clientSecret") or ""
    if not client_id or not secret:
        return ConnectionCheck(False, "settings", "fill in the Client ID and the Client Secret first", SERVICE)
    holder = holder_of(client_id)
    if holder and holder != full_name:
        return ConnectionCheck(False, "in use", f"clientId {client_id} is connected by {holder}, which is running: "
                               f"DingTalk would split the messages between the two robots. Stop {holder} or use another clientId.",
                               SERVICE, client_id)
    timeout = float((config.get("advanced") or {}).get("httpTimeoutSeconds", 10))
    async with make_session(config.get("proxy") or "", timeout) as session:
        api = DingTalkApi(session, client_id, secret, timeout, offline_endpoint)
        for step, call in (("stream connection", lambda: api.open_stream(ROBOT_TOPICS, local_ip())), ("access token", api.token.get)):
            try:
                await call()
            except CredentialsRefused as exc:
                return ConnectionCheck(False, "credentials", str(exc), SERVICE, client_id)
            except ApiError as exc:
                return ConnectionCheck(False, "network" if exc.status == 0 else step, str(exc), SERVICE, client_id)
    return ConnectionCheck(True, "connected", f"DingTalk at {api.base} accepted clientId {client_id}: the robot can connect and send cards",
                           SERVICE, client_id)
