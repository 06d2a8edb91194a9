"""The Feishu calls a robot makes, built with the SDK's request models and sent over the robot's
own aiohttp session (the SDK's client is blocking `requests`): the long connection's endpoint,
the tenant token, bot info, replies and CardKit card entities.
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
from lark_oapi.api.cardkit.v1 import (Card, ContentCardElementRequest, ContentCardElementRequestBody, CreateCardRequest,
                                      CreateCardRequestBody, SettingsCardRequest, SettingsCardRequestBody, UpdateCardRequest,
                                      UpdateCardRequestBody)
from lark_oapi.api.im.v1 import ReplyMessageRequest, ReplyMessageRequestBody
from lark_oapi.core.json import JSON
from lark_oapi.core.model import BaseRequest
from lark_oapi.ws.const import GEN_ENDPOINT_URI, INTERNAL_ERROR, OK, SYSTEM_BUSY

from element_studio.contract import redactor

from ..Meta.token_cache import TokenCache
from .http import FeishuError, call_json

TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"
BOT_INFO_PATH = "/open-apis/bot/v3/info"
RETRIED_CODES = (OK, SYSTEM_BUSY, INTERNAL_ERROR)  # any other endpoint code: the credentials are wrong
TOKEN_REFUSED = (99991661, 99991663)  # the call's tenant token is invalid or expired: fetch another
TOKEN_MARGIN, TOKEN_SHARE = 600.0, 0.1  # a token (2 h) is renewed 10 minutes before it expires, a short-lived one at 9/10 of its life


class CredentialsRefused(FeishuError):
    """Feishu refused the App ID / App Secret (endpoint or token)."""

    def __str__(self) -> str:
        return f"app credentials refused (code {self.code}{': ' + self.msg if self.msg else ''})"


class FeishuApi:
    """One robot's calls to Feishu. Every OpenAPI call (the tenant token, bot info, replies, cards)
    is reported to `on_call` (the robot counts the app's calls this month); asking for the long
    connection's endpoint is not an OpenAPI call."""

    def __init__(self, session: aiohttp.ClientSession, app_id: str, app_secret: str, base: str, timeout: float = 10.0,
                 on_call: Callable[[], None] = lambda: None) -> None:
        self.session = session
        self.app_id = app_id
        self._secret = app_secret
        self.base = base
        self.timeout = timeout
        self.token = TokenCache(self._fetch_token, TOKEN_MARGIN, TOKEN_SHARE)
        self.on_call = on_call

    # -- long connection and token --------------------------------------------------------
    async def endpoint(self) -> tuple[str, dict[str, Any]]:
        """(socket URL, ClientConfig) for a new long connection; CredentialsRefused when Feishu says so."""
        body = json.dumps({"AppID": self.app_id, "AppSecret": self._secret})
        try:
            answer = await call_json(self.session, "long connection endpoint", "POST", self.base + GEN_ENDPOINT_URI, self.timeout,
                                     body=body, headers={"Content-Type": "application/json", "locale": "zh"})
        except FeishuError as exc:
            if exc.status == 200 and exc.code not in RETRIED_CODES:
                raise CredentialsRefused(exc.operation, exc.status, exc.code, exc.msg) from None
            raise
        data = answer.get("data") if isinstance(answer.get("data"), dict) else {}
        url = data.get("URL")
        if not isinstance(url, str) or not url:
            raise FeishuError("long connection endpoint", 200, -1, "no socket URL in the answer")
        redactor.add(url)
        config = data.get("ClientConfig") if isinstance(data.get("ClientConfig"), dict) else {}
        return url, config

    async def _fetch_token(self) -> tuple[str, float]:
        body = json.dumps({"app_id": self.app_id, "app_secret": self._secret})
        self.on_call()
        try:
            answer = await call_json(self.session, "tenant access token", "POST", self.base + TOKEN_PATH, self.timeout, body=body,
                                     headers={"Content-Type": "application/json; charset=utf-8"})
        except FeishuError as exc:
            if exc.status and exc.status < 500 and exc.code > 0:
                raise CredentialsRefused(exc.operation, exc.status, exc.code, exc.msg) from None
            raise
        token = answer.get("tenant_access_token")
        if not isinstance(token, str) or not token:
            raise FeishuError("tenant access token", 200, -1, "no token in the answer")
        redactor.add(token)
        return token, float(answer.get("expire") or 0)

    async def bot_open_id(self) -> str:
        """The bot's own open_id (a group message is for the robot when it @mentions this id)."""
        answer = await self._authorised("bot info", "GET", BOT_INFO_PATH)
        bot = answer.get("bot") if isinstance(answer.get("bot"), dict) else {}
        return str(bot.get("open_id") or "")

    # -- messages and cards ------------------------------------------------------------------
    async def reply(self, message_id: str, msg_type: str, content: dict[str, Any]) -> str:
        """Reply to a message; returns the reply's message_id (a uuid keeps a retried reply single)."""
        request = ReplyMessageRequest.builder().message_id(message_id).request_body(
            ReplyMessageRequestBody.builder().msg_type(msg_type).content(json.dumps(content, ensure_ascii=False))
            .uuid(str(uuid.uuid4())).build()).build()
        answer = await self._send("reply", request)
        return str((answer.get("data") or {}).get("message_id", ""))

    async def create_card(self, card: dict[str, Any]) -> str:
        """A new card entity; returns its card_id."""
        request = CreateCardRequest.builder().request_body(
            CreateCardRequestBody.builder().type("card_json").data(json.dumps(card, ensure_ascii=False)).build()).build()
        answer = await self._send("create card", request)
        card_id = (answer.get("data") or {}).get("card_id")
        if not card_id:
            raise FeishuError("create card", 200, -1, "no card_id in the answer")
        return str(card_id)

    async def stream_text(self, card_id: str, element_id: str, content: str, sequence: int) -> None:
        """The text of a streaming card's element (Feishu animates from the old text to the new)."""
        request = ContentCardElementRequest.builder().card_id(card_id).element_id(element_id).request_body(
            ContentCardElementRequestBody.builder().content(content).sequence(sequence).uuid(str(uuid.uuid4())).build()).build()
        await self._send("stream card text", request)

    async def card_settings(self, card_id: str, config: dict[str, Any], sequence: int) -> None:
        """Change a card's config (e.g. close streaming mode)."""
        request = SettingsCardRequest.builder().card_id(card_id).request_body(
            SettingsCardRequestBody.builder().settings(json.dumps({"config": config})).sequence(sequence)
            .uuid(str(uuid.uuid4())).build()).build()
        await self._send("card settings", request)

    async def update_card(self, card_id: str, card: dict[str, Any], sequence: int) -> None:
        """Replace a card entity's whole JSON."""
        request = UpdateCardRequest.builder().card_id(card_id).request_body(
            UpdateCardRequestBody.builder().card(Card.builder().type("card_json").data(json.dumps(card, ensure_ascii=False)).build())
            .sequence(sequence).uuid(str(uuid.uuid4())).build()).build()
        await self._send("update card", request)

    async def _send(self, operation: str, request: BaseRequest) -> dict[str, Any]:
        """An SDK request (method, path with its parameters, query, body) sent with the tenant token."""
        path = request.uri or ""
        for name, value in request.paths.items():
            path = path.replace(f":{name}", quote(value, safe=""))
        if request.queries:
            path += "?" + urlencode(request.queries)
        body = JSON.marshal(request.body) if request.body is not None else None
        return await self._authorised(operation, request.http_method.name, path, body)

    async def _authorised(self, operation: str, method: str, path: str, body: str | None = None) -> dict[str, Any]:
        """A call with the tenant token; a refused token is dropped and the call made once more."""
        for attempt in (1, 2):
            token = await self.token.get()
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json; charset=utf-8"}
            self.on_call()
            try:
                return await call_json(self.session, operation, method, self.base + path, self.timeout, body=body, headers=headers)
            except FeishuError as exc:
                if exc.code not in TOKEN_REFUSED or attempt == 2:
                    raise
                self.token.forget(token)
        raise AssertionError("unreachable")
