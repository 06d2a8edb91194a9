"""DingTalk-style JSON error responses.

api.dingtalk.com answers a refused call with an HTTP error status and a body like
``{"requestid": "...", "code": "InvalidAuthentication", "message": "..."}``; clients log the
body, so the simulator answers the same way instead of aiohttp's plain-text errors.
"""

from __future__ import annotations

import uuid

from aiohttp import web

INVALID_AUTHENTICATION = "InvalidAuthentication"
INVALID_PARAMETER = "InvalidParameter"
PERMISSION_DENIED = "Forbidden.AccessDenied.AccessTokenPermissionDenied"
NOT_FOUND = "NotFound"


def openapi_error(status: int, code: str, message: str) -> web.Response:
    """A JSON error response shaped like api.dingtalk.com's."""
    return web.json_response(
        {"requestid": uuid.uuid4().hex.upper(), "code": code, "message": message},
        status=status,
    )
