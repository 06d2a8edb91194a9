"""The end of a wait for a condition, shared by the simulator's waits on its loop and from
another thread (they differ only in how they pause between checks)."""
from __future__ import annotations

import time
from typing import Callable, TypeVar

T = TypeVar("T")


class Deadline:
    def __init__(self, timeout: float, message: str = "") -> None:
        self.timeout = timeout
        self.message = message
        self.end = time.monotonic() + timeout

    def check(self, predicate: Callable[[], T]) -> T:
        """The predicate's value; a falsy one means "check again", and past the end it is a TimeoutError."""
        value = predicate()
        if not value and time.monotonic() >= self.end:
            raise TimeoutError(self.message or f"condition not met within {self.timeout} s")
        return value
