"""Feishu's OpenAPI as the robot calls it: tenant_access_token, bot info, im/v1/messages
(send, reply) and cardkit/v1/cards (create, stream an element's content, settings, update),
with the refusals Feishu documents (codes in the bodies, `{code, msg}` always JSON).
"""
from __future__ import annotations

import copy
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .. import cards
from .apps import TOKEN_LIFETIME, AppRegistry, SimulatedApp
from .records import ApiCall, CardRecord, CardVersion, PlainReply, Recorder

ELEMENT_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,19}$")
CARD_OPS_PER_SECOND = 10
STREAMABLE = ("markdown", "plain_text")


class Refusal(Exception):
    """A Feishu error answer: HTTP status, code, msg."""

    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(msg)
        self.status, self.code, self.msg = status, code, msg


@dataclass
class OpenApi:
    """The OpenAPI routes over the app registry and the recorder."""

    apps: AppRegistry
    recorder: Recorder
    token_lifetime: int = TOKEN_LIFETIME
    _uuids: dict[str, dict[str, Any]] = field(default_factory=dict)

    def routes(self) -> list[web.RouteDef]:
        api = "/open-apis"
        return [
            web.post(f"{api}/auth/v3/tenant_access_token/internal", self._wrap(self.token, auth=False)),
            web.get(f"{api}/bot/v3/info", self._wrap(self.bot_info)),
            web.post(f"{api}/im/v1/messages", self._wrap(self.send_message)),
            web.post(f"{api}/im/v1/messages/{{message_id}}/reply", self._wrap(self.reply)),
            web.post(f"{api}/cardkit/v1/cards", self._wrap(self.create_card)),
            web.put(f"{api}/cardkit/v1/cards/{{card_id}}/elements/{{element_id}}/content", self._wrap(self.stream_content)),
            web.patch(f"{api}/cardkit/v1/cards/{{card_id}}/settings", self._wrap(self.settings)),
            web.put(f"{api}/cardkit/v1/cards/{{card_id}}", self._wrap(self.update_card)),
        ]

    def _wrap(self, handler: Any, auth: bool = True) -> Any:
        async def route(request: web.Request) -> web.Response:
            app: SimulatedApp | None = None
            try:
                body = _json(await request.text())
                if auth:
                    app = self._authorised(request)
                answer = handler(request, body, app) if auth else handler(body)
                status, code = 200, int(answer.get("code", 0))
            except Refusal as refusal:
                answer = {"code": refusal.code, "msg": refusal.msg, "error": {"log_id": uuid.uuid4().hex}}
                status, code = refusal.status, refusal.code
            client_id = app.client_id if app else str(answer.pop("_app", ""))
            self.recorder.write("api_calls_", ApiCall(request.method, request.path, status, code, client_id, time.time()))
            return web.json_response(answer, status=status, headers={"X-Tt-Logid": uuid.uuid4().hex})
        return route

    def _authorised(self, request: web.Request) -> SimulatedApp:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise Refusal(400, 99991661, "Missing access token for authorization. Please make a request with token attached.")
        app = self.apps.app_of_token(header.removeprefix("Bearer ").strip())
        if app is None:
            raise Refusal(400, 99991663, "Invalid access token for authorization. Please make a request with token attached.")
        return app

    # -- auth and bot ----------------------------------------------------------------------------
    def token(self, body: dict[str, Any]) -> dict[str, Any]:
        app_id, secret = str(body.get("app_id", "")), str(body.get("app_secret", ""))
        code, msg = self.apps.check(app_id, secret)
        if code:
            return {"code": code, "msg": msg, "_app": app_id}
        app = self.apps.get(app_id)
        assert app is not None
        return {"code": 0, "msg": "ok", "tenant_access_token": self.apps.new_token(app), "expire": self.token_lifetime, "_app": app_id}

    def bot_info(self, request: web.Request, body: dict[str, Any], app: SimulatedApp) -> dict[str, Any]:
        return {"code": 0, "msg": "ok", "bot": {"activate_status": 2, "app_name": app.robot_name, "open_id": app.bot_open_id,
                                                "avatar_url": "", "ip_white_list": []}}

    # -- messages --------------------------------------------------------------------------------
    def send_message(self, request: web.Request, body: dict[str, Any], app: SimulatedApp) -> dict[str, Any]:
        receive_id = str(body.get("receive_id", ""))
        if not receive_id or request.query.get("receive_id_type") not in ("chat_id", "open_id", "user_id", "union_id", "email"):
            raise Refusal(400, 230001, "invalid receive_id or receive_id_type")
        return self._message(app, body, question="", chat_id=receive_id)

    def reply(self, request: web.Request, body: dict[str, Any], app: SimulatedApp) -> dict[str, Any]:
        question = next((m for m in self.recorder.read("messages_", msg_id=request.match_info["message_id"], client_id=app.client_id)), None)
        if question is None:
            raise Refusal(400, 230001, "invalid message_id")
        return self._message(app, body, question=question.msg_id, chat_id=question.conversation_id)

    def _message(self, app: SimulatedApp, body: dict[str, Any], question: str, chat_id: str) -> dict[str, Any]:
        key = f"{app.client_id}/{body.get('uuid')}"
        if body.get("uuid") and key in self._uuids:
            return self._uuids[key]
        msg_type = str(body.get("msg_type", ""))
        content = _json(body.get("content") if isinstance(body.get("content"), str) else "")
        if not content or msg_type not in ("text", "post", "interactive"):
            raise Refusal(400, 230001, "invalid message content or msg_type")
        message_id = f"om_{uuid.uuid4().hex}"
        if msg_type == "interactive" and content.get("type") == "card":
            self._send_card(app, str((content.get("data") or {}).get("card_id", "")), question, message_id, chat_id)
        else:
            self.recorder.write("replies_", PlainReply(question, message_id, app.client_id, chat_id, msg_type,
                                                       {"msg_type": msg_type, "content": content}, time.time()))
        answer = {"code": 0, "msg": "success", "data": {
            "message_id": message_id, "chat_id": chat_id, "msg_type": msg_type, "root_id": question, "parent_id": question,
            "create_time": str(int(time.time() * 1000)), "body": {"content": body.get("content")},
            "sender": {"id": app.client_id, "id_type": "app_id", "sender_type": "app"}}}
        if body.get("uuid"):
            self._uuids[key] = answer
        return answer

    def _send_card(self, app: SimulatedApp, card_id: str, question: str, message_id: str, chat_id: str) -> None:
        with self.recorder.locked():
            card = self._card(app, card_id)
            if card.message_id:
                raise Refusal(400, 230099, "the card entity was already sent")
            card.message_id, card.reply_to_msg_id, card.conversation_id = message_id, question, chat_id

    # -- CardKit ---------------------------------------------------------------------------------
    def create_card(self, request: web.Request, body: dict[str, Any], app: SimulatedApp) -> dict[str, Any]:
        if not app.card_permission:
            raise Refusal(400, 99991672, "Access denied. One of the following scopes is required: [cardkit:card:write].")
        if body.get("type") != "card_json":
            raise Refusal(400, 300300, "only card_json is supported here")
        data = _card_json(body.get("data"))
        card = CardRecord(f"7{uuid.uuid4().int % 10**18:018d}", app.client_id, [CardVersion(data, time.time(), "create")])
        with self.recorder.locked():
            self.recorder.cards_[card.card_biz_id] = card
        return {"code": 0, "msg": "success", "data": {"card_id": card.card_biz_id}}

    def stream_content(self, request: web.Request, body: dict[str, Any], app: SimulatedApp) -> dict[str, Any]:
        def change(card: CardRecord, data: dict[str, Any]) -> None:
            if not card.streaming:
                raise Refusal(400, 300309, "streaming mode is closed")
            element = next((e for e in cards.elements(data) if e.get("element_id") == request.match_info["element_id"]), None)
            if element is None:
                raise Refusal(400, 300301, "element not found")
            if element.get("tag") not in STREAMABLE:
                raise Refusal(400, 300310, "only plain_text and markdown elements can stream")
            element["content"] = str(body.get("content", ""))
        return self._operate(request.match_info["card_id"], app, body, "content", change)

    def settings(self, request: web.Request, body: dict[str, Any], app: SimulatedApp) -> dict[str, Any]:
        settings = _json(body.get("settings") if isinstance(body.get("settings"), str) else "")
        if not isinstance(settings.get("config"), dict):
            raise Refusal(400, 300300, "settings must be a JSON string with a config object")

        def change(card: CardRecord, data: dict[str, Any]) -> None:
            data.setdefault("config", {}).update(settings["config"])
        return self._operate(request.match_info["card_id"], app, body, "settings", change)

    def update_card(self, request: web.Request, body: dict[str, Any], app: SimulatedApp) -> dict[str, Any]:
        new = body.get("card") if isinstance(body.get("card"), dict) else {}
        replacement = _card_json(new.get("data"))

        def change(card: CardRecord, data: dict[str, Any]) -> None:
            data.clear()
            data.update(replacement)
        return self._operate(request.match_info["card_id"], app, body, "update", change)

    def _operate(self, card_id: str, app: SimulatedApp, body: dict[str, Any], kind: str, change: Any) -> dict[str, Any]:
        """One card operation: rate limit, strictly increasing sequence, then the change as a new version."""
        now = time.time()
        with self.recorder.locked():
            card = self._card(app, card_id)
            card.op_times = [t for t in card.op_times if now - t < 1.0]
            if len(card.op_times) >= CARD_OPS_PER_SECOND:
                raise Refusal(429, 99991400, "request trigger frequency limit")
            sequence = body.get("sequence")
            if not isinstance(sequence, int) or sequence <= card.sequence:
                raise Refusal(400, 300317, f"sequence must be greater than {card.sequence}")
            data = copy.deepcopy(card.latest)
            change(card, data)
            card.op_times.append(now)
            card.sequence = sequence
            card.versions.append(CardVersion(data, now, kind))
        return {"code": 0, "msg": "success", "data": {}}

    def _card(self, app: SimulatedApp, card_id: str) -> CardRecord:
        """A card entity of this app (call with the recorder's lock held)."""
        card = self.recorder.cards_.get(card_id)
        if card is None:
            raise Refusal(400, 200740, "card not found")
        if card.client_id != app.client_id:
            raise Refusal(400, 300311, "the card belongs to another app")
        return card


def _json(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _card_json(data: Any) -> dict[str, Any]:
    """A card JSON 2.0 string checked as CardKit checks it."""
    card = _json(data if isinstance(data, str) else "")
    if card.get("schema") != "2.0":
        raise Refusal(400, 300303, "card entities need card JSON 2.0")
    if card.get("config", {}).get("update_multi") is False:
        raise Refusal(400, 300302, "update_multi must be true for card entities")
    ids = [e["element_id"] for e in cards.elements(card) if "element_id" in e]
    if len(ids) != len(set(ids)) or not all(isinstance(i, str) and ELEMENT_ID.match(i) for i in ids):
        raise Refusal(400, 300301, "element_id duplicated or malformed")
    return card
