"""Answers a dead replica left in the journal are finished by a live one. One watch per database
on the loop looks for every robot of this process: with a look per robot, 1,000 idle robots
handed a thousand checks a second to worker threads, a fifth of the loop's time, and during a
burst of questions those hand-offs queued in front of the ACKs.

Each second the watch reads the live replicas as this replica's last heartbeat saw them (no
query); when that set changed, when a robot started watching, and every ORPHAN_SCAN seconds all
the same (an answer whose end could not be written), it reads the replicas fresh (never take a
live replica's work) and claims, in one UPDATE for all its robots, the answers of replicas that
are gone, handing each robot its own.
"""
from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from element_studio.contract import Storage

from . import answer_journal as journal

RECOVERY_SCAN = 1.0  # how often the watch looks whether a replica left the cluster (from the last heartbeat: no query)
ORPHAN_SCAN = 60.0  # and how often it claims orphans all the same

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Robot:
    load_address: Callable[[str], Any]  # the Type's reader of the reply addresses it journaled
    finish: Callable[[list[journal.JournalEntry]], None]  # the robot ends these answers, each in its task


class OrphanWatch:
    """`watch(robot, ...)` while a robot runs, `unwatch(robot)` when it stops; the watch runs while any robot watches."""

    _shared: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple[int, int], OrphanWatch]] = weakref.WeakKeyDictionary()

    def __init__(self, storage: Storage, replicas: journal.Replicas) -> None:
        self.storage = storage
        self.replicas = replicas
        self._robots: dict[str, _Robot] = {}
        self._unclaimed: set[str] = set()  # robots that started watching since the last claim
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def shared(cls, storage: Storage, replicas: journal.Replicas) -> OrphanWatch:
        """The watch of `storage` and `replicas` on the running loop, shared by every robot using both."""
        on_loop = cls._shared.setdefault(asyncio.get_running_loop(), {})
        key = (id(storage), id(replicas))
        if key not in on_loop or on_loop[key].storage is not storage or on_loop[key].replicas is not replicas:
            on_loop[key] = cls(storage, replicas)
        return on_loop[key]

    def watch(self, robot: str, load_address: Callable[[str], Any], finish: Callable[[list[journal.JournalEntry]], None]) -> None:
        self._robots[robot] = _Robot(load_address, finish)
        self._unclaimed.add(robot)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="orphaned answers")

    def unwatch(self, robot: str) -> None:
        self._robots.pop(robot, None)
        self._unclaimed.discard(robot)
        if not self._robots and self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self) -> None:
        seen_live: set[str] | None = None
        claimed_at = time.monotonic()
        while self._robots:
            try:
                live = await asyncio.to_thread(self.replicas.live_replicas)
                everyone = live != seen_live or time.monotonic() - claimed_at >= ORPHAN_SCAN
                if everyone or self._unclaimed:
                    asked = dict(self._robots) if everyone else {name: self._robots[name] for name in self._unclaimed if name in self._robots}
                    self._unclaimed -= set(asked)
                    live = await asyncio.to_thread(self.replicas.live_replicas, True)
                    claimed = await asyncio.to_thread(journal.claim_orphans, self.storage,
                                                      {name: robot.load_address for name, robot in asked.items()},
                                                      live, self.replicas.replica_id)
                    self._hand_out(claimed, asked)
                    if everyone:
                        seen_live, claimed_at = live, time.monotonic()
            except Exception as exc:  # the database may be away for a while: the next look tries again
                log.error("could not claim answers of stopped replicas from the answer journal: %s", exc)
            await asyncio.sleep(RECOVERY_SCAN)

    def _hand_out(self, claimed: dict[str, list[journal.JournalEntry]], asked: dict[str, _Robot]) -> None:
        for name, entries in claimed.items():
            if self._robots.get(name) is not asked[name]:
                continue  # stopped meanwhile: its next start finds these answers as its own
            try:
                asked[name].finish(entries)
            except Exception:  # one robot's failure must not keep the others' answers
                log.exception("%s could not take over its answers from the journal", name)
