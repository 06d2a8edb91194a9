"""The DingTalk calls a robot makes, all async with timeouts (the SDK's are blocking `requests`):
open a stream connection, get an access token, send and update interactive cards, reply
through a message's session webhook.
"""
from __future__ import annotations

import json
import platform
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from dingtalk_stream import Credential
from dingtalk_stream.version import VERSION_STRING

from element_studio.contract import redactor

from ..Meta.token_cache import TokenCache
from .http import ApiError, call_json, openapi_base
from .ids import fresh_id
from .rate_limit import of_app

OPEN_PATH = "/v1.0/gateway/connections/open"
TOKEN_PATH = "/v1.0/oauth2/accessToken"
CARD_SEND_PATH = "/v1.0/im/v1.0/robot/interactiveCards/send"
CARD_UPDATE_PATH = "/v1.0/im/robots/interactiveCards"
CARD_CREATE_DELIVER_PATH = "/v1.0/card/instances/createAndDeliver"
CARD_INSTANCE_PATH = "/v1.0/card/instances"
CARD_STREAMING_PATH = "/v1.0/card/streaming"
FILE_DOWNLOAD_PATH = "/v1.0/robot/messageFiles/download"
TOKEN_HEADER = "x-acs-dingtalk-access-token"
CARD_TEMPLATE = "StandardCard"
TOKEN_MARGIN, TOKEN_SHARE = 300.0, 0.2  # a token is renewed 5 minutes before DingTalk's expiry, a short-lived one at 4/5 of its life
# the APIs whose calls the app's rate limiter counts apart (DingTalk limits each API on its own)
SEND_CARD, UPDATE_CARD = "send card", "update card"
CREATE_CARD, UPDATE_INSTANCE, STREAM_CARD = "create and deliver card", "update card instance", "stream card"

# a callable body is built when the call's turn comes, told whether the call waited for it
Body = dict[str, Any] | Callable[[bool], dict[str, Any]]


class CredentialsRefused(ApiError):
    """DingTalk said the clientId/clientSecret are wrong (HTTP 401/403 on open or token)."""

    def __str__(self) -> str:
        detail = ": ".join(p for p in (self.code, self.message) if p)
        return f"credentials refused (HTTP {self.status}{' ' + detail if detail else ''})"


class WebhookError(Exception):
    """A session webhook answered with an errcode (it always answers HTTP 200)."""


