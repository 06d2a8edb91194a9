"""The supervisor: one asyncio loop in one background thread runs every service instance.

Callers (the CLI, the editor's request threads) use the thread-safe methods; each hands a
coroutine to the loop and waits for its result. A service that fails ends in `error` with its
message and never takes another down.

The supervisor is also this process's replica of the app's cluster (see cluster.py): start,
stop and restart are recorded as commands every replica applies, and once `start_at_boot` has
joined the cluster a heartbeat renews this replica's leases and applies the others' commands.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .app import App
from . import collector
from .cluster import HEARTBEAT_SECONDS, IN_FLIGHT_DETAIL, RESTART, START, STOP, Cluster, ClusterMode, Command, Lease, Wakeup
from .errors import ElementError, NeedsSetupError
from .logs import LogEntry, instance_logger, ring_buffer
from .resolution import INSTANCE
from .service import InstanceState, InstanceStatus, Service, ServiceContext

ERROR, NEEDS_SETUP, RUNNING = InstanceState.ERROR, InstanceState.NEEDS_SETUP, InstanceState.RUNNING
STARTING, STOPPED, STOPPING = InstanceState.STARTING, InstanceState.STOPPED, InstanceState.STOPPING

T = TypeVar("T")
log = logging.getLogger("element_studio.supervisor")
START_TIMEOUT = 30.0
START_CONCURRENCY = 64  # services starting at once at boot
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
    loaded_at: float = 0.0  # when its files were last read for a start (epoch seconds)
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
        self.cluster = Cluster(lambda: app.storage)
        self._applied: dict[str, int] = {}  # the last command number applied, per instance
        self._gave_up: dict[str, int] = {}  # single-owner instances that failed to start, at which command number
        self._coordinator: asyncio.Task | None = None
        self._wakeup: Wakeup | None = None
        self._wake = asyncio.Event()
        self._commands_lock = asyncio.Lock()  # a command recorded here is never applied twice by the heartbeat
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
        """Start the instance on every replica (a single-owner one: on the replica that gets its lease)."""
        return self.call(self._command(full_name, START))

    def stop(self, full_name: str) -> InstanceStatus:
        return self.call(self._command(full_name, STOP))

    def restart(self, full_name: str) -> InstanceStatus:
        return self.call(self._command(full_name, RESTART))

    def start_all(self) -> list[InstanceStatus]:
        return self.call(self._each(self._start_command))

    def stop_all(self) -> list[InstanceStatus]:
        return self.call(self._each(self._stop_command))

    def start_at_boot(self) -> list[InstanceStatus]:
        """Join the cluster and start what should run: what the last command says, else every
        instance whose e.json says `backendLoadTime: afterAppInit`; the collector pauses
        meanwhile, and what they made to run is then left out of its full passes (`collector.py`)."""
        with collector.paused():  # frozen before the collector runs again: its first young pass would walk all of it
            statuses = self.call(self._boot())
            collector.freeze_long_lived()
        return statuses

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
            self.call(self._leave(), timeout=max(0.5, timeout - 0.5))
        except Exception as exc:  # shutting down anyway: report, then tear the loop down
            log.error("stopping services at shutdown failed: %s", exc)
        self.loop.call_soon_threadsafe(self._cancel_rest)
        self._thread.join(max(0.1, deadline - time.monotonic()))
        collector.thaw()

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
            if not self._is_service(full_name):
                raise UnknownInstanceError(full_name)
            self._entries[full_name] = _Entry(full_name)
        return self._entries[full_name]

    def _is_service(self, full_name: str) -> bool:
        """Whether `full_name` is one of `_service_names()`, without listing them all (1,000
        robots starting asked for the whole list 1,000 times)."""
        try:
            return self.app.kind(full_name) == INSTANCE and self.app.is_service(full_name)
        except ElementError:
            return False

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

    async def _each(self, action) -> list[InstanceStatus]:
        await asyncio.to_thread(self.app.refresh)
        return list(await asyncio.gather(*(action(n) for n in self._service_names())))

    async def _start(self, full_name: str, refresh: bool = True) -> InstanceStatus:
        """Start one service; `refresh` rereads the element folders first (files may have changed)."""
        if refresh:
            await asyncio.to_thread(self.app.refresh)
        entry = self._entry(full_name)
        logger = instance_logger(full_name)
        async with entry.lock:
            if entry.service is not None:  # running, or in error while it retries: already started
                return self._snapshot(entry)
            started = time.monotonic()
            entry.loaded_at = time.time()
            try:  # in a worker thread: it reads files (the needs-setup check is part of loading)
                service = await asyncio.to_thread(self.app.load_instance, full_name)
            except NeedsSetupError as exc:
                self._set(entry, NEEDS_SETUP, "", {}, exc.missing)
                logger.warning("not started: needs setup (%s)", ", ".join(exc.missing))
                return self._snapshot(entry)
            except Exception as exc:
                return await self._failed(entry, exc, {})
            self._set(entry, STARTING, "", {})
            try:
                if not isinstance(service, Service):
                    raise TypeError(f"{full_name}: the Type's Loader.load() returned {type(service).__name__}, not a service with start() and stop()")
                entry.service = service
                type_name = self.app.chain(full_name)[1].full_name
                context = ServiceContext(full_name, self.app, logger, self.cluster, self._reporter(entry, service),
                                         self.offline_endpoints.get(type_name))
                await asyncio.wait_for(service.start(context), START_TIMEOUT)
            except Exception as exc:
                return await self._failed(entry, exc)
            self.app.adopt_running(full_name, service)
            if entry.state == STARTING:
                self._set(entry, RUNNING, entry.message)
            logger.info("started in %.0f ms", (time.monotonic() - started) * 1000)
            return self._snapshot(entry)

    async def _failed(self, entry: _Entry, exc: Exception, detail: dict[str, Any] | None = None) -> InstanceStatus:
        """A start that failed ends in error with its message (and lets go of what it had)."""
        message = str(exc) or type(exc).__name__
        instance_logger(entry.full_name).error("failed to start: %s", message)
        await self._discard(entry)
        self._set(entry, ERROR, message, detail)
        return self._snapshot(entry)

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

    def reload_changed(self) -> list[str]:
        """Files changed on disk (the editor, a person, a deploy): restart, on this replica only,
        each running instance whose files changed since it started, once its new files check out;
        a broken change leaves it running and says why in its log. Returns the restarted names."""
        return self.call(self._reload_changed())

    async def _reload_changed(self) -> list[str]:
        await asyncio.to_thread(self.app.refresh)
        restarted = []
        for entry in list(self._entries.values()):
            name = entry.full_name
            if entry.service is None or name not in self.app.elements or self.app.files_changed_at(name) <= entry.loaded_at:
                continue
            try:
                await asyncio.to_thread(self.app.check_instance, name)
            except ElementError as exc:
                instance_logger(name).error("its files changed but cannot be used, so it keeps running as it was: %s", exc)
                continue
            instance_logger(name).info("its files changed: restarting with them")
            await self._restart(name)
            restarted.append(name)
        return restarted

    # the cluster ------------------------------------------------------------------------
    def mode(self, full_name: str) -> ClusterMode:
        """What the instance's Type declares (`cluster_mode`); one owner unless it says otherwise.
        Every start and every heartbeat asks, for each of up to a thousand instances: cheap, as a
        Type package imported before is looked up without touching its files (`type_loading`)."""
        try:
            declared = self.app.hook(self.app.chain(full_name)[1].full_name, "cluster_mode")
        except ElementError:
            declared = None
        return ClusterMode(declared) if declared else ClusterMode.ONE_OWNER

    async def _command(self, full_name: str, action: str, refresh: bool = True) -> InstanceStatus:
        """Record an operator's command for every replica, then apply it here."""
        if refresh:
            await asyncio.to_thread(self.app.refresh)
        self._entry(full_name)
        async with self._commands_lock:
            self._applied[full_name] = await asyncio.to_thread(self.cluster.command, full_name, action)
        self._gave_up.pop(full_name, None)
        return await self._apply(full_name, action)

    async def _start_command(self, full_name: str) -> InstanceStatus:
        return await self._command(full_name, START, refresh=False)

    async def _stop_command(self, full_name: str) -> InstanceStatus:
        return await self._command(full_name, STOP, refresh=False)

    async def _apply(self, full_name: str, action: str, refresh: bool = True) -> InstanceStatus:
        """Do what a command asks of this replica: a single-owner instance only runs here while
        this replica holds its lease."""
        if action == STOP:
            status = await self._stop(full_name)
            if self.mode(full_name) == ClusterMode.ONE_OWNER:
                await asyncio.to_thread(self.cluster.release, full_name)
            return status
        if self.mode(full_name) == ClusterMode.EVERY_REPLICA:
            return await (self._restart(full_name) if action == RESTART else self._start(full_name, refresh))
        entry = self._entry(full_name)
        if entry.service is None and await asyncio.to_thread(self.cluster.acquire, full_name) is None:
            self._set(entry, STOPPED, "standby: another replica runs it")
            return self._snapshot(entry)
        status = await (self._restart(full_name) if action == RESTART and entry.service else self._start(full_name, refresh))
        if not status.alive:  # it cannot start here; another replica may try once
            await asyncio.to_thread(self.cluster.release, full_name)
            self._gave_up[full_name] = self._applied.get(full_name, 0)
        return status

    async def _boot(self) -> list[InstanceStatus]:
        await asyncio.to_thread(self.app.refresh)
        # alive before anything runs: work a service records under this replica's id is never taken for a dead replica's
        await asyncio.to_thread(self.cluster.heartbeat, {})
        commands = await asyncio.to_thread(self.cluster.commands)
        names = self._service_names()
        wanted = []
        for name in names:
            command = commands.get(name)
            self._applied[name] = command.version if command else 0
            wanted.append(self._wanted(name, command))
        statuses = await self._bounded(self._boot_one, list(zip(names, wanted)))
        self._join()
        return statuses

    async def _boot_one(self, name_wanted: tuple[str, bool]) -> InstanceStatus:
        name, wanted = name_wanted
        return await self._apply(name, START, refresh=False) if wanted else await self._status(name)

    async def _bounded(self, action: Callable[[T], Awaitable[InstanceStatus]], items: list[T]) -> list[InstanceStatus]:
        """`action` on every item, at most START_CONCURRENCY at once, the statuses in `items`' order.

        One after another, 1,000 robots took 7 s to start: each start mostly waits (its files
        read in a worker thread, its lease, its first database read), and that waiting overlaps.
        Bounded, so a thousand starts do not all queue for the worker threads at once; a slow
        start (up to START_TIMEOUT) holds one place, never the others."""
        places = asyncio.Semaphore(START_CONCURRENCY)

        async def one(item: T) -> InstanceStatus:
            async with places:
                return await action(item)

        return list(await asyncio.gather(*(one(item) for item in items)))

    def _wanted(self, full_name: str, command: Command | None) -> bool:
        """Whether the instance should run: the last command says so, or none was given and it starts with the app."""
        if command is not None:
            return command.action != STOP
        return self.app.elements[full_name].load_time == "afterAppInit"

    def _join(self) -> None:
        """Begin heartbeating and following the other replicas' commands."""
        if self._coordinator is not None:
            return
        storage = self.app.storage
        if storage.dialect == "postgresql":
            self._wakeup = Wakeup(storage, lambda: self.loop.call_soon_threadsafe(self._wake.set))
        self._coordinator = self.loop.create_task(self._coordinate(), name="cluster")

    async def _coordinate(self) -> None:
        while True:
            try:
                await self._tick()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database may be away for a while: keep running, say so
                log.error("cluster heartbeat failed (retrying): %s", str(exc) or type(exc).__name__)
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), HEARTBEAT_SECONDS)
            except TimeoutError:
                pass

    async def _tick(self) -> None:
        """One heartbeat: say what runs here, stop what lost its lease, apply new commands, take over orphans."""
        running = {name: {"state": entry.state.value, IN_FLIGHT_DETAIL: entry.detail.get(IN_FLIGHT_DETAIL, 0)}
                   for name, entry in self._entries.items() if entry.service is not None or entry.state in (STARTING, STOPPING)}
        leases = await asyncio.to_thread(self.cluster.heartbeat, running)
        commands = await asyncio.to_thread(self.cluster.commands)
        for name in self._service_names():
            await self._follow(name, leases.get(name), commands.get(name))

    async def _follow(self, name: str, lease: Lease | None, command: Command | None) -> None:
        entry = self._entry(name)
        single = self.mode(name) == ClusterMode.ONE_OWNER
        if single and entry.service is not None and (lease is None or lease.owner != self.cluster.replica_id):
            instance_logger(name).warning("stopped: another replica took over (this replica's lease ended)")
            await self._stop(name)
        async with self._commands_lock:
            fresh = command is not None and command.version > self._applied.get(name, 0)
            if fresh:
                self._applied[name] = command.version
        if fresh:
            self._gave_up.pop(name, None)
            await self._apply(name, command.action, refresh=False)
            return
        orphaned = lease is None or lease.renewed_at < time.time() - self.cluster.expiry
        if (single and entry.service is None and orphaned and self._wanted(name, command)
                and self._gave_up.get(name) != self._applied.get(name, 0)):
            await self._apply(name, START, refresh=False)

    async def _leave(self) -> None:
        """Stop heartbeating, stop every service here and hand the leases back at once."""
        if self._coordinator is not None:
            self._coordinator.cancel()
            self._coordinator = None
        if self._wakeup is not None:
            await asyncio.to_thread(self._wakeup.stop)
            self._wakeup = None
        await self._each(self._stop)
        await asyncio.to_thread(self.cluster.leave)
