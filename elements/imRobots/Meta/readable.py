"""A platform's callback read by its Type, or skipped: a malformed message or press must not
stop the robot, so what cannot be read is logged (what it was and why) and left unanswered."""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
UNREAD: Any = object()  # `unread` for a caller whose `parse` may itself give None


def readable(parse: Callable[[], T], what: str, log: logging.Logger, unread: Any = None) -> T:
    """What `parse()` read, or `unread` when it raised (logged as "ignored <what> that cannot be read")."""
    try:
        return parse()
    except Exception as exc:
        log.warning("ignored %s that cannot be read: %s: %s", what, type(exc).__name__, exc)
        return unread