class DingTalkApi:
    """One robot's calls to DingTalk over its own aiohttp session.

    Every OpenAPI call (access token, cards) waits its turn at the app's rate limiter and is
    reported to `on_call` (the robot counts it against the month's budget); opening the stream
    and session-webhook replies are not OpenAPI calls.
    """

    def __init__(self, session: aiohttp.ClientSession, client_id: str, client_secret: str, timeout: float = 10.0,
                 offline_endpoint: str | None = None, on_call: Callable[[], None] = lambda: None,
                 calls_per_second: int | None = None) -> None:
        self.session = session
        self.base = openapi_base(offline_endpoint)
        self.timeout = timeout
        self._credential = Credential(client_id, client_secret)
        self.client_id = client_id
        self.token = TokenCache(self._fetch_token, TOKEN_MARGIN, TOKEN_SHARE)
        self.rate_limit = of_app(client_id, calls_per_second)
        self.on_call = on_call

    # the stream gateway ------------------------------------------------------------------
    async def open_stream(self, topics: list[str], local_ip: str) -> tuple[str, str]:
        """(endpoint, ticket) for a new WebSocket; CredentialsRefused when DingTalk says so."""
        body = {
            "clientId": self._credential.client_id,
            "clientSecret": self._credential.client_secret,
            "subscriptions": [{"type": "CALLBACK", "topic": topic} for topic in topics],
            "ua": f"dingtalk-sdk-python/v{VERSION_STRING} element-studio Python/{platform.python_version()}",
            "localIp": local_ip,
        }
        answer = await self._post_credentials("open connection", OPEN_PATH, body)
        endpoint, ticket = answer.get("endpoint"), answer.get("ticket")
        if not isinstance(endpoint, str) or not isinstance(ticket, str) or not endpoint or not ticket:
            raise ApiError("open connection", 200, "BadAnswer", "no endpoint or ticket in the answer")
        redactor.add(ticket)
        return endpoint, ticket

    async def _post_credentials(self, operation: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST the app's credentials; a 401/403 becomes CredentialsRefused (status: error)."""
        try:
            return await call_json(self.session, operation, "POST", self.base + path, body, self.timeout)
        except ApiError as exc:
            if exc.status in (401, 403):
                raise CredentialsRefused(exc.operation, exc.status, exc.code, exc.message) from None
            raise

    # access token ------------------------------------------------------------------------
    async def _fetch_token(self) -> tuple[str, float]:
        body = {"appKey": self._credential.client_id, "appSecret": self._credential.client_secret}
        await self._turn("get access token")
        answer = await self._post_credentials("get access token", TOKEN_PATH, body)
        token = answer.get("accessToken")
        if not isinstance(token, str) or not token:
            raise ApiError("get access token", 200, "BadAnswer", "no accessToken in the answer")
        redactor.add(token)
        return token, float(answer.get("expireIn") or 7200)

    async def _with_token(self, operation: str, method: str, path: str, body: Body, reserved: bool = False,
                          hold: Callable[[], Awaitable[object]] | None = None) -> dict[str, Any]:
        """An OpenAPI call with the access token, once its turn at the app's rate limit comes (a
        callable body is built then; `hold` may hold a call that waited for its turn); on 401
        the token is refreshed once and retried. `reserved`: the caller took the call's turn
        already (`reserve_now`)."""
        for attempt in (1, 2):
            token = await self.token.get()
            waited = False if reserved and attempt == 1 else await self._turn(operation, hold)
            payload = body(waited) if callable(body) else body
            try:
                return await call_json(self.session, operation, method, self.base + path, payload, self.timeout, {TOKEN_HEADER: token})
            except ApiError as exc:
                if exc.status != 401 or attempt == 2:
                    raise
                self.token.forget(token)
        raise AssertionError("unreachable")

    def reserve_now(self, *operations: str) -> bool:
        """Take a turn for a call of each of `operations` if the app's rate limit has room for
        them all right now, leaving the room owed final calls need (and count them); False
        when a streaming update should be skipped instead of waiting."""
        if not self.rate_limit.reserve_now(*operations):
            return False
        for _ in operations:
            self.on_call()
        return True

    async def _turn(self, operation: str, hold: Callable[[], Awaitable[object]] | None = None) -> bool:
        """Wait for the app's rate limit, then count the call; whether it had to wait."""
        waited = await self.rate_limit.turn(operation, hold)
        self.on_call()
        return waited

    # interactive cards -------------------------------------------------------------------
    @staticmethod
    def new_card_biz_id(msg_id: str) -> str:
        """A fresh, unguessable cardBizId for the card answering `msg_id`."""
        return fresh_id(msg_id)

    async def send_card(
        self,
        card_biz_id: str,
        card_data: Callable[[bool], dict[str, Any]],
        *,
        conversation_id: str,
        in_group: bool,
        receiver_staff_id: str,
        at_users: list[dict[str, str]] | None = None,
        hold: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        """Send a new interactive card into a group (openConversationId) or a single chat;
        `card_data` is asked for the card when the call's turn comes (told whether it waited),
        after `hold` when it waited."""
        def body(waited: bool) -> dict[str, Any]:
            sent: dict[str, Any] = {
                "cardTemplateId": CARD_TEMPLATE,
                "robotCode": self.client_id,
                "cardData": json.dumps(card_data(waited), ensure_ascii=False),
                "cardBizId": card_biz_id,
                "sendOptions": {"atAll": False},
            }
            if at_users:
                sent["sendOptions"]["atUserListJson"] = json.dumps(at_users, ensure_ascii=False)
            if in_group:
                sent["openConversationId"] = conversation_id
            else:
                sent["singleChatReceiver"] = json.dumps({"userId": receiver_staff_id})
            return sent
        await self._with_token(SEND_CARD, "POST", CARD_SEND_PATH, body, hold=hold)

    async def update_card(self, card_biz_id: str, card_data: dict[str, Any], reserved: bool = False) -> None:
        """Replace the data of a card this robot sent (`reserved`: its turn was taken with `reserve_now`)."""
        body = {"cardBizId": card_biz_id, "cardData": json.dumps(card_data, ensure_ascii=False)}
        await self._with_token(UPDATE_CARD, "PUT", CARD_UPDATE_PATH, body, reserved)

    # card instances (AI cards) ---------------------------------------------------------
    async def create_and_deliver_card(
        self,
        out_track_id: str,
        template_id: str,
        params: Callable[[bool], dict[str, str]],
        *,
        conversation_id: str,
        in_group: bool,
        receiver_staff_id: str,
        at_users: dict[str, str] | None = None,
        hold: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        """Create a card instance and deliver it into a group or a single chat in one call;
        its button presses come back over the stream (callbackType STREAM). `params` is asked
        for the card's parameters when the call's turn comes (told whether it waited), after
        `hold` when it waited."""
        body: dict[str, Any] = {
            "cardTemplateId": template_id,
            "outTrackId": out_track_id,
            "callbackType": "STREAM",
            "imGroupOpenSpaceModel": {"supportForward": True},
            "imRobotOpenSpaceModel": {"supportForward": True},
            "userIdType": 1,
        }
        if in_group:
            body["openSpaceId"] = f"dtv1.card//IM_GROUP.{conversation_id}"
            body["imGroupOpenDeliverModel"] = {"robotCode": self.client_id, **({"atUserIds": at_users} if at_users else {})}
        else:
            body["openSpaceId"] = f"dtv1.card//IM_ROBOT.{receiver_staff_id}"
            body["imRobotOpenDeliverModel"] = {"spaceType": "IM_ROBOT", "robotCode": self.client_id}
        await self._with_token(CREATE_CARD, "POST", CARD_CREATE_DELIVER_PATH, lambda waited: {**body, "cardData": {"cardParamMap": params(waited)}},
                               hold=hold)

    async def put_card_params(self, out_track_id: str, params: dict[str, str], reserved: bool = False) -> None:
        """Replace a card instance's parameters (its state, its text, its buttons)."""
        body = {"outTrackId": out_track_id, "cardData": {"cardParamMap": params}}
        await self._with_token(UPDATE_INSTANCE, "PUT", CARD_INSTANCE_PATH, body, reserved)

    async def stream_card(self, out_track_id: str, key: str, content: str, *, finalize: bool = False, error: bool = False,
                          reserved: bool = False) -> None:
        """One streaming update of a card field: the whole text each time, under a fresh guid."""
        body = {
            "outTrackId": out_track_id,
            "guid": fresh_id(length=32),
            "key": key,
            "content": content,
            "isFull": True,
            "isFinalize": finalize,
            "isError": error,
        }
        await self._with_token(STREAM_CARD, "PUT", CARD_STREAMING_PATH, body, reserved)

    # message files -----------------------------------------------------------------------
    async def download_url(self, download_code: str) -> str:
        """The temporary URL of a message's file (a picture, a voice message ...)."""
        body = {"robotCode": self.client_id, "downloadCode": download_code}
        answer = await self._with_token("download message file", "POST", FILE_DOWNLOAD_PATH, body)
        url = answer.get("downloadUrl")
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise ApiError("download message file", 200, "BadAnswer", "no downloadUrl in the answer")
        return url

    # session webhook ---------------------------------------------------------------------
    async def reply(self, session_webhook: str, body: dict[str, Any]) -> None:
        """Post a text/markdown message to a message's session webhook (no token needed)."""
        if not session_webhook:
            raise WebhookError("the message has no session webhook")
        answer = await call_json(self.session, "session webhook reply", "POST", session_webhook, body, self.timeout)
        errcode = answer.get("errcode", 0)
        if errcode not in (0, "0", None):
            raise WebhookError(f"session webhook refused the reply: errcode {errcode} {answer.get('errmsg', '')}".strip())
