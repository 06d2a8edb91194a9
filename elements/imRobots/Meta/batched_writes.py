"""The robots' small writes (journal rows, message-log rows, feedback presses, API call counts)
go to the database together: whatever arrived while the previous batch was being written is
written next, in one trip to a worker thread and one transaction.

SQLite takes one writer at a time and a waiting writer sleeps in growing steps, so 100 answers
each opening their own transaction took up to 0.7 s to be journaled; a batch takes one lock.
Every robot on one loop shares one batcher per database (`BatchedWrites.shared`): with one per
robot, 1,000 robots answering at once kept eight worker threads waiting on SQLite's lock and
taking the interpreter lock from the loop that reads and ACKs their frames.
Each write is a function of a Storage (the same plain functions used everywhere else). A batch
first runs them all in its one transaction; when one raises, the transaction is rolled back and
the batch runs again with a savepoint around each `connect()`, so the failing write fails alone
(a savepoint per write doubled the cost of the batch, and writes rarely fail). So a write may
run twice and must not catch a database error itself (on PostgreSQL the transaction is
unusable after one): it lets it rise.

Writes of the same kind from many robots (`write_together`) become one statement of many rows:
in a burst of a thousand questions, a statement per question kept the worker thread running
Python for 65 ms, and each time the loop let go of the interpreter lock (a socket read, a
send) it waited for the worker to give it back.
"""
from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from element_studio.contract import Storage

T = TypeVar("T")
Write = Callable[[Storage], Any]


class _OneTransaction:
    """Looks like the Storage to the write functions, but every `connect()` is the batch's
    transaction (with `savepoints`: a savepoint in it, so a failing write is undone alone)."""

    def __init__(self, storage: Storage, conn: Any, savepoints: bool) -> None:
        self._storage = storage
        self._conn = conn
        self._savepoints = savepoints

    @contextlib.contextmanager
    def connect(self) -> Iterator[Any]:
        if not self._savepoints:
            yield self._conn
            return
        with self._conn.begin_nested():
            yield self._conn

    def __getattr__(self, name: str) -> Any:  # dialect, insert_new ...
        return getattr(self._storage, name)


@dataclass(frozen=True)
class _Together:
    """An item for a function that writes every item of a batch given to it at once."""

    write: Callable[[Storage, list[Any]], list[Any]]
    item: Any


@dataclass
class _Unit:
    """One write of a batch's transaction and the futures waiting for it: a plain write's one,
    or every item's of a `write_together` function (then the write returns a list)."""

    write: Write
    futures: list[asyncio.Future[Any]]
    together: bool = False


def _units(batch: list[tuple[Write | _Together, asyncio.Future[Any]]]) -> list[_Unit]:
    """The batch as writes, in order; the items of one `write_together` function gathered into
    one write where its first item was."""
    units: list[_Unit] = []
    gathered: dict[Any, tuple[list[Any], _Unit]] = {}
    for write, future in batch:
        if not isinstance(write, _Together):
            units.append(_Unit(write, [future]))
            continue
        if write.write not in gathered:
            items: list[Any] = []
            unit = _Unit(functools.partial(_write_all, write.write, items), [], together=True)
            gathered[write.write] = (items, unit)
            units.append(unit)
        items, unit = gathered[write.write]
        items.append(write.item)
        unit.futures.append(future)
    return units


def _write_all(write: Callable[[Storage, list[Any]], list[Any]], items: list[Any], storage: Storage) -> list[Any]:
    return write(storage, items)


def _settle(units: list[_Unit], outcomes: list[tuple[bool, Any]]) -> None:
    """On the loop: each waiting write gets its result or error."""
    for unit, (ok, value) in zip(units, outcomes):
        if ok and unit.together and (not isinstance(value, list) or len(value) != len(unit.futures)):
            ok, value = False, TypeError(f"{unit.write} returned {value!r}, not one result per item")
        results = value if ok and unit.together else [value] * len(unit.futures)
        for future, result in zip(unit.futures, results):
            if future.done():
                continue
            if ok:
                future.set_result(result)
            else:
                future.set_exception(result)


class _WriteFailed(Exception):
    """A write of a batch without savepoints raised: roll the batch back and run it again with them."""


class BatchedWrites:
    """`await write(fn)` runs `fn(storage)` in the next batch and returns its result (or raises its error).
    `fn` may only read, too: 1,000 robots reading their journal and call count as they start
    share a few transactions instead of making 2,000 trips to a worker thread."""

    _shared: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, BatchedWrites]] = weakref.WeakKeyDictionary()

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._pending: list[tuple[Write | _Together, asyncio.Future[Any]]] = []
        self._lock = threading.Lock()  # the loop adds to `_pending`, the worker thread takes from it
        self._writing = False

    @classmethod
    def shared(cls, storage: Storage) -> BatchedWrites:
        """The batcher of `storage` on the running loop, shared by every robot using both."""
        on_loop = cls._shared.setdefault(asyncio.get_running_loop(), {})
        if id(storage) not in on_loop:  # the batcher keeps its storage alive, so the id stays its own
            on_loop[id(storage)] = cls(storage)
        return on_loop[id(storage)]

    async def write(self, fn: Callable[[Storage], T]) -> T:
        return await self._queue(fn)

    async def write_together(self, together: Callable[[Storage, list[Any]], list[T]], item: Any) -> T:
        """`together(storage, items)` runs once for this item and every other item the batch has
        for the same function, and returns a result per item, in order: one statement of many
        rows for a thousand questions journaled at once, not a thousand statements."""
        return await self._queue(_Together(together, item))

    async def _queue(self, write: Write | _Together) -> Any:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        with self._lock:
            self._pending.append((write, future))
            start, self._writing = not self._writing, True
        if start:
            loop.run_in_executor(None, self._write_batches, loop)
        return await future

    def _write_batches(self, loop: asyncio.AbstractEventLoop) -> None:
        """On a worker thread, one batch after the other until none is pending: the next batch
        begins the moment the last one is written, not when the loop gets round to it (during a
        burst the loop's turns are long, and each wait held back every ACK of the next batch)."""
        while True:
            with self._lock:
                batch, self._pending = self._pending, []
                if not batch:
                    self._writing = False
                    return
            units = _units(batch)
            try:
                outcomes = self._in_one_transaction([unit.write for unit in units])
            except Exception as exc:  # the transaction itself failed: every write in it did
                outcomes = [(False, exc)] * len(units)
            try:
                loop.call_soon_threadsafe(_settle, units, outcomes)
            except RuntimeError:  # the loop is closed: nobody waits for these any more
                pass

    def _in_one_transaction(self, writes: list[Write]) -> list[tuple[bool, Any]]:
        try:
            with self.storage.connect() as conn:
                batch = _OneTransaction(self.storage, conn, savepoints=False)
                results = []
                for fn in writes:
                    try:
                        results.append(fn(batch))
                    except Exception as exc:
                        raise _WriteFailed() from exc
            return [(True, result) for result in results]
        except _WriteFailed:
            pass
        outcomes: list[tuple[bool, Any]] = []
        with self.storage.connect() as conn:
            batch = _OneTransaction(self.storage, conn, savepoints=True)
            for fn in writes:
                try:
                    outcomes.append((True, fn(batch)))
                except Exception as exc:  # one bad write fails alone: its savepoint is rolled back, not the batch
                    outcomes.append((False, exc))
        return outcomes
