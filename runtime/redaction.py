"""The one place secrets are removed from text: log records, diagnostics, error pages.

Known secret values (config secrets, tickets, access tokens) are registered as they appear;
patterns catch token-shaped values in URLs and headers we never registered. The set of known
values is bounded (oldest forgotten first), since every reconnect brings a new ticket.
"""
from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable

MASK = "***"
MIN_SECRET_LENGTH = 4
MAX_KNOWN_SECRETS = 5000
PATTERNS = [
    re.compile(r"(?i)(ticket=)[^&\s'\"]+"),
    # a secret-named field and its value; not "config.json field apiKey: variable X is not set" (an error naming the field)
    re.compile(r"(?i)(?<!field )\b((?:[\w-]*access[-_]?token|\w*secret|apiKey|api_key)[\"']?\s*[:=]\s*[\"']?)[^\s'\",&}]+"),
    re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?bearer\s+)[^\s'\",}]+"),
    re.compile(r"([a-z][a-z0-9+.-]*://[^:/@\s'\"]+:)[^@/\s'\"]+(?=@)"),  # the password in scheme://user:password@host
]


class Redactor:
    """Replaces registered secret values and secret-looking fields with ***."""

    def __init__(self, capacity: int = MAX_KNOWN_SECRETS) -> None:
        self._secrets: OrderedDict[str, None] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()
        self._longest_first: tuple[str, ...] = ()

    def add(self, *values: str | None) -> None:
        """Register values that must never be shown (short ones would mask ordinary words)."""
        new = [v for v in values if isinstance(v, str) and len(v) >= MIN_SECRET_LENGTH and v not in self._secrets]
        if not new:
            return
        with self._lock:
            for value in new:
                self._secrets[value] = None
            while len(self._secrets) > self._capacity:
                self._secrets.popitem(last=False)
            self._longest_first = tuple(sorted(self._secrets, key=len, reverse=True))

    def add_all(self, values: Iterable[str]) -> None:
        self.add(*values)

    def redact(self, text: str) -> str:
        """`text` with every known secret and secret-looking field masked."""
        for secret in self._longest_first:
            if secret in text:
                text = text.replace(secret, MASK)
        for known in PATTERNS:
            text = known.sub(lambda m: m.group(1) + MASK, text)
        return text


redactor = Redactor()
