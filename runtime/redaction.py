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
    """Replaces registered secret values and secret-looking fields with ***.

    Known values are indexed by their first MIN_SECRET_LENGTH characters, then grouped by
    length, so masking a text costs one dictionary lookup per character, plus one set lookup per
    distinct length where a known prefix starts, whatever the number of secrets: checking each of
    3,000 secrets (1,000 robots: secrets, tickets, tokens) took 0.2 ms per log line, and so did
    comparing one by one the 1,000 secrets that share a prefix (API keys all begin "sk-p")."""

    def __init__(self, capacity: int = MAX_KNOWN_SECRETS) -> None:
        self._secrets: OrderedDict[str, None] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()
        self._by_prefix: dict[str, tuple[tuple[int, frozenset[str]], ...]] = {}  # first characters -> (length, values), longest first

    def add(self, *values: str | None) -> None:
        """Register values that must never be shown (short ones would mask ordinary words)."""
        new = [v for v in values if isinstance(v, str) and len(v) >= MIN_SECRET_LENGTH and v not in self._secrets]
        if not new:
            return
        with self._lock:
            for value in new:
                if value in self._secrets:
                    continue
                self._secrets[value] = None
                self._index(value[:MIN_SECRET_LENGTH], value, keep=True)
            while len(self._secrets) > self._capacity:
                forgotten, _ = self._secrets.popitem(last=False)
                self._index(forgotten[:MIN_SECRET_LENGTH], forgotten, keep=False)

    def _index(self, prefix: str, value: str, keep: bool) -> None:
        """Add or drop `value` under its prefix; readers see whole tuples, never one being changed."""
        by_length: dict[int, set[str]] = {length: set(values) for length, values in self._by_prefix.get(prefix, ())}
        if keep:
            by_length.setdefault(len(value), set()).add(value)
        else:
            by_length.get(len(value), set()).discard(value)
        entries = tuple(sorted(((length, frozenset(values)) for length, values in by_length.items() if values), reverse=True))
        if entries:
            self._by_prefix[prefix] = entries
        else:
            self._by_prefix.pop(prefix, None)

    def add_all(self, values: Iterable[str]) -> None:
        self.add(*values)

    def redact(self, text: str) -> str:
        """`text` with every known secret and secret-looking field masked."""
        if self._by_prefix:
            text = self._mask_known(text)
        for known in PATTERNS:
            text = known.sub(lambda m: m.group(1) + MASK, text)
        return text

    def _mask_known(self, text: str) -> str:
        """Every registered value in `text` masked, the longest one where several start at the same place."""
        index, width = self._by_prefix, MIN_SECRET_LENGTH
        parts: list[str] = []
        kept_from = at = 0
        last = len(text) - width
        while at <= last:
            for length, values in index.get(text[at:at + width], ()):
                if text[at:at + length] in values:
                    parts += (text[kept_from:at], MASK)
                    at = kept_from = at + length
                    break
            else:
                at += 1
        return "".join(parts) + text[kept_from:] if parts else text


redactor = Redactor()
