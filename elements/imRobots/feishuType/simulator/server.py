"""`FeishuSimulator`: a local Feishu (Lark) on 127.0.0.1, on the caller's asyncio loop.

What the robot and the unmodified `lark_oapi` SDK call (see gateway.py and openapi.py), what a
Feishu user does (send a message in a group with an @mention or in a single chat, press a card
button) and a control API under `/_sim/` for the `element-studio sim feishu` command.
"""
from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from .. import cards
from .apps import AppRegistry, SimulatedApp
from .gateway import Gateway
from .openapi import OpenApi
from .records import ButtonPress, CardRecord, ConnectionRecord, Delivery, MessageRecord, PlainReply, Recorder

TENANT = "sim_tenant"


class FeishuSimulator:
    """Feishu's long connection, OpenAPI and users, for the apps it knows (App ID -> secret)."""

    def __init__(self, apps: Mapping[str, str] | None = None, *, port: int = 0, redeliver_after: float | None = None,
                 client_config: dict[str, int] | None = None) -> None:
        self.apps = AppRegistry(dict(apps) if apps is not None else None)
        self.recorder = Recorder()
        self.gateway = Gateway(self.apps, self.recorder, redeliver_after=redeliver_after)
        if client_config:
            self.gateway.client_config.update(client_config)
        self.openapi = OpenApi(self.apps, self.recorder)
        self._port = port
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None

    async def start(self) -> FeishuSimulator:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.add_routes([web.post("/callback/ws/endpoint", self.gateway.endpoint), web.get("/ws", self.gateway.socket),
                        *self.openapi.routes(), *self._control_routes()])
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, "127.0.0.1", self._port)
        await self._site.start()
        self.gateway.base_url = self.base_url
        return self

    async def stop(self) -> None:
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def port(self) -> int:
        server = self._site._server if self._site else None  # noqa: SLF001 - aiohttp keeps the bound socket here
        return server.sockets[0].getsockname()[1] if server and server.sockets else self._port

    @property
    def base_url(self) -> str:
        """The `domain` a robot (or `lark.ws.Client`) is given."""
        return f"http://127.0.0.1:{self.port}"

    # -- apps ---------------------------------------------------------------------------------------
    def register_app(self, client_id: str, client_secret: str, *, robot_name: str = "Demo Robot") -> None:
        self.apps.register(client_id, client_secret, robot_name)

    def app(self, client_id: str) -> SimulatedApp | None:
        return self.apps.get(client_id)

    def set_card_permission(self, client_id: str, allowed: bool) -> None:
        app = self.apps.get(client_id)
        if app is not None:
            app.card_permission = allowed

    def revoke_tokens(self, client_id: str | None = None) -> int:
        return self.apps.revoke_tokens(client_id)

    # -- what users do ------------------------------------------------------------------------------
    def send_message(self, client_id: str, text: str, *, conversation_type: str = "1", sender_nick: str = "Demo User",
                     sender_staff_id: str = "ou_demo_user", conversation_id: str | None = None, conversation_title: str = "",
                     at_robot: bool = True, message_type: str = "text", content: dict[str, Any] | None = None,
                     parts: int = 1) -> str:
        """A user's message to the app's bot (group "2" with an @mention unless told otherwise; single chat "1").
        Returns its message_id."""
        app = self.apps.get(client_id)
        if app is None:
            raise KeyError(f"unknown app {client_id}")
        group = conversation_type == "2"
        chat_id = conversation_id or (f"oc_group_{client_id}" if group else f"oc_p2p_{sender_staff_id}")
        mentions = []
        if group and at_robot:
            text = f"@_user_1 {text}"
            mentions = [{"key": "@_user_1", "id": {"open_id": app.bot_open_id, "union_id": "", "user_id": ""},
                         "mentioned_type": "bot", "name": app.robot_name, "tenant_key": TENANT}]
        msg_id, event_id, now = f"om_{uuid.uuid4().hex}", uuid.uuid4().hex, time.time()
        message = {"message_id": msg_id, "root_id": "", "parent_id": "", "create_time": str(int(now * 1000)),
                   "update_time": str(int(now * 1000)), "chat_id": chat_id, "chat_type": "group" if group else "p2p",
                   "message_type": message_type, "content": json.dumps(content if content is not None else {"text": text}, ensure_ascii=False),
                   "mentions": mentions, "user_agent": "feishu-simulator"}
        envelope = self._envelope(event_id, "im.message.receive_v1", client_id, now, {
            "sender": {"sender_id": {"open_id": sender_staff_id, "union_id": f"on_{sender_staff_id}", "user_id": sender_staff_id},
                       "sender_type": "user", "tenant_key": TENANT},
            "message": message})
        self.recorder.write("messages_", MessageRecord(msg_id, event_id, client_id, chat_id, conversation_type, sender_staff_id,
                                                       sender_nick, text, envelope, now))
        self.gateway.push(client_id, envelope, "message", parts)
        return msg_id

    def press_button(self, card_biz_id: str, *, button_id: str | None = None, user_id: str | None = None) -> str:
        """Press a callback button of a card's latest version; returns the callback's event_id.
        KeyError: no such card or button; ValueError: a button without a callback."""
        card = self.card(card_biz_id)
        if card is None or not card.message_id:
            raise KeyError(f"no sent card {card_biz_id}")
        buttons = [e for e in cards.elements(card.latest) if e.get("tag") == "button"]
        button = next((b for b in buttons if button_id is None or b.get("element_id") == button_id), None)
        if button is None:
            raise KeyError(f"no button {button_id} on card {card_biz_id}")
        value = cards.callback_value(button)
        if value is None:
            raise ValueError(f"button {button_id} does not call back")
        question = next(iter(self.recorder.read("messages_", msg_id=card.reply_to_msg_id)), None)
        operator = user_id or (question.sender_staff_id if question else "ou_demo_user")
        event_id, now = uuid.uuid4().hex, time.time()
        envelope = self._envelope(event_id, "card.action.trigger", card.client_id, now, {
            "operator": {"tenant_key": TENANT, "open_id": operator, "union_id": f"on_{operator}", "user_id": operator},
            "token": f"c-{uuid.uuid4().hex}", "host": "im_message",
            "action": {"value": value, "tag": "button", "name": button.get("element_id", "")},
            "context": {"open_message_id": card.message_id, "open_chat_id": card.conversation_id}}, micros=True)
        self.recorder.write("presses_", ButtonPress(card_biz_id, str(button.get("element_id", "")), operator,
                                                    value if isinstance(value, dict) else {"value": value}, event_id, now))
        self.gateway.push(card.client_id, envelope, "card")
        return event_id

    @staticmethod
    def _envelope(event_id: str, event_type: str, client_id: str, now: float, event: dict[str, Any],
                  micros: bool = False) -> dict[str, Any]:
        created = int(now * 1_000_000) if micros else int(now * 1000)
        return {"schema": "2.0", "header": {"event_id": event_id, "event_type": event_type, "create_time": str(created),
                                            "token": "", "app_id": client_id, "tenant_key": TENANT}, "event": event}

    # -- network faults -----------------------------------------------------------------------------
    async def drop_connection(self, client_id: str) -> int:
        return await self.gateway.drop(client_id)

    def freeze(self, client_id: str, frozen: bool = True) -> int:
        return self.gateway.freeze(client_id, frozen)

    async def redeliver(self, event_id: str) -> bool:
        return await self.gateway.redeliver(event_id)

    # -- looking back (thread-safe) -------------------------------------------------------------------
    def connections(self, client_id: str | None = None) -> list[ConnectionRecord]:
        return self.recorder.read("connections_", client_id=client_id)

    def live_connection_count(self, client_id: str) -> int:
        return sum(1 for c in self.connections(client_id) if c.live)

    def messages(self, client_id: str | None = None, conversation_id: str | None = None) -> list[MessageRecord]:
        return self.recorder.read("messages_", client_id=client_id, conversation_id=conversation_id)

    def deliveries(self, client_id: str | None = None) -> list[Delivery]:
        return self.recorder.read("deliveries_", client_id=client_id)

    def delivery_of(self, msg_id: str) -> Delivery | None:
        """The push of a message (by its message_id)."""
        message = next(iter(self.recorder.read("messages_", msg_id=msg_id)), None)
        return next(iter(self.recorder.read("deliveries_", event_id=message.event_id)), None) if message else None

    def cards(self, client_id: str | None = None, msg_id: str | None = None) -> list[CardRecord]:
        """Card entities, oldest first; with `msg_id`, those sent in reply to that question."""
        return self.recorder.read("cards_", client_id=client_id, reply_to_msg_id=msg_id)

    def card(self, card_biz_id: str) -> CardRecord | None:
        return next(iter(self.recorder.read("cards_", card_biz_id=card_biz_id)), None)

    def webhook_replies(self, client_id: str | None = None, msg_id: str | None = None) -> list[PlainReply]:
        """Text, post and plain interactive messages (the family's playground name for "not a card entity")."""
        return self.recorder.read("replies_", client_id=client_id, msg_id=msg_id)

    def button_presses(self) -> list[ButtonPress]:
        return self.recorder.read("presses_")

    def api_calls(self, path: str | None = None) -> list[Any]:
        return self.recorder.read("api_calls_", path=path)

    # -- control API ----------------------------------------------------------------------------------
    def _control_routes(self) -> list[web.RouteDef]:
        return [web.post("/_sim/send", self._control_send), web.get("/_sim/answer", self._control_answer)]

    async def _control_send(self, request: web.Request) -> web.Response:
        """POST /_sim/send {text, appId?, group?}: a user's question; answers {msgId}."""
        body = await request.json()
        app_id = body.get("appId") or next(iter(a.client_id for a in self.apps.all()), "")
        try:
            msg_id = self.send_message(app_id, str(body.get("text", "")), conversation_type="2" if body.get("group") else "1")
        except KeyError as exc:
            return web.json_response({"error": str(exc)}, status=404)
        return web.json_response({"msgId": msg_id})

    async def _control_answer(self, request: web.Request) -> web.Response:
        """GET /_sim/answer?msgId=: the cards and replies answering a question so far."""
        msg_id = request.query.get("msgId", "")
        return web.json_response({
            "cards": [{"cardId": c.card_biz_id, "versions": len(c.versions), "streaming": c.streaming, "card": c.latest}
                      for c in self.cards(msg_id=msg_id)],
            "replies": [r.body for r in self.webhook_replies(msg_id=msg_id)]})
