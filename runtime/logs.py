"""Per-instance log records: a ring buffer the editor reads, stdout for `run`, all redacted.

Every instance logs through `instance_logger(fullName)`; the handlers installed here are the
only way records leave the process, and each passes through the redactor first.
"""
from __future__ import annotations

import logging
import sys
import threading
from collections import deque
from dataclasses import dataclass, replace

from .redaction import redactor

ROOT_LOGGER = "element_studio"
INSTANCE_PREFIX = f"{ROOT_LOGGER}.instance."
RING_SIZE = 500


@dataclass(frozen=True)
class LogEntry:
    """One log line as the editor shows it."""

    seq: int
    time: float
    level: str
    instance: str
    message: str


def instance_logger(full_name: str) -> logging.Logger:
    """The logger whose records are kept for `full_name`."""
    return logging.getLogger(INSTANCE_PREFIX + full_name)


class RedactionFilter(logging.Filter):
    """Rewrites each record's message (and traceback) without secrets, once, before any handler.
    An exception whose class says `log_traceback = False` (ElementError, an agent's AgentError)
    is already one clear line in the message: its traceback is left out."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "_redacted", False):
            record.msg = redactor.redact(record.getMessage())
            record.args = None
            if record.exc_info and getattr(record.exc_info[1], "log_traceback", True):
                record.exc_text = redactor.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
            record._redacted = True
        return True


class RingBufferHandler(logging.Handler):
    """Keeps the last RING_SIZE records per instance and tells listeners of new ones."""

    def __init__(self) -> None:
        super().__init__()
        self._buffers: dict[str, deque[LogEntry]] = {}
        self._seq = 0
        self._lock_ring = threading.Lock()
        self.addFilter(RedactionFilter())

    def emit(self, record: logging.LogRecord) -> None:
        name = record.name
        instance = name[len(INSTANCE_PREFIX):] if name.startswith(INSTANCE_PREFIX) else ""
        message = record.getMessage()
        if record.exc_text:
            message = f"{message}\n{record.exc_text}"
        with self._lock_ring:
            self._seq += 1
            entry = LogEntry(self._seq, record.created, record.levelname, instance, message)
            self._buffers.setdefault(instance, deque(maxlen=RING_SIZE)).append(entry)

    def rename(self, old: str, new: str) -> None:
        """An instance was renamed: its records so far are the new name's (its Logs keep them)."""
        with self._lock_ring:
            moved = [replace(e, instance=new) for e in self._buffers.pop(old, ())]
            if moved:
                merged = sorted([*self._buffers.get(new, ()), *moved], key=lambda e: e.seq)
                self._buffers[new] = deque(merged, maxlen=RING_SIZE)

    def recent(self, instance: str, limit: int = RING_SIZE, after: int = 0) -> list[LogEntry]:
        """The newest `limit` records of `instance` with a sequence number above `after`."""
        with self._lock_ring:
            entries = [e for e in self._buffers.get(instance, ()) if e.seq > after]
        return entries[-limit:]


_ring: RingBufferHandler | None = None
_setup_lock = threading.Lock()


def ring_buffer() -> RingBufferHandler:
    """The process-wide ring buffer, installed on first use."""
    global _ring
    with _setup_lock:
        if _ring is None:
            _ring = RingBufferHandler()
            root = logging.getLogger(ROOT_LOGGER)
            root.addHandler(_ring)
            root.setLevel(logging.DEBUG)
        return _ring


def log_to_stdout(level: int = logging.INFO) -> None:
    """Print every element_studio record, redacted, for the headless runtime."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setLevel(level)
    handler.addFilter(RedactionFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    logging.getLogger(ROOT_LOGGER).addHandler(handler)
