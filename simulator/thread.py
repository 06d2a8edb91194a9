"""``SimulatorThread``: the simulator on its own loop in one background thread.

For tests (and tools) that are not async or whose robot runs on another loop::

    with SimulatorThread(apps={"dingdemo": "demo-secret"}, redeliver_after=0.5) as sim:
        os.environ["DINGTALK_OPENAPI_ENDPOINT"] = sim.base_url
        msg_id = sim.send_message("dingdemo", "hello")
        sim.wait_for(lambda: sim.acked(msg_id), timeout=5)

Every method is safe to call from any thread: actions are run on the simulator's loop and
waited for; queries read the thread-safe recorder directly.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, Callable, Coroutine, Mapping, TypeVar

from .delivery import Delivery
from .recorder import (AckRecord, ApiCall, ButtonPress, CardRecord, ConnectionRecord,
                       FrameRecord, MessageRecord, WebhookReply)
from .server import DingTalkSimulator

T = TypeVar("T")


class SimulatorThread:
    """A :class:`DingTalkSimulator` running in a daemon thread, with blocking methods."""

    def __init__(self, apps: Mapping[str, str] | None = None, **options: Any) -> None:
        """Same arguments as :class:`DingTalkSimulator` (port, redeliver_after, ...)."""
        self.sim = DingTalkSimulator(apps, **options)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.call_timeout = 10.0

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> SimulatorThread:
        """Start the thread and wait until the simulator listens."""
        if self._thread is not None:
            raise RuntimeError("already started")
        ready = threading.Event()
        failure: list[BaseException] = []
        loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.sim.start())
            except BaseException as exc:  # reported to the starting thread
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="dingtalk-simulator", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]
        return self

    def stop(self) -> None:
        """Stop the simulator and its thread."""
        if self._thread is None or self._loop is None:
            return
        try:
            self._call(self.sim.stop())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> SimulatorThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the simulator's loop and wait for its result."""
        if self._loop is None:
            coro.close()
            raise RuntimeError("simulator thread not started")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(self.call_timeout)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``: the value for ``DINGTALK_OPENAPI_ENDPOINT``."""
        return self.sim.base_url

    @property
    def port(self) -> int:
        """The TCP port."""
        return self.sim.port

    def env(self) -> dict[str, str]:
        """Environment variables a client process needs."""
        return self.sim.env()

    def register_app(self, client_id: str, client_secret: str, *,
                     robot_name: str = "Demo Robot") -> None:
        """Add (or re-key) an app."""
        self.sim.register_app(client_id, client_secret, robot_name=robot_name)

    # -- acting ---------------------------------------------------------------------------

    def send_message(self, client_id: str, text: str, **options: Any) -> str:
        """Push a user message; returns its msgId (see DingTalkSimulator.send_message)."""
        return self._call(self.sim.send_message(client_id, text, **options))

    def push_callback(self, client_id: str, topic: str, data: dict[str, Any]) -> str:
        """Push any CALLBACK frame; returns its messageId."""
        return self._call(self.sim.push_callback(client_id, topic, data))

    def send_event(self, client_id: str, event_type: str, data: dict[str, Any]) -> str:
        """Push an EVENT frame; returns its messageId."""
        return self._call(self.sim.send_event(client_id, event_type, data))

    def press_button(self, card_biz_id: str, *, button_id: str | None = None,
                     label: str | None = None, user_id: str | None = None,
                     params: dict[str, Any] | None = None) -> str:
        """Click a card button; returns the callback frame's messageId."""
        return self._call(self.sim.press_button(card_biz_id, button_id=button_id, label=label,
                                                user_id=user_id, params=params))

    def redeliver(self, msg_id: str) -> bool:
        """Push a message (msgId) or frame (messageId) again now."""
        return self._call(self.sim.redeliver(msg_id))

    def ping(self, client_id: str) -> list[str]:
        """Send a SYSTEM ping; returns messageIds."""
        return self._call(self.sim.ping(client_id))

    def send_system_disconnect(self, client_id: str, close_after: float | None = None) -> list[str]:
        """Send SYSTEM disconnect, optionally closing the sockets after a delay."""
        return self._call(self.sim.send_system_disconnect(client_id, close_after))

    def drop_connection(self, client_id: str) -> int:
        """Abort the app's connections (no close frame)."""
        return self._call(self.sim.drop_connection(client_id))

    def freeze(self, client_id: str, frozen: bool = True) -> int:
        """Make the app's current connections dead (or alive again)."""
        return self._call(self.sim.freeze(client_id, frozen))

    def revoke_tokens(self, client_id: str | None = None) -> int:
        """Invalidate issued access tokens."""
        return self._call(self.sim.revoke_tokens(client_id))

    def expire_session(self, msg_id: str) -> bool:
        """Expire a message's session webhook."""
        return self._call(self.sim.expire_session(msg_id))

    def set_card_permission(self, client_id: str, allowed: bool) -> None:
        """Switch an app's interactive-card permission."""
        self._call(self.sim.set_card_permission(client_id, allowed))

    # -- looking --------------------------------------------------------------------------

    def connections(self, client_id: str | None = None) -> list[ConnectionRecord]:
        """Every stream connection ever opened, oldest first."""
        return self.sim.connections(client_id)

    def live_connection_count(self, client_id: str) -> int:
        """Connections of the app open right now."""
        return self.sim.live_connection_count(client_id)

    def max_live_connections(self, client_id: str) -> int:
        """The most connections the app ever held open at once."""
        return self.sim.max_live_connections(client_id)

    def frames(self, client_id: str | None = None, topic: str | None = None) -> list[FrameRecord]:
        """Frames pushed to clients."""
        return self.sim.frames(client_id, topic)

    def acks(self, client_id: str | None = None, message_id: str | None = None) -> list[AckRecord]:
        """Client response frames."""
        return self.sim.acks(client_id, message_id)

    def acked(self, msg_id: str) -> bool:
        """True once the message (msgId) or frame (messageId) got an ACK."""
        return self.sim.acked(msg_id)

    def deliveries_of(self, msg_id: str) -> list[FrameRecord]:
        """Every send of a message (msgId) or frame (messageId)."""
        return self.sim.deliveries_of(msg_id)

    def delivery_state(self, message_id: str) -> Delivery | None:
        """Attempts/acked/gave_up of a tracked frame."""
        return self.sim.delivery_state(message_id)

    def messages(self, client_id: str | None = None,
                 conversation_id: str | None = None) -> list[MessageRecord]:
        """Robot messages pushed."""
        return self.sim.messages(client_id, conversation_id)

    def cards(self, client_id: str | None = None, conversation_id: str | None = None,
              msg_id: str | None = None) -> list[CardRecord]:
        """Cards with their versions."""
        return self.sim.cards(client_id, conversation_id, msg_id)

    def card(self, card_biz_id: str) -> CardRecord | None:
        """One card by cardBizId."""
        return self.sim.card(card_biz_id)

    def card_versions(self, card_biz_id: str) -> list[dict[str, Any]]:
        """The cardData of every version of a card."""
        return self.sim.card_versions(card_biz_id)

    def webhook_replies(self, client_id: str | None = None, conversation_id: str | None = None,
                        msg_id: str | None = None) -> list[WebhookReply]:
        """Session-webhook POSTs."""
        return self.sim.webhook_replies(client_id, conversation_id, msg_id)

    def button_presses(self) -> list[ButtonPress]:
        """Simulated button presses."""
        return self.sim.button_presses()

    def api_calls(self, path: str | None = None) -> list[ApiCall]:
        """OpenAPI calls and their statuses."""
        return self.sim.api_calls(path)

    # -- waiting --------------------------------------------------------------------------

    def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0,
                 interval: float = 0.02, message: str = "") -> T:
        """Poll ``predicate`` until it returns something truthy; return that, or TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise TimeoutError(message or f"condition not met within {timeout} s")
            time.sleep(interval)

    def wait_for_connection(self, client_id: str, count: int = 1,
                            timeout: float = 5.0) -> list[ConnectionRecord]:
        """Wait until the app holds ``count`` live connections; returns them."""
        return self.wait_for(
            lambda: [c for c in self.connections(client_id) if c.live]
            if self.live_connection_count(client_id) == count else None,
            timeout, message=f"{client_id} never had {count} live connection(s)")

    def wait_for_ack(self, msg_id: str, timeout: float = 5.0) -> AckRecord:
        """Wait for the ACK of a message (msgId) or frame (messageId); returns the first."""
        message = self.sim.recorder.message(msg_id)
        wanted = message.message_id if message else msg_id
        return self.wait_for(lambda: self.acks(message_id=wanted), timeout,
                             message=f"no ACK for {msg_id}")[0]

    def wait_for_card(self, msg_id: str | None = None, *, conversation_id: str | None = None,
                      versions: int = 1, timeout: float = 5.0) -> CardRecord:
        """Wait for a card (answering ``msg_id``, or in a conversation) with enough versions."""
        def ready() -> CardRecord | None:
            for card in self.cards(conversation_id=conversation_id, msg_id=msg_id):
                if len(card.versions) >= versions:
                    return card
            return None
        return self.wait_for(ready, timeout, message=f"no card with {versions} version(s)")

    def wait_for_reply(self, msg_id: str, timeout: float = 5.0) -> WebhookReply:
        """Wait for a session-webhook reply to a message; returns the first."""
        return self.wait_for(lambda: self.webhook_replies(msg_id=msg_id), timeout,
                             message=f"no webhook reply to {msg_id}")[0]
