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

from .recorder import AckRecord, CardRecord, ConnectionRecord, WebhookReply
from .server import DingTalkSimulator
from .waiting import Deadline

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

    # -- acting and looking -----------------------------------------------------------------
    # The same names as DingTalkSimulator's (see its docstrings): actions are coroutines there
    # and run on the simulator's loop here; queries read the thread-safe recorder directly.
    ACTIONS = frozenset({
        "send_message", "push_callback", "send_event", "press_button", "redeliver", "ping",
        "send_system_disconnect", "drop_connection", "freeze", "revoke_tokens", "expire_session",
        "set_card_permission", "ignore_pings", "fail_card_updates", "slow_card_sends",
    })
    QUERIES = frozenset({
        "app", "connections", "live_connection_count", "max_live_connections", "frames", "acks", "acked",
        "deliveries_of", "delivery_state", "messages", "cards", "card", "card_versions",
        "webhook_replies", "button_presses", "api_calls",
    })

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name in SimulatorThread.ACTIONS:
            action = getattr(self.sim, name)
            return lambda *args, **kwargs: self._call(action(*args, **kwargs))
        if name in SimulatorThread.QUERIES:
            return getattr(self.sim, name)
        raise AttributeError(f"{type(self).__name__!s} has no attribute {name!r}")

    # -- waiting --------------------------------------------------------------------------

    def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0,
                 interval: float = 0.02, message: str = "") -> T:
        """Poll ``predicate`` until it returns something truthy; return that, or TimeoutError."""
        deadline = Deadline(timeout, message)
        while not (value := deadline.check(predicate)):
            time.sleep(interval)
        return value

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
