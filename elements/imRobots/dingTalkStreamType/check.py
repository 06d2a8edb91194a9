""""Test connection" for the editor: are these credentials (and this proxy) accepted by DingTalk?

It asks for a stream ticket and an access token, the two things a robot needs (the family's
AppCheck says the rest): DingTalk spreads an app's messages over its connections, so a clientId
another running robot holds is reported as in use.
"""
from __future__ import annotations

from typing import Any

from element_studio.contract import ConnectionCheck

from ..Meta.app_check import AppCheck, http_timeout
from .callbacks import ROBOT_TOPICS
from .http import ApiError, make_session
from .local_ip import local_ip
from .openapi import CredentialsRefused, DingTalkApi

DINGTALK = AppCheck("DingTalk", "clientId", "the Client ID and the Client Secret", "messages")


async def check_connection(config: dict[str, Any], offline_endpoint: str | None = None, full_name: str = "") -> ConnectionCheck:
    """A ConnectionCheck: ok, or the step that failed ("settings", "in use", "network", "credentials", ...)."""
    client_id, secret = config.get("clientId") or "", config.get("clientSecret") or ""
    if (not_yet := DINGTALK.before_calls(client_id, secret, full_name)) is not None:
        return not_yet
    timeout = http_timeout(config)
    async with make_session(config.get("proxy") or "", timeout) as session:
        api = DingTalkApi(session, client_id, secret, timeout, offline_endpoint)
        return await DINGTALK.calls(client_id, api.base, (("stream connection", lambda: api.open_stream(ROBOT_TOPICS, local_ip())),
                                                          ("access token", api.token.get)), CredentialsRefused, ApiError)
