"""HTTP to DingTalk: one aiohttp session per robot (direct or through its proxy), JSON calls
with a timeout each, and errors that say what DingTalk answered without leaking URLs.
"""
from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import aiohttp

from ..Meta import http_session
from ..Meta.network_errors import NETWORK_ERRORS, network_reason

DEFAULT_ENDPOINT = "https://api.dingtalk.com"
USER_AGENT = "ElementStudio/0.1 (dingTalkStreamType; aiohttp)"


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


def make_session(proxy: str, timeout: float) -> aiohttp.ClientSession:
    """The robot's session to DingTalk (the family's, with this Type's User-Agent)."""
    return http_session.make_session(proxy, timeout, USER_AGENT)


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
