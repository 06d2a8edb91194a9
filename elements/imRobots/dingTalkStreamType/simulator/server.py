"""``DingTalkSimulator``: the whole simulator on the caller's asyncio loop.

It serves, on 127.0.0.1 only, the stream gateway (:mod:`simulator.gateway`), the OpenAPI
endpoints (:mod:`simulator.openapi`), session webhooks (:mod:`simulator.webhook`) and the
control API (:mod:`simulator.control`), and offers the same controls as Python methods.

Convention: methods that act (send, press, drop, freeze, revoke...) are coroutines and must
run on the simulator's loop; methods that look (``cards``, ``acks``, ``connections``...)
are plain, thread-safe, and return copies. For tests that are not async, or that run the
robot on another loop, use :class:`simulator.thread.SimulatorThread`.

Point a client at it with ``DINGTALK_OPENAPI_ENDPOINT=<sim.base_url>`` (set before the SDK
is imported: the SDK reads it once).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Callable, Mapping, TypeVar

from aiohttp import web

from . import frames
from .app_registry import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, AppRegistry, SimulatedApp
from .control import ControlApi
from .delivery import Deliveries, Delivery
from .gateway import Gateway
from .openapi import SAMPLE_PNG, OpenApi, Tokens
from .recorder import (AckRecord, ApiCall, ButtonPress, CardRecord, ConnectionRecord,
                       FrameRecord, MessageRecord, Recorder, WebhookReply)
from .waiting import Deadline
from .webhook import SessionWebhooks

log = logging.getLogger(__name__)
T = TypeVar("T")

HOST = "127.0.0.1"
DEFAULT_SENDER_STAFF_ID = "demo-user"
DEFAULT_SENDER_NICK = "Demo User"


class DingTalkSimulator:
    """A local DingTalk for one asyncio loop: ``await start()``, use, ``await stop()``."""

    def __init__(self, apps: Mapping[str, str] | None = None, *, port: int = 0,
                 redeliver_after: float = 60.0, max_deliveries: int = 5,
                 token_expire_in: int = 7200, session_ttl: float = 5400.0,
                 ticket_ttl: float = 60.0) -> None:
        """``apps`` maps clientId -> clientSecret (default: the demo app); port 0 = ephemeral."""
        self.apps = AppRegistry()
        for client_id, secret in (apps if apps is not None
                                  else {DEMO_CLIENT_ID: DEMO_CLIENT_SECRET}).items():
            self.apps.register(client_id, secret)
        self.recorder = Recorder()
        self._requested_port = port
        self._port: int | None = None
        self._runner: web.AppRunner | None = None
        self.gateway = Gateway(self.apps, self.recorder, ws_base_url=lambda: self.ws_base_url,
                               ticket_ttl=ticket_ttl)
        self.deliveries = Deliveries(self.gateway, redeliver_after=redeliver_after,
                                     max_deliveries=max_deliveries)
        self.tokens = Tokens(token_expire_in)
        self.openapi = OpenApi(self.apps, self.recorder, self.tokens,
                               base_url=lambda: self.base_url)
        self.webhooks = SessionWebhooks(self.recorder, base_url=lambda: self.base_url,
                                        ttl=session_ttl)
        self.control = ControlApi(self)

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> DingTalkSimulator:
        """Listen on 127.0.0.1 and start redelivering; returns self."""
        if self._runner is not None:
            raise RuntimeError("simulator already started")
        app = web.Application()
        self.gateway.add_routes(app)
        self.webhooks.add_routes(app)
        self.control.add_routes(app)
        self.openapi.add_routes(app)  # last: it ends with a catch-all for /v1.0
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, HOST, self._requested_port)
        await site.start()
        self._runner = runner
        self._port = runner.addresses[0][1]
        self.deliveries.start()
        log.info("DingTalk simulator listening on %s", self.base_url)
        return self

    async def stop(self) -> None:
        """Close every connection and stop listening."""
        if self._runner is None:
            return
        await self.deliveries.stop()
        await self.gateway.close_all()
        await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> DingTalkSimulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """The TCP port (known once started)."""
        if self._port is None:
            raise RuntimeError("simulator not started")
        return self._port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``: the value for ``DINGTALK_OPENAPI_ENDPOINT``."""
        return f"http://{HOST}:{self.port}"

    @property
    def ws_base_url(self) -> str:
        """``ws://127.0.0.1:PORT``: where stream endpoints point."""
        return f"ws://{HOST}:{self.port}"

    def env(self) -> dict[str, str]:
        """Environment variables a client process needs to use this simulator."""
        return {"DINGTALK_OPENAPI_ENDPOINT": self.base_url, "NO_PROXY": "127.0.0.1,localhost"}

    def register_app(self, client_id: str, client_secret: str, *,
                     robot_name: str = "Demo Robot") -> SimulatedApp:
        """Add (or re-key) an app; thread-safe."""
        return self.apps.register(client_id, client_secret, robot_name=robot_name)

    # -- acting (coroutines, on the simulator's loop) -------------------------------------

    async def send_message(self, client_id: str, text: str, *, conversation_type: str = "1",
                           sender_nick: str = DEFAULT_SENDER_NICK,
                           sender_staff_id: str = DEFAULT_SENDER_STAFF_ID,
                           conversation_id: str | None = None,
                           conversation_title: str = "Simulator group", msgtype: str = "text",
                           at_robot: bool = True, is_admin: bool = True,
                           file_bytes: bytes | None = None) -> str:
        """Push a robot message from a user to an app; returns its msgId.

        ``conversation_type`` "1" is a one-to-one chat, "2" a group (where ``text`` is what
        follows the @mention of the robot). Non-text msgtypes get a downloadCode whose bytes
        (``file_bytes``, default a real 64x48 PNG) the robot can fetch through the OpenAPI; an
        audio message's ``text`` is DingTalk's transcript (``content.recognition``).
        """
        app = self.apps.require(client_id)
        if conversation_id is None:
            conversation_id = (app.single_conversation_id(sender_staff_id)
                               if conversation_type == "1"
                               else app.group_conversation_id(conversation_title))
        download_code = ""
        if msgtype in ("picture", "file", "audio", "video", "richText") and (
                msgtype != "richText" or file_bytes is not None):
            download_code = frames.new_download_code()
            self.openapi.files[download_code] = file_bytes if file_bytes is not None else SAMPLE_PNG
        msg_id = frames.new_msg_id()
        session = self.webhooks.open_session(msg_id, client_id, conversation_id)
        data = frames.chatbot_message_data(
            app, text=text, msg_id=msg_id, conversation_type=conversation_type,
            conversation_id=conversation_id, session_webhook=self.webhooks.url(session),
            session_expires_ms=session.expires_at_ms, sender_staff_id=sender_staff_id,
            sender_nick=sender_nick, msgtype=msgtype, conversation_title=conversation_title,
            is_admin=is_admin, at_robot=at_robot, download_code=download_code)
        frame = self._frame(client_id, frames.TYPE_CALLBACK, frames.TOPIC_ROBOT_MESSAGE, data)
        self.recorder.add_message(MessageRecord(
            msg_id=msg_id, message_id=frame["headers"]["messageId"], client_id=client_id,
            conversation_id=conversation_id, conversation_type=conversation_type,
            sender_staff_id=sender_staff_id, sender_nick=sender_nick, text=text, data=data,
            at=time.time()))
        await self.deliveries.push(client_id, frame)
        return msg_id

    async def push_callback(self, client_id: str, topic: str, data: dict[str, Any]) -> str:
        """Push any CALLBACK frame (tracked and redelivered); returns its messageId."""
        self.apps.require(client_id)
        return await self.deliveries.push(
            client_id, self._frame(client_id, frames.TYPE_CALLBACK, topic, data))

    async def send_event(self, client_id: str, event_type: str, data: dict[str, Any]) -> str:
        """Push an EVENT frame (to clients subscribed to EVENT ``*``); returns its messageId."""
        app = self.apps.require(client_id)
        frame = self._frame(client_id, frames.TYPE_EVENT, event_type, data,
                            frames.event_headers(event_type, app.corp_id, client_id))
        return await self.deliveries.push(client_id, frame)

    async def press_button(self, card_biz_id: str, *, button_id: str | None = None,
                           label: str | None = None, user_id: str | None = None,
                           params: dict[str, Any] | None = None) -> str:
        """Click a button of a card's latest version; returns the callback's messageId.

        The button is found by id or by label text (default: the first button). Its
        ``value`` JSON becomes ``cardPrivateData.params`` (``params`` overrides keys), its id
        ``actionIds[0]``, as in DingTalk's card callback. Link buttons raise ValueError:
        DingTalk opens the link and sends no callback.
        """
        card = self.recorder.card(card_biz_id)
        if card is None:
            raise KeyError(f"no card with cardBizId {card_biz_id!r}")
        if button_id is None and label is None:
            buttons = frames.card_buttons(card.latest)
            button = buttons[0] if buttons else None
        else:
            button = frames.find_button(card.latest, button_id=button_id, label=label)
        if button is None:
            raise ValueError(f"card {card_biz_id} has no button {button_id or label!r} "
                             f"in its latest version")
        if button.get("actionType") == "openLink":
            raise ValueError(f"button {button.get('id')!r} opens a link; no callback is sent")
        if card.callback_type == "HTTP":
            raise ValueError(f"card {card_biz_id} was created with callbackType HTTP: its presses go to an "
                             f"HTTP callback route, not over the stream")
        app = self.apps.require(card.client_id)
        user = user_id or card.receiver_user_id or self._sender_of(card) or DEFAULT_SENDER_STAFF_ID
        merged = {**frames.button_params(button), **(params or {})}
        data = frames.card_callback_data(
            out_track_id=card_biz_id, user_id=user, corp_id=app.corp_id,
            action_id=str(button.get("id", "")), params=merged,
            space_type="IM_GROUP" if card.conversation_type == "2" else "IM_ROBOT",
            space_id=card.conversation_id)
        message_id = await self.deliveries.push(
            app.client_id, self._frame(app.client_id, frames.TYPE_CALLBACK,
                                       frames.TOPIC_CARD_CALLBACK, data))
        self.recorder.add_press(ButtonPress(card_biz_id, str(button.get("id", "")), user, merged,
                                            message_id, time.time()))
        return message_id

    def _sender_of(self, card: CardRecord) -> str:
        """The staff id of whoever sent the message a card answers."""
        message = self.recorder.message(card.reply_to_msg_id) if card.reply_to_msg_id else None
        return message.sender_staff_id if message else ""

    async def redeliver(self, msg_id: str) -> bool:
        """Push a robot message (by msgId) or any frame (by messageId) again, now."""
        message = self.recorder.message(msg_id)
        return await self.deliveries.redeliver(message.message_id if message else msg_id)

    async def ping(self, client_id: str) -> list[str]:
        """Send a SYSTEM ping (``{"opaque": ...}``) on the app's connections; messageIds."""
        return await self.gateway.send_system(client_id, frames.TOPIC_PING, frames.ping_data())

    async def send_system_disconnect(self, client_id: str,
                                     close_after: float | None = None) -> list[str]:
        """Ask the app's clients to reconnect; optionally close the sockets after a delay."""
        sent = await self.gateway.send_system(client_id, frames.TOPIC_DISCONNECT,
                                              frames.disconnect_data())
        if close_after is not None:
            self.gateway.close_later(client_id, close_after)
        return sent

    async def drop_connection(self, client_id: str) -> int:
        """Abort the app's connections with no close frame (client sees 1006); how many."""
        return self.gateway.drop(client_id)

    async def freeze(self, client_id: str, frozen: bool = True) -> int:
        """Make the app's current connections dead (or alive again); how many."""
        return self.gateway.freeze(client_id, frozen)

    async def ignore_pings(self, client_id: str, ignoring: bool = True) -> int:
        """Keep sending the app's frames but answer no WebSocket ping (or answer again); how many."""
        return self.gateway.ignore_pings(client_id, ignoring)

    async def slow_card_sends(self, client_id: str, seconds: float) -> None:
        """The app's card sends are answered (and their cards shown) ``seconds`` after they arrive."""
        self.apps.require(client_id).card_send_seconds = seconds

    async def fail_card_updates(self, client_id: str, count: int = 1) -> None:
        """The app's next ``count`` card updates answer 503 and are not applied."""
        self.apps.require(client_id).failing_card_updates = count

    async def revoke_tokens(self, client_id: str | None = None) -> int:
        """Invalidate issued access tokens: the next call with one gets 401."""
        return self.tokens.revoke(client_id)

    async def expire_session(self, msg_id: str) -> bool:
        """Expire a message's session webhook: replies then get errcode 300001."""
        return self.webhooks.expire(msg_id)

    async def set_card_permission(self, client_id: str, allowed: bool) -> None:
        """Switch an app's interactive-card permission (off: card send/update get 403)."""
        self.apps.set_card_permission(client_id, allowed)

    def _frame(self, client_id: str, frame_type: str, topic: str, data: dict[str, Any],
               extra_headers: dict[str, str] | None = None) -> dict[str, Any]:
        """A frame for an app; the connectionId is stamped when it is actually sent."""
        return frames.stream_frame(frame_type, topic, data, app_id=client_id,
                                   connection_id="", extra_headers=extra_headers)

    # -- looking (plain, thread-safe) -----------------------------------------------------

    def app(self, client_id: str) -> SimulatedApp | None:
        """The registered app with this clientId (its secret included), or None."""
        return self.apps.get(client_id)

    def connections(self, client_id: str | None = None) -> list[ConnectionRecord]:
        """Every stream connection ever opened (optionally of one app), oldest first."""
        return self.recorder.connections(client_id)

    def live_connection_count(self, client_id: str) -> int:
        """Stream connections of the app open right now."""
        return self.recorder.live_connection_count(client_id)

    def max_live_connections(self, client_id: str) -> int:
        """The most connections the app ever held open at once (should be 1 for our robot)."""
        return self.recorder.max_live_connections(client_id)

    def frames(self, client_id: str | None = None, topic: str | None = None) -> list[FrameRecord]:
        """Frames pushed to clients, oldest first."""
        return self.recorder.frames(client_id, topic)

    def acks(self, client_id: str | None = None, message_id: str | None = None) -> list[AckRecord]:
        """Client response frames, oldest first."""
        return self.recorder.acks(client_id, message_id)

    def acked(self, msg_id: str) -> bool:
        """True when the robot message (by msgId) or frame (by messageId) got an ACK."""
        message = self.recorder.message(msg_id)
        return bool(self.recorder.acks(message_id=message.message_id if message else msg_id))

    def deliveries_of(self, msg_id: str) -> list[FrameRecord]:
        """Every time a robot message (by msgId) or frame (by messageId) was sent."""
        message = self.recorder.message(msg_id)
        wanted = message.message_id if message else msg_id
        return [f for f in self.recorder.frames() if f.message_id == wanted]

    def delivery_state(self, message_id: str) -> Delivery | None:
        """Attempts/acked/gave_up of a tracked frame, by messageId."""
        return self.deliveries.state(message_id)

    def messages(self, client_id: str | None = None,
                 conversation_id: str | None = None) -> list[MessageRecord]:
        """Robot messages pushed, oldest first."""
        return self.recorder.messages(client_id, conversation_id)

    def cards(self, client_id: str | None = None, conversation_id: str | None = None,
              msg_id: str | None = None) -> list[CardRecord]:
        """Cards with all their versions, in the order they were first sent."""
        return self.recorder.cards(client_id, conversation_id, msg_id)

    def card(self, card_biz_id: str) -> CardRecord | None:
        """One card by cardBizId."""
        return self.recorder.card(card_biz_id)

    def card_versions(self, card_biz_id: str) -> list[dict[str, Any]]:
        """The parsed cardData of every version of a card, oldest first."""
        card = self.recorder.card(card_biz_id)
        return [v.card_data for v in card.versions] if card else []

    def webhook_replies(self, client_id: str | None = None, conversation_id: str | None = None,
                        msg_id: str | None = None) -> list[WebhookReply]:
        """Session-webhook POSTs (accepted or refused), oldest first."""
        return self.recorder.replies(client_id, conversation_id, msg_id)

    def button_presses(self) -> list[ButtonPress]:
        """Simulated button presses, oldest first."""
        return self.recorder.presses()

    def api_calls(self, path: str | None = None) -> list[ApiCall]:
        """OpenAPI calls and their statuses, oldest first."""
        return self.recorder.api_calls(path)

    async def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0,
                       interval: float = 0.02, message: str = "") -> T:
        """Poll ``predicate`` without blocking the loop; its first truthy value, or TimeoutError."""
        deadline = Deadline(timeout, message)
        while not (value := deadline.check(predicate)):
            await asyncio.sleep(interval)
        return value
