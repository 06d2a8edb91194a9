"""Session webhooks: the per-message URL a robot POSTs text/markdown replies to.

Every pushed robot message carries ``sessionWebhook`` (here
``http://127.0.0.1:PORT/robot/sendBySession?session=...``) and
``sessionWebhookExpiredTime`` (ms). Like oapi.dingtalk.com, the endpoint needs no token and
always answers HTTP 200; the outcome is in the body: ``{"errcode": 0, "errmsg": "ok"}``, or
``{"errcode": 300001, "errmsg": "session 不存在"}`` once the session expired (by time or by
:meth:`SessionWebhooks.expire`), or 40035 for a body that is not a valid message.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable

from aiohttp import web

from .recorder import Recorder, WebhookReply

PATH = "/robot/sendBySession"
ERR_SESSION_GONE = 300001
ERR_BAD_MESSAGE = 40035

# What each msgtype must carry (the part named after it, and the keys inside).
_REQUIRED = {
    "text": ("content",),
    "markdown": ("title", "text"),
    "actionCard": ("title", "text"),
    "link": ("title", "text", "messageUrl"),
    "feedCard": ("links",),
}


@dataclass
class Session:
    """The webhook session of one pushed message."""

    token: str
    msg_id: str
    client_id: str
    conversation_id: str
    expires_at_ms: int
    expired: bool = False

    def alive(self) -> bool:
        """True until expired by hand or by its expiry time."""
        return not self.expired and time.time() * 1000 < self.expires_at_ms


def validate_reply(body: Any) -> str:
    """Why a webhook body is not a valid robot message ("" when it is)."""
    if not isinstance(body, dict):
        return "body must be a JSON object"
    msgtype = body.get("msgtype")
    if msgtype not in _REQUIRED:
        return f"unsupported msgtype {msgtype!r}"
    part = body.get(msgtype)
    if not isinstance(part, dict) or any(k not in part for k in _REQUIRED[msgtype]):
        return f"{msgtype} needs {', '.join(_REQUIRED[msgtype])}"
    return ""


class SessionWebhooks:
    """Hands out session URLs and records what robots post to them."""

    def __init__(self, recorder: Recorder, *, base_url: Callable[[], str],
                 ttl: float = 5400.0) -> None:
        self._recorder = recorder
        self._base_url = base_url
        self.ttl = ttl
        self._sessions: dict[str, Session] = {}

    def add_routes(self, app: web.Application) -> None:
        """Mount the webhook endpoint."""
        app.router.add_post(PATH, self._handle)

    def open_session(self, msg_id: str, client_id: str, conversation_id: str) -> Session:
        """A fresh session for a message about to be pushed."""
        session = Session(token=uuid.uuid4().hex, msg_id=msg_id, client_id=client_id,
                          conversation_id=conversation_id,
                          expires_at_ms=int((time.time() + self.ttl) * 1000))
        self._sessions[session.token] = session
        return session

    def url(self, session: Session) -> str:
        """The sessionWebhook URL of a session."""
        return f"{self._base_url()}{PATH}?session={session.token}"

    def expire(self, msg_id: str) -> bool:
        """Expire the session of a message; False when the message has none."""
        found = False
        for session in self._sessions.values():
            if session.msg_id == msg_id or session.token == msg_id:
                session.expired = True
                found = True
        return found

    async def _handle(self, request: web.Request) -> web.Response:
        """Record a reply and answer like DingTalk (always HTTP 200)."""
        session = self._sessions.get(request.query.get("session", ""))
        raw = await request.text()
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = raw
        if session is None or not session.alive():
            errcode, errmsg = ERR_SESSION_GONE, "session 不存在"
        else:
            problem = validate_reply(body)
            errcode, errmsg = (ERR_BAD_MESSAGE, problem) if problem else (0, "ok")
        self._recorder.add_reply(WebhookReply(
            session=request.query.get("session", ""),
            msg_id=session.msg_id if session else "",
            client_id=session.client_id if session else "",
            conversation_id=session.conversation_id if session else "",
            body=body, errcode=errcode, at=time.time()))
        return web.json_response({"errcode": errcode, "errmsg": errmsg})
