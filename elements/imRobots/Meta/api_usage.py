"""Calls to a chat platform's API, counted per app (e.g. a DingTalk clientId) per calendar
month (UTC) and kept in the app's database, so the budget holds across restarts and the robot's
page shows the count.

Every robot of one app in this process shares one counter (`ApiUsage.of`). It counts in memory
and adds what it counted to the database at most every FLUSH_EVERY seconds and when its last
robot stops (reading back the total, which includes other replicas' calls): a crash loses at
most those seconds of counting, never a question.
"""
from __future__ import annotations

import asyncio
import calendar
import logging
import time
from collections.abc import Callable

from sqlalchemy import Column, Integer, PrimaryKeyConstraint, Table, Text, bindparam, exists, insert, select, update

from element_studio.contract import Storage

from .batched_writes import BatchedWrites
from .message_log import metadata
from .robot_status import RobotStatus

FLUSH_EVERY = 5.0

api_usage = Table(
    "api_usage", metadata,
    Column("app_id", Text, nullable=False),
    Column("month", Text, nullable=False),
    Column("calls", Integer, nullable=False),
    PrimaryKeyConstraint("app_id", "month"),
)

_THIS_MONTH = (api_usage.c.app_id == bindparam("of_app", type_=Text), api_usage.c.month == bindparam("of_month", type_=Text))
_STORED = select(api_usage.c.calls).where(*_THIS_MONTH)
_ADD = update(api_usage).where(*_THIS_MONTH).values(calls=api_usage.c.calls + bindparam("added", type_=Integer)).returning(api_usage.c.calls)
_FIRST = insert(api_usage).from_select(["app_id", "month", "calls"], select(
    bindparam("of_app", type_=Text), bindparam("of_month", type_=Text), bindparam("added", type_=Integer)).where(~exists().where(*_THIS_MONTH))
).returning(api_usage.c.calls)

log = logging.getLogger(__name__)


def month_of(epoch: float) -> str:
    """The calendar month (UTC) a moment falls in, as "2026-11"."""
    return time.strftime("%Y-%m", time.gmtime(epoch))


def month_span(epoch: float) -> tuple[float, float]:
    """When the calendar month (UTC) of a moment begins and ends, in epoch seconds."""
    t = time.gmtime(epoch)
    year, month = divmod(t.tm_year * 12 + t.tm_mon, 12)  # the next month, as (year, month 0-11)
    return calendar.timegm((t.tm_year, t.tm_mon, 1, 0, 0, 0)), calendar.timegm((year, month + 1, 1, 0, 0, 0))


def stored_calls(storage: Storage, app_id: str, month: str) -> int:
    with storage.connect() as conn:
        calls = conn.execute(_STORED, {"of_app": app_id, "of_month": month}).scalar()
    return int(calls or 0)


def add_calls(storage: Storage, app_id: str, month: str, calls: int) -> int:
    """Add to a month's count and return the new total (the app's robots on other replicas add
    theirs too, so the total includes their calls).

    Statements built once, an UPDATE and for a month's first count an INSERT ... WHERE NOT
    EXISTS: an upsert (INSERT ... ON CONFLICT) is compiled anew on every call, and a thousand
    robots each save every few seconds. Two replicas counting an app's first call of a month at
    the same moment meet the primary key: one gets the error, and its batch of writes runs
    each write alone (`batched_writes.py`), where this one finds the row."""
    params = {"of_app": app_id, "of_month": month, "added": calls}
    with storage.connect() as conn:
        total = conn.execute(_ADD, params).scalar()
        if total is not None:
            return total
        if conn.execute(_FIRST, params).first() is not None:
            return calls
        return conn.execute(_ADD, params).scalar_one()  # another replica's first count came in between


class ApiUsage:
    """This month's API calls of one app; `count()` on the event loop for every call sent."""

    _shared: dict[tuple[int, str], ApiUsage] = {}

    def __init__(self, storage: Storage, app_id: str, clock: Callable[[], float] = time.time) -> None:
        self.storage = storage
        self.app_id = app_id
        self._clock = clock
        self.month = month_of(clock())
        self._span = month_span(clock())
        self._stored = 0  # this month's count in the database when last read or written
        self._unsaved = 0
        self._saved_at = clock()
        self._saving: asyncio.Task[None] | None = None
        self._users = 0

    @classmethod
    async def of(cls, storage: Storage, app_id: str) -> ApiUsage:
        """The shared counter of an app, loaded from the database; `release()` it when done."""
        key = (id(storage), app_id)
        if key not in cls._shared:
            loaded = cls(storage, app_id)
            loaded._stored = await BatchedWrites.shared(storage).write(lambda batch: stored_calls(batch, app_id, loaded.month))
            cls._shared.setdefault(key, loaded)  # a robot of the same app may have loaded it meanwhile
        usage = cls._shared[key]
        usage._users += 1
        return usage

    @property
    def calls(self) -> int:
        """Calls counted this month, saved or not."""
        self._roll_over()
        return self._stored + self._unsaved

    def count(self, calls: int = 1) -> None:
        self._roll_over()
        self._unsaved += calls
        if self._clock() - self._saved_at >= FLUSH_EVERY and (self._saving is None or self._saving.done()):
            self._saving = asyncio.create_task(self.save(), name=f"api usage of {self.app_id}")

    async def save(self) -> None:
        """Add the unsaved calls to the database (a failure keeps them for the next try)."""
        calls, month = self._unsaved, self.month
        self._saved_at = self._clock()
        if not calls:
            return
        self._unsaved -= calls
        try:
            total = await BatchedWrites.shared(self.storage).write(lambda storage: add_calls(storage, self.app_id, month, calls))
        except Exception as exc:
            log.error("could not save the API call count of %s: %s", self.app_id, exc)
            if month == self.month:
                self._unsaved += calls
            return
        if month == self.month:
            self._stored = total

    async def release(self) -> None:
        """A robot stopped; the last one saves the count and lets the counter go."""
        self._users -= 1
        if self._users <= 0:
            self._shared.pop((id(self.storage), self.app_id), None)
            if self._saving is not None:
                await asyncio.wait({self._saving})
            await self.save()

    def _roll_over(self) -> None:
        """A new month starts from zero (what was unsaved of the old one is saved with it).
        Asked on every API call and question: the month's bounds are kept, not its name made
        each time."""
        now = self._clock()
        if self._span[0] <= now < self._span[1]:
            return
        month, self._span = month_of(now), month_span(now)
        if month == self.month:
            return
        if self._unsaved:
            old_month, calls = self.month, self._unsaved
            asyncio.get_running_loop().run_in_executor(None, add_calls, self.storage, self.app_id, old_month, calls)
        self.month, self._stored, self._unsaved = month, 0, 0


class RobotCalls:
    """One robot's side of its app's counter: `count` for every API call the robot makes, and the
    month's count (with the answer form it leads to) shown on the robot; once stopped, a call
    still ending is not counted."""

    def __init__(self, usage: ApiUsage, status: RobotStatus, form: Callable[[], str]) -> None:
        self.usage: ApiUsage | None = usage
        self.status = status
        self.form = form  # the answer form now (the Answerer's, which the count may change)

    def count(self) -> None:
        if self.usage is not None:
            self.usage.count()
            self.show()

    def show(self) -> None:
        if self.usage is not None:
            self.status.api_usage(self.usage.calls, self.form())

    async def release(self) -> None:
        """The robot stopped (its app's last robot saves the count)."""
        usage, self.usage = self.usage, None
        if usage is not None:
            await usage.release()
