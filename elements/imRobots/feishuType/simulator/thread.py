"""The Feishu simulator in a background thread, with blocking methods: for the offline default,
the editor's playground (the chat methods the family's playground calls) and tests.

Actions run on the simulator's own loop and are waited for; queries read the recorder, which
is thread-safe.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from .server import FeishuSimulator

T = TypeVar("T")
CALL_TIMEOUT = 10.0


class FeishuSimulatorThread:
    """A FeishuSimulator on its own loop in the daemon thread `feishu-simulator`."""

    ACTIONS = frozenset({"send_message", "press_button", "drop_connection", "freeze", "redeliver"})
    QUERIES = frozenset({"app", "register_app", "set_card_permission", "revoke_tokens", "connections", "live_connection_count",
                         "messages", "deliveries", "delivery_of", "cards", "card", "webhook_replies", "button_presses", "api_calls"})

    def __init__(self, apps: Mapping[str, str] | None = None, **options: Any) -> None:
        self.sim = FeishuSimulator(apps, **options)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Event | None = None

    def start(self) -> FeishuSimulatorThread:
        """Start the thread; returns once the simulator listens (or raises why it cannot)."""
        started: concurrent.futures.Future[None] = concurrent.futures.Future()

        async def main() -> None:
            self._loop, self._stopped = asyncio.get_running_loop(), asyncio.Event()
            try:
                await self.sim.start()
            except BaseException as exc:
                started.set_exception(exc)
                return
            started.set_result(None)
            await self._stopped.wait()
            await self.sim.stop()

        self._thread = threading.Thread(target=asyncio.run, args=(main(),), name="feishu-simulator", daemon=True)
        self._thread.start()
        try:
            started.result(CALL_TIMEOUT)
        except BaseException:
            self._thread.join(CALL_TIMEOUT)
            self._thread = None
            raise
        return self

    def stop(self) -> None:
        """Stop listening and end the thread."""
        if self._thread is None or self._loop is None or self._stopped is None:
            return
        self._loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join(CALL_TIMEOUT)
        self._thread = None

    def __enter__(self) -> FeishuSimulatorThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return self.sim.base_url

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name in FeishuSimulatorThread.ACTIONS:
            return lambda *args, **kwargs: self._on_loop(getattr(self.sim, name), *args, **kwargs)
        if name in FeishuSimulatorThread.QUERIES:
            return getattr(self.sim, name)
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def _on_loop(self, action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run an action (a coroutine function or not) on the simulator's loop; its result or exception."""
        if self._loop is None:
            raise RuntimeError("the Feishu simulator is not running")

        async def call() -> Any:
            result = action(*args, **kwargs)
            return await result if asyncio.iscoroutine(result) else result

        return asyncio.run_coroutine_threadsafe(call(), self._loop).result(CALL_TIMEOUT)
