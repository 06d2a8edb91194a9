"""HTTP to Feishu: one aiohttp session per robot (direct or through its proxy), JSON calls with a timeout each, and errors that
say what Feishu answered (its `code` and `msg`) without URLs, tokens or secrets.

Feishu answers `{code, msg, ...}` as JSON whatever the HTTP status; code 0 is success.
"""
from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp

from ..Meta import http_session
from ..Meta.network_errors import NETWORK_ERRORS, network_reason

USER_AGENT = "ElementStudio/0.1 (feishuType; aiohttp)"


class FeishuError(Exception):
    """Feishu refused a call (a non-zero code) or could not be reached (status 0)."""

    def __init__(self, operation: str, status: int, code: int = 0, msg: str = "") -> None:
        self.operation, self.status, self.code, self.msg = operation, status, code, msg
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.status == 0:
            return f"{self.operation}: {self.msg or 'unreachable'}"
        return f"{self.operation}: HTTP {self.status}, code {self.code}" + (f": {self.msg}" if self.msg else "")


def make_session(proxy: str, timeout: float) -> aiohttp.ClientSession:
    """The robot's session to Feishu (the family's, with this Type's User-Agent)."""
    return http_session.make_session(proxy, timeout, USER_AGENT)


async def call_json(session: aiohttp.ClientSession, operation: str, method: str, url: str, timeout: float, *,
                    body: str | None = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """The JSON answer of a call with code 0; FeishuError for anything else."""
    try:
        async with session.request(method, url, data=body.encode() if body is not None else None, headers=headers or {},
                                   timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            text, status = await response.text(), response.status
    except asyncio.TimeoutError:
        raise FeishuError(operation, 0, msg=f"timed out after {timeout:g} s") from None
    except NETWORK_ERRORS as exc:
        raise FeishuError(operation, 0, msg=network_reason(exc)) from None
    try:
        answer = json.loads(text) if text else {}
    except ValueError:
        answer = None
    if not isinstance(answer, dict):  # a proxy's HTML error page
        raise FeishuError(operation, status, -1, "the answer is not JSON")
    code = answer.get("code", 0)
    if code != 0 or status >= 400:
        raise FeishuError(operation, status, code if isinstance(code, int) else -1, str(answer.get("msg", ""))[:200])
    return answer
