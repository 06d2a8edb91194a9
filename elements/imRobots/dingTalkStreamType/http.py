"""HTTP to DingTalk: aiohttp sessions (direct or through a robot's proxy) shared by the robots
of one event loop, JSON calls with a timeout each, and errors that say what DingTalk answered
without leaking URLs.
"""
from __future__ import annotations

import asyncio
import json
import os
import weakref
from dataclasses import dataclass
from typing import Any

import aiohttp

from ..Meta import network_errors

DEFAULT_ENDPOINT = "https://api.dingtalk.com"
USER_AGENT = "ElementStudio/0.1 (dingTalkStreamType; aiohttp)"


def _proxy_errors() -> tuple[type[BaseException], ...]:
    """The proxy's failures: aiohttp-socks raises its own classes (they are not OSErrors)."""
    import aiohttp_socks
    import python_socks

    return (aiohttp_socks.ProxyError, aiohttp_socks.ProxyConnectionError, aiohttp_socks.ProxyTimeoutError,
            python_socks.ProxyError, python_socks.ProxyConnectionError, python_socks.ProxyTimeoutError)


# What a call to DingTalk can fail with below HTTP: the network, or the robot's proxy.
PROXY_ERRORS = _proxy_errors()
NETWORK_ERRORS: tuple[type[BaseException], ...] = (*network_errors.NETWORK_ERRORS, *PROXY_ERRORS)


def openapi_base(offline_endpoint: str | None = None) -> str:
    """DingTalk's OpenAPI base URL: the offline simulator's when the app runs offline, else the
    SDK's own `DINGTALK_OPENAPI_ENDPOINT` setting (an emulator of your own), else DingTalk."""
    return (offline_endpoint or os.environ.get("DINGTALK_OPENAPI_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


class ApiError(Exception):
    """DingTalk refused a call (status >= 400) or could not be reached (status 0)."""

    def __init__(self, operation: str, status: int, code: str = "", message: str = "") -> None:
        self.operation = operation
        self.status = status
        self.code = code
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.status == 0:
            return f"{self.operation}: {self.message or 'unreachable'}"
        detail = ": ".join(p for p in (self.code, self.message) if p)
        return f"{self.operation}: HTTP {self.status}" + (f" {detail}" if detail else "")


def make_session(proxy: str, timeout: float, limit: int = 100) -> aiohttp.ClientSession:
    """A session through `proxy` (socks5/http URL) or direct, connecting within `timeout` s,
    with at most `limit` connections open at once (0: no limit).

    There is no session-wide total timeout (it would end the long-lived WebSocket): every
    call passes its own. trust_env is off: the robot's proxy is its config, not whatever
    HTTPS_PROXY the process happens to have.
    """
    if proxy:
        from aiohttp_socks import ProxyConnector

        connector: aiohttp.BaseConnector = ProxyConnector.from_url(proxy, limit=limit)
    else:
        connector = aiohttp.TCPConnector(limit=limit, ttl_dns_cache=300)
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=timeout),
        headers={"User-Agent": USER_AGENT},
        trust_env=False,
    )


@dataclass
class _Shared:
    session: aiohttp.ClientSession
    users: int = 0


# event loop -> (proxy, connect timeout) -> the session its robots share
_shared: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[str, float], _Shared]] = weakref.WeakKeyDictionary()


def shared_session(proxy: str, timeout: float) -> aiohttp.ClientSession:
    """The running loop's session for `proxy` and `timeout`, shared by every robot using them;
    `release_session` it when the robot stops.

    A session of its own per robot opened a new connection for every ticket and token: a
    thousand robots starting made two thousand TCP (and with DingTalk TLS) handshakes. Shared,
    the calls reuse kept-alive connections. No connection limit: each robot's WebSocket holds
    one for as long as it is connected."""
    sessions = _shared.setdefault(asyncio.get_running_loop(), {})
    shared = sessions.get((proxy, timeout))
    if shared is None or shared.session.closed:
        shared = sessions[(proxy, timeout)] = _Shared(make_session(proxy, timeout, limit=0))
    shared.users += 1
    return shared.session


async def release_session(session: aiohttp.ClientSession) -> None:
    """A robot no longer uses `session`: the last of its users closes it."""
    sessions = _shared.get(asyncio.get_running_loop(), {})
    for key, shared in list(sessions.items()):
        if shared.session is session:
            shared.users -= 1
            if shared.users > 0:
                return
            del sessions[key]
            break
    await session.close()


async def call_json(
    session: aiohttp.ClientSession,
    operation: str,
    method: str,
    url: str,
    body: dict[str, Any],
    timeout: float,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Send `body` as JSON and return the JSON answer within `timeout` s; ApiError for any failure."""
    try:
        async with session.request(method, url, json=body, headers=headers or {}, timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            text = await response.text()
            status = response.status
    except asyncio.TimeoutError:
        raise ApiError(operation, 0, message="timed out") from None
    except NETWORK_ERRORS as exc:
        raise ApiError(operation, 0, message=network_reason(exc)) from None
    answer = _json_or_none(text)
    if status >= 400:
        code = str(answer.get("code", "")) if isinstance(answer, dict) else ""
        message = str(answer.get("message", "")) if isinstance(answer, dict) else text[:200]
        raise ApiError(operation, status, code, message)
    return answer if isinstance(answer, dict) else {}


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text) if text else {}
    except ValueError:
        return None


def network_reason(exc: BaseException) -> str:
    """The family's one-line reason, and what the robot's proxy said when it was the proxy."""
    if isinstance(exc, PROXY_ERRORS):
        return f"proxy: {str(exc).split(' [', 1)[0]}"  # "[Errno 111] Couldn't connect to proxy 127.0.0.1:1"
    return network_errors.network_reason(exc)


async def fetch_bytes(session: aiohttp.ClientSession, operation: str, url: str, timeout: float, limit: int) -> bytes:
    """GET `url` within `timeout` s; ApiError when refused, unreachable or over `limit` bytes."""
    try:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            if response.status >= 400:
                raise ApiError(operation, response.status, message="the file could not be fetched")
            if (response.content_length or 0) > limit:
                raise ApiError(operation, response.status, "TooLarge", f"larger than {limit // 1_000_000} MB")
            body = await response.content.read(limit + 1)
            if len(body) > limit:
                raise ApiError(operation, response.status, "TooLarge", f"larger than {limit // 1_000_000} MB")
            return body
    except asyncio.TimeoutError:
        raise ApiError(operation, 0, message="timed out") from None
    except NETWORK_ERRORS as exc:
        raise ApiError(operation, 0, message=network_reason(exc)) from None
