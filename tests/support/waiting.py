"""Waiting for a condition instead of sleeping and hoping: the one wait of the test suite."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(condition: Callable[[], T], timeout: float = 5.0, message: str | Callable[[], str] = "",
               interval: float = 0.02) -> T:
    """Poll `condition` until it returns something truthy and return that; fail the test after `timeout` s.

    `message` says what never happened (a callable is asked only then, so it can show the last state).
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            text = message() if callable(message) else message
            raise AssertionError(text or f"condition not met within {timeout} s")
        time.sleep(interval)
