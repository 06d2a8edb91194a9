"""The one place secrets are removed from text: log records, diagnostics, error pages.

Known secret values (config secrets, tickets, access tokens) are registered as they appear;
patterns catch token-shaped values in URLs and headers we never registered.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Iterable

MASK = "***"
MIN_SECRET_LENGTH = 4
PATTERNS = [
    re.compile(r"(?i)(ticket=)[^&\s'\"]+"),
    re.compile(r"(?i)((?:access_?token|clientSecret|appSecret|apiKey|api_key|x-acs-dingtalk-access-token)[\"']?\s*[:=]\s*[\"']?)[^\s'\",&}]+"),
    re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?bearer\s+)[^\s'\",}]+"),
]


class Redactor:
    """Replaces registered secret values and secret-looking fields with ***."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._lock = threading.Lock()
        self._pattern: re.Pattern[str] | None = None

    def add(self, *values: str | None) -> None:
        """Register values that must never be shown (short ones would mask ordinary words)."""
        new = {v for v in values if isinstance(v, str) and len(v) >= MIN_SECRET_LENGTH} - self._secrets
        if new:
            with self._lock:
                self._secrets |= new
                ordered = sorted(self._secrets, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(v) for v in ordered))

    def add_all(self, values: Iterable[str]) -> None:
        self.add(*values)

    def redact(self, text: str) -> str:
        """`text` with every known secret and secret-looking field masked."""
        pattern = self._pattern
        if pattern is not None:
            text = pattern.sub(MASK, text)
        for known in PATTERNS:
            text = known.sub(lambda m: m.group(1) + MASK, text)
        return text


redactor = Redactor()
