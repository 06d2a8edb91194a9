""""Test connection" for the editor: does Feishu accept these app credentials?

It asks for a long-connection endpoint and a tenant token, the two things a robot needs (the
family's AppCheck says the rest): Feishu pushes each event to one of the app's connections, so
an App ID another running robot holds is reported as in use.
"""
from __future__ import annotations

from typing import Any

from element_studio.contract import ConnectionCheck

from ..Meta.app_check import AppCheck, http_timeout
from .robot import load_sdk_parts
from .settings import base_url

FEISHU = AppCheck("Feishu", "App ID", "the App ID and the App Secret", "events")


async def check_connection(config: dict[str, Any], offline_endpoint: str | None = None, full_name: str = "") -> ConnectionCheck:
    """A ConnectionCheck: ok, or the step that failed ("settings", "in use", "network", "credentials", ...)."""
    app_id, secret = config.get("appId") or "", config.get("appSecret") or ""
    if (not_yet := FEISHU.before_calls(app_id, secret, full_name)) is not None:
        return not_yet
    timeout = http_timeout(config)
    openapi, http = await load_sdk_parts("openapi"), await load_sdk_parts("http")
    async with http.make_session(str(config.get("proxy") or ""), timeout) as session:
        api = openapi.FeishuApi(session, app_id, secret, base_url(str(config.get("domain") or "feishu"), offline_endpoint), timeout)
        return await FEISHU.calls(app_id, api.base, (("long connection", api.endpoint), ("tenant token", api.token.get)),
                                  openapi.CredentialsRefused, http.FeishuError)
