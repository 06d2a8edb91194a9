"""The api.dingtalk.com endpoints a robot calls: access token, interactive cards, files.

* ``POST /v1.0/oauth2/accessToken`` ``{appKey, appSecret}`` -> ``{accessToken, expireIn}``.
  Tokens can be revoked (``Tokens.revoke``) or run out (``expire_in``); a call with such a
  token gets 401 ``InvalidAuthentication``, which is how a robot's "refresh once and retry"
  gets tested.
* ``POST /v1.0/im/v1.0/robot/interactiveCards/send`` (header ``x-acs-dingtalk-access-token``)
  ``{cardTemplateId, robotCode, cardData: "<json>", cardBizId, openConversationId |
  singleChatReceiver: "{\\"userId\\": ...}", sendOptions}`` -> ``{processQueryKey}``; 403
  when the app's card permission is switched off (so a robot's markdown fallback is tested);
  sends can be made slow (``slow_card_sends``), as a loaded DingTalk's are.
* ``PUT /v1.0/im/robots/interactiveCards`` ``{cardBizId, cardData}`` -> ``{processQueryKey}``
  (the real response body, per DingTalk's generated SDKs); the next N updates can be made to
  answer 503 without being applied (``fail_card_updates``), a passing fault a robot retries.
* the card instance endpoints of AI cards (create and deliver, update, streaming): see
  card_instances.py.
* ``POST /v1.0/robot/messageFiles/download`` ``{robotCode, downloadCode}`` -> ``{downloadUrl}``
  pointing at ``/robot/files/{downloadCode}`` here, which serves the file's bytes (a picture
  is a real PNG image unless a test sends other bytes).
* Any other ``/v1.0/...`` path answers 404 JSON, so a missing endpoint is obvious in logs.

Every card version is recorded with the message it most likely answers: the oldest
message of that conversation without a card or webhook reply yet, else the newest one. The
API carries no message id, so this is a guess; it is right whenever a robot answers the
messages of one conversation in order.
"""

from __future__ import annotations

import asyncio
import json
import struct
import time
import uuid
import zlib
from dataclasses import dataclass
from typing import Any, Callable

from aiohttp import web

from .app_registry import AppRegistry, SimulatedApp
from .card_instances import CardInstanceHandlers
from .jsonhttp import (INVALID_AUTHENTICATION, INVALID_PARAMETER, NOT_FOUND, PERMISSION_DENIED,
                       SERVICE_UNAVAILABLE, openapi_error, read_json_object)
from .recorder import ApiCall, CardRecord, CardVersion, Recorder

TOKEN_PATH = "/v1.0/oauth2/accessToken"
CARD_SEND_PATH = "/v1.0/im/v1.0/robot/interactiveCards/send"
CARD_UPDATE_PATH = "/v1.0/im/robots/interactiveCards"
FILE_DOWNLOAD_PATH = "/v1.0/robot/messageFiles/download"
FILE_PATH = "/robot/files/{code}"
TOKEN_HEADER = "x-acs-dingtalk-access-token"


