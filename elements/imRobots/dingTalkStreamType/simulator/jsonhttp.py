"""JSON in and out of the simulator's HTTP endpoints, errors shaped like DingTalk's.

api.dingtalk.com answers a refused call with an HTTP error status and a body like
``{"requestid": "...", "code": "InvalidAuthentication", "message": "..."}``; clients log the
body, so the simulator answers the same way instead of aiohttp's plain-text errors.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from aiohttp import web

INVALID_AUTHENTICATION = "InvalidAuthentication"
INVALID_PARAMETER = "InvalidParameter"
PERMISSION_DENIED = "Forbidden.AccessDenied.AccessTokenPermissionDenied"
NOT_FOUND = "NotFound"
SERVICE_UNAVAILABLE = "ServiceUnavailable"


def openapi_error(status: int, code: str, message: str) -> web.Response:
    """A JSON error response shaped like api.dingtalk.com's."""
    return web.json_response(
        {"requestid": uuid.uuid4().hex.upper(), "code": code, "message": message},
        status=status,
    )


async def read_json_object(request: web.Request) -> dict[str, Any] | None:
    """The request body as a JSON object, or None; lenient about Content-Type like DingTalk."""
    try:
        body = json.loads(await request.text() or "null")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
