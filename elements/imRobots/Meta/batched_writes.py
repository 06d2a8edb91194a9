"""A robot's small writes (journal rows, message-log rows, feedback presses) go to the database
together: whatever arrived while the previous batch was being written is written next, in one
trip to a worker thread and one transaction.

SQLite takes one writer at a time and a waiting writer sleeps in growing steps, so 100 answers
each opening their own transaction took up to 0.7 s to be journaled; a batch takes one lock.
Each write is a function of a Storage (the same plain functions used everywhere else); in a
batch each gets a savepoint of the batch's transaction.
"""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from element_studio.contract import Storage

T = TypeVar("T")
Write = Callable[[Storage], Any]


class _OneTransaction:
    """Looks like the Storage to the write functions, but every `connect()` is a savepoint in
    the batch's transaction (a failing write is undone alone)."""

    def __init__(self, storage: Storage, conn: Any) -> None:
        self._storage = storage
        self._conn = conn

    @contextlib.contextmanager
    def connect(self) -> Iterator[Any]:
        with self._conn.begin_nested():
            yield self._conn

    def __getattr__(self, name: str) -> Any:  # dialect, insert_new ...
        return getattr(self._storage, name)


class BatchedWrites:
    """`await write(fn)` runs `fn(storage)` in the next batch and returns its result (or raises its error)."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._pending: list[tuple[Write, asyncio.Future[Any]]] = []
        self._writer: asyncio.Task[None] | None = None

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
        outcomes: list[tuple[bool, Any]] = []
        with self.storage.connect() as conn:
            batch = _OneTransaction(self.storage, conn)
            for fn in writes:
                try:
                    outcomes.append((True, fn(batch)))
                except Exception as exc:  # one bad write fails alone: its savepoint is rolled back, not the batch
                    outcomes.append((False, exc))
        return outcomes