def png(width: int, height: int) -> bytes:
    """A real RGB PNG (a diagonal gradient): what a "picture" message downloads to by default."""
    rows = b"".join(b"\x00" + bytes(channel for x in range(width)
                                   for channel in (255 * x // width, 255 * y // height, 160))
                    for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


SAMPLE_PNG = png(64, 48)


@dataclass
class Token:
    """An issued access token."""

    value: str
    client_id: str
    expires_at: float  # wall clock seconds
    revoked: bool = False

    def valid(self) -> bool:
        """True until revoked or past its expiry."""
        return not self.revoked and time.time() < self.expires_at


class Tokens:
    """Issues and checks access tokens."""

    def __init__(self, expire_in: int = 7200) -> None:
        self.expire_in = expire_in
        self._tokens: dict[str, Token] = {}

    def issue(self, client_id: str) -> Token:
        """A new token for an app, valid for ``expire_in`` seconds."""
        token = Token(uuid.uuid4().hex, client_id, time.time() + self.expire_in)
        self._tokens[token.value] = token
        return token

    def check(self, value: str | None) -> Token | None:
        """The token if it is known and still valid, else None."""
        token = self._tokens.get(value or "")
        return token if token is not None and token.valid() else None

    def revoke(self, client_id: str | None = None) -> int:
        """Invalidate every current token (of one app); returns how many."""
        count = 0
        for token in self._tokens.values():
            if not token.revoked and (client_id is None or token.client_id == client_id):
                token.revoked = True
                count += 1
        return count


class OpenApi(CardInstanceHandlers):
    """The HTTP handlers of the OpenAPI endpoints."""

    def __init__(self, apps: AppRegistry, recorder: Recorder, tokens: Tokens, *,
                 base_url: Callable[[], str]) -> None:
        self._apps = apps
        self._recorder = recorder
        self.tokens = tokens
        self._base_url = base_url
        self.files: dict[str, bytes] = {}
        self._undelivered = {}

    def add_routes(self, app: web.Application) -> None:
        """Mount the endpoints, then a JSON 404 for every other /v1.0 path."""
        app.router.add_post(TOKEN_PATH, self._access_token)
        app.router.add_post(CARD_SEND_PATH, self._card_send)
        app.router.add_put(CARD_UPDATE_PATH, self._card_update)
        self.add_card_instance_routes(app)
        app.router.add_post(FILE_DOWNLOAD_PATH, self._file_download)
        app.router.add_get(FILE_PATH, self._file)
        app.router.add_route("*", "/v1.0/{tail:.*}", self._not_implemented)

    # -- helpers --------------------------------------------------------------------------

    def _answer(self, request: web.Request, client_id: str, status: int = 200,
                body: dict[str, Any] | None = None, code: str = "",
                message: str = "") -> web.Response:
        """Record the call, then answer with ``body`` or a DingTalk error."""
        self._recorder.add_api_call(ApiCall(request.method, request.path, status, client_id,
                                            time.time(), code))
        if status >= 400:
            return openapi_error(status, code, message)
        return web.json_response(body or {})

    def _authorize(self, request: web.Request) -> Token | web.Response:
        """The caller's token, or the 401 answer when missing, unknown, revoked or expired."""
        token = self.tokens.check(request.headers.get(TOKEN_HEADER))
        if token is None:
            missing = not request.headers.get(TOKEN_HEADER)
            return self._answer(request, "", 401, code=INVALID_AUTHENTICATION,
                                message="access token is missing" if missing
                                else "不合法的access_token (invalid, revoked or expired)")
        return token

    def _permission(self, request: web.Request, app: SimulatedApp) -> web.Response | None:
        """The 403 answer when the app may not use interactive cards, else None."""
        if app.card_permission:
            return None
        return self._answer(request, app.client_id, 403, code=PERMISSION_DENIED,
                            message="没有调用该接口的权限 (no permission: the simulated app's "
                                    "interactive card permission is off)")

    @staticmethod
    def _card_data(body: dict[str, Any]) -> dict[str, Any] | None:
        """cardData decoded from its JSON string, or None when it is not a JSON object."""
        raw = body.get("cardData")
        if not isinstance(raw, str):
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def _guess_reply_to(self, client_id: str, conversation_id: str) -> str:
        """The msgId a new card most likely answers (see the module docstring)."""
        messages = self._recorder.messages(client_id, conversation_id)
        if not messages:
            return ""
        answered = self._recorder.answered_msg_ids()
        waiting = [m for m in messages if m.msg_id not in answered]
        return (waiting[0] if waiting else messages[-1]).msg_id

    # -- handlers -------------------------------------------------------------------------

    async def _access_token(self, request: web.Request) -> web.Response:
        """Exchange appKey/appSecret for a token."""
        body = await read_json_object(request) or {}
        app = self._apps.authenticate(body.get("appKey"), body.get("appSecret"))
        if app is None:
            return self._answer(request, str(body.get("appKey", "")), 401,
                                code=INVALID_AUTHENTICATION, message="appKey or appSecret is invalid")
        token = self.tokens.issue(app.client_id)
        return self._answer(request, app.client_id,
                            body={"accessToken": token.value, "expireIn": self.tokens.expire_in})

    async def _card_send(self, request: web.Request) -> web.Response:
        """Record a new card (or a re-send of a known cardBizId as a new version)."""
        token = self._authorize(request)
        if isinstance(token, web.Response):
            return token
        app = self._apps.require(token.client_id)
        body = await read_json_object(request)
        if body is None:
            return self._answer(request, app.client_id, 400, code=INVALID_PARAMETER,
                                message="body must be a JSON object")
        if body.get("robotCode") != app.client_id:
            return self._answer(request, app.client_id, 400, code=INVALID_PARAMETER,
                                message="robotCode does not belong to the access token's app")
        denied = self._permission(request, app)
        if denied is not None:
            return denied
        if app.card_send_seconds:
            await asyncio.sleep(app.card_send_seconds)
        card_data = self._card_data(body)
        card_biz_id = body.get("cardBizId")
        if not body.get("cardTemplateId") or not isinstance(card_biz_id, str) or not card_biz_id:
            return self._answer(request, app.client_id, 400, code=INVALID_PARAMETER,
                                message="cardTemplateId and cardBizId are required")
        if card_data is None:
            return self._answer(request, app.client_id, 400, code=INVALID_PARAMETER,
                                message="cardData must be a JSON string of an object")
        target = self._receiver(app, body)
        if target is None:
            return self._answer(request, app.client_id, 400, code=INVALID_PARAMETER,
                                message="openConversationId or singleChatReceiver "
                                        "('{\"userId\": ...}') is required")
        conversation_type, conversation_id, receiver = target
        version = CardVersion(card_data, time.time(), "send")
        if not self._recorder.add_card_version(card_biz_id, version):
            self._recorder.add_card(CardRecord(
                card_biz_id=card_biz_id, client_id=app.client_id,
                card_template_id=str(body["cardTemplateId"]), conversation_id=conversation_id,
                conversation_type=conversation_type, receiver_user_id=receiver,
                reply_to_msg_id=self._guess_reply_to(app.client_id, conversation_id),
                send_options=body.get("sendOptions") or {}, versions=[version]))
        return self._answer(request, app.client_id, body={"processQueryKey": uuid.uuid4().hex})

    @staticmethod
    def _receiver(app: SimulatedApp, body: dict[str, Any]) -> tuple[str, str, str] | None:
        """(conversationType, conversationId, receiver staff id) of a card send, or None."""
        if isinstance(body.get("openConversationId"), str) and body["openConversationId"]:
            return "2", body["openConversationId"], ""
        raw = body.get("singleChatReceiver")
        try:
            receiver = json.loads(raw) if isinstance(raw, str) else None
        except ValueError:
            receiver = None
        if isinstance(receiver, dict) and isinstance(receiver.get("userId"), str):
            user_id = receiver["userId"]
            return "1", app.single_conversation_id(user_id), user_id
        return None

    async def _card_update(self, request: web.Request) -> web.Response:
        """Record a new version of a card this app sent."""
        token = self._authorize(request)
        if isinstance(token, web.Response):
            return token
        app = self._apps.require(token.client_id)
        denied = self._permission(request, app)
        if denied is not None:
            return denied
        if app.failing_card_updates > 0:
            app.failing_card_updates -= 1
            return self._answer(request, app.client_id, 503, code=SERVICE_UNAVAILABLE,
                                message="the simulated service is unavailable (a passing fault)")
        body = await read_json_object(request) or {}
        card_biz_id = body.get("cardBizId")
        card = self._recorder.card(card_biz_id) if isinstance(card_biz_id, str) else None
        if card is None or card.client_id != app.client_id or card.callback_type is not None:
            return self._answer(request, app.client_id, 400, code=INVALID_PARAMETER,
                                message=f"cardBizId {card_biz_id!r} was not sent by this robot")
        card_data = self._card_data(body)
        if card_data is None:
            return self._answer(request, app.client_id, 400, code=INVALID_PARAMETER,
                                message="cardData must be a JSON string of an object")
        self._recorder.add_card_version(card.card_biz_id, CardVersion(card_data, time.time(), "update"))
        return self._answer(request, app.client_id, body={"processQueryKey": uuid.uuid4().hex})

    async def _file_download(self, request: web.Request) -> web.Response:
        """Turn a message's downloadCode into a (local) download URL."""
        token = self._authorize(request)
        if isinstance(token, web.Response):
            return token
        body = await read_json_object(request) or {}
        if body.get("robotCode") != token.client_id:
            return self._answer(request, token.client_id, 400, code=INVALID_PARAMETER,
                                message="robotCode does not belong to the access token's app")
        code = body.get("downloadCode")
        if not isinstance(code, str) or code not in self.files:
            return self._answer(request, token.client_id, 400, code=INVALID_PARAMETER,
                                message="unknown downloadCode")
        return self._answer(request, token.client_id,
                            body={"downloadUrl": f"{self._base_url()}/robot/files/{code}"})

    async def _file(self, request: web.Request) -> web.Response:
        """Serve the bytes behind a downloadCode."""
        data = self.files.get(request.match_info["code"])
        if data is None:
            raise web.HTTPNotFound()
        return web.Response(body=data, content_type="application/octet-stream")

    async def _not_implemented(self, request: web.Request) -> web.Response:
        """Say clearly that the simulator lacks this endpoint."""
        return self._answer(request, "", 404, code=NOT_FOUND,
                            message=f"the DingTalk simulator does not implement "
                                    f"{request.method} {request.path}")
