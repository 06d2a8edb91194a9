""""Test connection" for the editor: does Feishu accept these app credentials?

It asks for a long-connection endpoint and a tenant token, the two things a robot needs, but
opens no WebSocket: a running robot with the same App ID keeps its one connection. An App ID
that another running robot holds is reported as in use, naming that robot: Feishu pushes each
event to one of the app's connections, so two robots would each get only some of them.
"""
from __future__ import annotations

from typing import Any

from element_studio.contract import ConnectionCheck

from ..Meta.claims import holder_of
from .robot import load_sdk_parts
from .settings import base_url

SERVICE = "Feishu"


async def check_connection(config: dict[str, Any], offline_endpoint: str | None = None, full_name: str = "") -> ConnectionCheck:
    """A ConnectionCheck: ok, or the step that failed ("settings", "in use", "network", "credentials", ...)."""
    app_id, secret = config.get("appId") or "", config.get("appSecret") or ""
    if not app_id or not secret:
        return ConnectionCheck(False, "settings", "fill in the App ID and the App Secret first", SERVICE)
    holder = holder_of(app_id)
    if holder and holder != full_name:
        return ConnectionCheck(False, "in use", f"App ID {app_id} is connected by {holder}, which is running: Feishu would split "
                               f"the events between the two robots. Stop {holder} or use another App ID.", SERVICE, app_id)
    timeout = float((config.get("advanced") or {}).get("httpTimeoutSeconds", 10))
    openapi, http = await load_sdk_parts("openapi"), await load_sdk_parts("http")
    async with http.make_session(timeout) as session:
        api = openapi.FeishuApi(session, app_id, secret, base_url(str(config.get("domain") or "feishu"), offline_endpoint), timeout)
        for step, call in (("long connection", api.endpoint), ("tenant token", api.token.get)):
            try:
                await call()
            except openapi.CredentialsRefused as exc:
                return ConnectionCheck(False, "credentials", str(exc), SERVICE, app_id)
            except http.FeishuError as exc:
                return ConnectionCheck(False, "network" if exc.status == 0 else step, str(exc), SERVICE, app_id)
    return ConnectionCheck(True, "connected", f"Feishu at {api.base} accepted App ID {app_id}: the robot can connect and send cards",
                           SERVICE, app_id)
