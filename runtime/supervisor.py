"""The supervisor: one asyncio loop in one background thread runs every service instance.

Callers (the CLI, the editor's request threads) use the thread-safe methods; each hands a
coroutine to the loop and waits for its result. A service that fails ends in `error` with its
message and never takes another down.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .app import App
from .errors import ElementError
from .logs import LogEntry, instance_logger, ring_buffer
from .service import InstanceState, InstanceStatus, Service, ServiceContext

ERROR, NEEDS_SETUP, RUNNING = InstanceState.ERROR, InstanceState.NEEDS_SETUP, InstanceState.RUNNING
STARTING, STOPPED, STOPPING = InstanceState.STARTING, InstanceState.STOPPED, InstanceState.STOPPING

T = TypeVar("T")
log = logging.getLogger("element_studio.supervisor")
START_TIMEOUT = 30.0
STOP_TIMEOUT = 4.0
CALL_TIMEOUT = 60.0
WORKER_THREADS = 8  # blocking work (loading, SQLite) off the loop; bounded, not per service


class UnknownInstanceError(KeyError):
    """The supervisor was asked about something that is not a service instance."""

    def __str__(self) -> str:
        return f"{self.args[0]}: not a service instance of this app (robots are; agents load on demand)"


@dataclass
class _Entry:
    full_name: str
    state: InstanceState = STOPPED
    message: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    service: Service | None = None
    missing: tuple[str, ...] = ()
    changed_at: float = field(default_factory=time.time)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Supervisor:
    """Starts, stops and watches the service instances of one App."""

    def __init__(self, app: App, offline_endpoints: Mapping[str, str] | None = None) -> None:
        """`offline_endpoints`: Type fullName -> base URL of its running offline simulator."""
        self.app = app
        self.offline_endpoints = dict(offline_endpoints or {})
        self.loop = asyncio.new_event_loop()
        self.loop.set_default_executor(ThreadPoolExecutor(WORKER_THREADS, thread_name_prefix="element-studio-worker"))
        self._entries: dict[str, _Entry] = {}
        self._listeners: list[Callable[[InstanceStatus], None]] = []
        self._listeners_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run_loop, name="element-studio-loop", daemon=True)
        self._thread.start()
        ring_buffer()

    # the loop thread -------------------------------------------------------------------
    def _run_loop(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()
        self.loop.run_until_complete(self.loop.shutdown_default_executor())
        self.loop.close()

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = CALL_TIMEOUT) -> T:
        """Run `coro` on the supervisor's loop from any other thread and return its result."""
        return self.submit(coro).result(timeout)

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        """Schedule `coro` on the loop without waiting."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    # thread-safe interface --------------------------------------------------------------
    def statuses(self) -> list[InstanceStatus]:
        """Every service instance of the app, in fullName order."""
        return self.call(self._statuses())

    def status(self, full_name: str) -> InstanceStatus:
        return self.call(self._status(full_name))

    def start(self, full_name: str) -> InstanceStatus:
        return self.call(self._start(full_name))

    def stop(self, full_name: str) -> InstanceStatus:
        return self.call(self._stop(full_name))

    def restart(self, full_name: str) -> InstanceStatus:
        return self.call(self._restart(full_name))

    def start_all(self) -> list[InstanceStatus]:
        return self.call(self._each(self._start_known))

    def stop_all(self) -> list[InstanceStatus]:
        return self.call(self._each(self._stop))

    def start_at_boot(self) -> list[InstanceStatus]:
        """Start every instance whose e.json says `backendLoadTime: afterAppInit`."""
        return self.call(self._each(self._start_known, boot_only=True))

    def logs(self, full_name: str, limit: int = 200, after: int = 0) -> list[LogEntry]:
        """Recent log records of one instance (oldest first)."""
        return ring_buffer().recent(full_name, limit, after)

    def subscribe(self, listener: Callable[[InstanceStatus], None]) -> Callable[[], None]:
        """Be told of every status change (called on the loop thread: keep it quick)."""
        with self._listeners_lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._listeners_lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop every service and the loop; returns within about `timeout` seconds."""
        if not self._thread.is_alive():
            return
        deadline = time.monotonic() + timeout
        try:
            self.call(self._each(self._stop), timeout=max(0.5, timeout - 0.5))
        except Exception as exc:  # shutting down anyway: report, then tear the loop down
            log.error("stopping services at shutdown failed: %s", exc)
        self.loop.call_soon_threadsafe(self._cancel_rest)
        self._thread.join(max(0.1, deadline - time.monotonic()))

    def _cancel_rest(self) -> None:
        for task in asyncio.all_tasks(self.loop):
            task.cancel()
        self.loop.call_later(0.2, self.loop.stop)

    # on the loop ------------------------------------------------------------------------
    def _service_names(self) -> list[str]:
        names = []
        for element in self.app.instances():
            try:
                if self.app.is_service(element.full_name):
                    names.append(element.full_name)
            except ElementError:
                continue
        return names

    def _entry(self, full_name: str) -> _Entry:
        if full_name not in self._entries:
            if full_name not in self._service_names():
                raise UnknownInstanceError(full_name)
            self._entries[full_name] = _Entry(full_name)
        return self._entries[full_name]

    async def _statuses(self) -> list[InstanceStatus]:
        return [await self._status(name) for name in self._service_names()]

    async def _status(self, full_name: str) -> InstanceStatus:
        """The entry's state, except: a stopped instance with required fields empty needs setup,
        and a running one whose reference broke since it started (its agent renamed or deleted)
        is in error saying so, never "connected" while it can only apologise."""
        entry = self._entry(full_name)
        if entry.state == STOPPED:
            missing = self._missing_setup(full_name)
            if missing:
                return self._snapshot(entry, NEEDS_SETUP, "", tuple(missing))
        if entry.state == RUNNING:
            broken = self.app.broken_references(full_name)
            if broken:
                return self._snapshot(entry, ERROR, f"{broken[0].where}: {broken[0].message}")
        return self._snapshot(entry)

    def _missing_setup(self, full_name: str) -> list[str]:
        try:
            return self.app.missing_setup(full_name)
        except ElementError:
            return []

    def _snapshot(self, entry: _Entry, state: InstanceState | None = None, message: str | None = None,
                  missing: tuple[str, ...] = ()) -> InstanceStatus:
        element = self.app.elements.get(entry.full_name)
        return InstanceStatus(
            full_name=entry.full_name,
            title=element.title if element else entry.full_name,
            type=element.type if element else "",
            state=state or entry.state,
            message=entry.message if message is None else message,
            detail=dict(entry.detail),
            changed_at=entry.changed_at,
            missing=missing or entry.missing,
            alive=entry.service is not None or entry.state in (STARTING, STOPPING),
        )

    def _set(self, entry: _Entry, state: InstanceState, message: str = "", detail: dict[str, Any] | None = None,
             missing: tuple[str, ...] = ()) -> None:
        entry.state = state
        entry.message = message
        entry.missing = missing
        if detail is not None:
            entry.detail = detail
        entry.changed_at = time.time()
        self._notify(self._snapshot(entry))

    def _notify(self, status: InstanceStatus) -> None:
        with self._listeners_lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(status)
            except Exception:  # a broken listener must not break the supervisor
                log.exception("status listener failed")

    def _reporter(self, entry: _Entry, service: Service) -> Callable[[InstanceState | None, str | None, dict[str, Any]], None]:
        def report(state: InstanceState | None, message: str | None, detail: dict[str, Any]) -> None:
            if entry.service is not service and entry.state != STARTING:
                return
            entry.detail.update(detail)
            if state is not None:
                entry.state = state
            if message is not None:
                entry.message = message
            entry.changed_at = time.time()
            self._notify(self._snapshot(entry))

        return report

    async def _each(self, action, boot_only: bool = False) -> list[InstanceStatus]:
        await asyncio.to_thread(self.app.refresh)
        names = self._service_names()
        if boot_only:
            names = [n for n in names if self.app.elements[n].load_time == "afterAppInit"]
        return list(await asyncio.gather(*(action(n) for n in names)))

    async def _start(self, full_name: str, refresh: bool = True) -> InstanceStatus:
        """Start one service; `refresh` rereads the element folders first (files may have changed)."""
        if refresh:
            await asyncio.to_thread(self.app.refresh)
        entry = self._entry(full_name)
        logger = instance_logger(full_name)
        async with entry.lock:
            if entry.service is not None:  # running, or in error while it retries: already started
                return self._snapshot(entry)
            missing = self._missing_setup(full_name)
            if missing:
                self._set(entry, NEEDS_SETUP, "", {}, tuple(missing))
                logger.warning("not started: needs setup (%s)", ", ".join(missing))
                return self._snapshot(entry)
            self._set(entry, STARTING, "", {})
            started = time.monotonic()
            try:
                service = await asyncio.to_thread(self.app.load_instance, full_name)
                if not isinstance(service, Service):
                    raise TypeError(f"{full_name}: the Type's Loader.load() returned {type(service).__name__}, not a service with start() and stop()")
                entry.service = service
                type_name = self.app.chain(full_name)[1].full_name
                context = ServiceContext(full_name, self.app, logger, self._reporter(entry, service),
                                         self.offline_endpoints.get(type_name))
                await asyncio.wait_for(service.start(context), START_TIMEOUT)
            except Exception as exc:
                message = str(exc) or type(exc).__name__
                logger.error("failed to start: %s", message)
                await self._discard(entry)
                self._set(entry, ERROR, message)
                return self._snapshot(entry)
            self.app.adopt_running(full_name, service)
            if entry.state == STARTING:
                self._set(entry, RUNNING, entry.message)
            logger.info("started in %.0f ms", (time.monotonic() - started) * 1000)
            return self._snapshot(entry)

    async def _start_known(self, full_name: str) -> InstanceStatus:
        """Start without rereading the folders: `_each` just did, once for all."""
        return await self._start(full_name, refresh=False)

    async def _stop(self, full_name: str) -> InstanceStatus:
        entry = self._entry(full_name)
        async with entry.lock:
            if entry.service is None:
                if entry.state != STOPPED:
                    self._set(entry, STOPPED, "", {})
                return await self._status(full_name)
            self._set(entry, STOPPING, "")
            await self._discard(entry)
            self._set(entry, STOPPED, "", {})
            instance_logger(full_name).info("stopped")
            return self._snapshot(entry)

    async def _discard(self, entry: _Entry) -> None:
        service, entry.service = entry.service, None
        self.app.release_running(entry.full_name)
        if service is None:
            return
        try:
            await asyncio.wait_for(service.stop(), STOP_TIMEOUT)
        except Exception as exc:
            instance_logger(entry.full_name).error("stop did not finish cleanly: %s", str(exc) or type(exc).__name__)

    async def _restart(self, full_name: str) -> InstanceStatus:
        await self._stop(full_name)
        return await self._start(full_name)
