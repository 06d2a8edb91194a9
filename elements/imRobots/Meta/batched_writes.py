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
"""
from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import Callable, Iterator
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


class _WriteFailed(Exception):
    """A write of a batch without savepoints raised: roll the batch back and run it again with them."""


class BatchedWrites:
    """`await write(fn)` runs `fn(storage)` in the next batch and returns its result (or raises its error).
    `fn` may only read, too: 1,000 robots reading their journal and call count as they start
    share a few transactions instead of making 2,000 trips to a worker thread."""

    _shared: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, BatchedWrites]] = weakref.WeakKeyDictionary()

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._pending: list[tuple[Write, asyncio.Future[Any]]] = []
        self._writer: asyncio.Task[None] | None = None

    @classmethod
    def shared(cls, storage: Storage) -> BatchedWrites:
        """The batcher of `storage` on the running loop, shared by every robot using both."""
        on_loop = cls._shared.setdefault(asyncio.get_running_loop(), {})
        if id(storage) not in on_loop:  # the batcher keeps its storage alive, so the id stays its own
            on_loop[id(storage)] = cls(storage)
        return on_loop[id(storage)]

    async def write(self, fn: Callable[[Storage], T]) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending.append((fn, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_batches(), name="batched writes")
        return await future

    async def _write_batches(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                outcomes = await asyncio.to_thread(self._in_one_transaction, [fn for fn, _ in batch])
            except Exception as exc:  # the transaction itself failed: every write in it did
                outcomes = [(False, exc)] * len(batch)
            for (_, future), (ok, value) in zip(batch, outcomes):
                if future.done():
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)

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
