"""The HTTP session a robot's Type talks to its platform with (the long connection's WebSocket too)."""
from __future__ import annotations

import aiohttp


def make_session(proxy: str, timeout: float, user_agent: str) -> aiohttp.ClientSession:
    """A session through `proxy` (socks5/http URL) or direct, connecting within `timeout` s.

    There is no session-wide total timeout (it would end the long-lived WebSocket): every
    call passes its own. trust_env is off: the robot's proxy is its config, not whatever
    HTTPS_PROXY the process happens to have.
    """
    if proxy:
        from aiohttp_socks import ProxyConnector

        connector: aiohttp.BaseConnector = ProxyConnector.from_url(proxy, limit=100)
    else:
        connector = aiohttp.TCPConnector(limit=100, ttl_dns_cache=300)
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=timeout),
        headers={"User-Agent": user_agent},
        trust_env=False,
    )
