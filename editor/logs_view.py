"""Live logs of one instance: the ring buffer's recent records, then new ones as they come.

The list ends in a hidden poller that asks for records after the newest one it has
(`after=<seq>`) every second; the answer is 204 until there are some, then the new lines and a
new poller (same thread-cost reasoning as editor/live_status.py). The level filter is a
minimum level, applied here. The runtime redacts every record before it reaches the buffer,
so the page shows records as they are.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, Response, make_response, render_template, request

from element_studio.runtime.logs import RING_SIZE, LogEntry

from .i18n import N_
from .instances import header_context
from .pages import Page, Tab
from .studio import studio

bp = Blueprint("logs", __name__, url_prefix="/instances/<name>/logs")
LEVELS = (("DEBUG", N_("All levels")), ("INFO", N_("Info and up")), ("WARNING", N_("Warnings and errors")), ("ERROR", N_("Errors only")))
LEVEL_NUMBERS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}
DEFAULT_LEVEL = "DEBUG"
POLL_EVERY_MS = 1000


@dataclass(frozen=True)
class LogLine:
    """A record as the page shows it."""

    seq: int
    level: str
    message: str
    time: float

    @property
    def clock(self) -> str:
        return datetime.fromtimestamp(self.time).strftime("%H:%M:%S")

    @property
    def stamp(self) -> str:
        return datetime.fromtimestamp(self.time).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def chosen_level() -> str:
    level = request.args.get("level", DEFAULT_LEVEL).upper()
    return level if level in dict(LEVELS) else DEFAULT_LEVEL


def at_least(entries: list[LogEntry], level: str) -> list[LogLine]:
    """The entries at `level` or above (CRITICAL counts with ERROR; an unknown level as INFO)."""
    floor = LEVEL_NUMBERS[level]
    return [LogLine(e.seq, e.level, e.message, e.time) for e in entries if LEVEL_NUMBERS.get(e.level, 20) >= floor]


def newest_seq(entries: list[LogEntry], after: int) -> int:
    return max((e.seq for e in entries), default=after)


def _recent_lines(name: str) -> dict:
    """The recent records at the chosen level, and where the live tail goes on from."""
    studio().instance(name)
    level = chosen_level()
    entries = studio().supervisor.logs(name, limit=RING_SIZE)
    return {"level": level, "lines": at_least(entries, level), "after": newest_seq(entries, 0), "every": POLL_EVERY_MS}


@bp.get("/")
def index(name: str) -> str:
    """The Logs tab: level filter, the recent records, and the live tail."""
    return render_template("logs/index.html", levels=LEVELS, **_recent_lines(name), **header_context(name))


@bp.get("/lines")
def lines(name: str) -> str:
    """The whole list again, for another level."""
    return render_template("logs/_lines.html", name=name, **_recent_lines(name))


@bp.get("/tail")
def tail(name: str) -> Response:
    """Records after `after` (204 when there are none): new lines, then the next poller."""
    studio().instance(name)
    level = chosen_level()
    after = request.args.get("after", "0")
    after_seq = int(after) if after.isdigit() else 0
    entries = studio().supervisor.logs(name, limit=RING_SIZE, after=after_seq)
    if not entries:
        return Response(status=204)
    return make_response(render_template("logs/_tail.html", name=name, level=level, lines=at_least(entries, level),
                                         after=newest_seq(entries, after_seq), every=POLL_EVERY_MS))


page = Page(bp, instance_tab=Tab(N_("Logs"), "logs.index"))
