"""A knowledge base: its source files, their search index, and a rebuild when a file changes."""
from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .search_index import SearchIndex, search_terms
from .sources import KnowledgeFileError, Passage, read_sources, source_path

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
CANDIDATES_PER_RESULT = 4  # fetched per wanted result, so the question's language can be preferred
# BM25 sums over the question's words, so "add robot" can never reach a threshold set for full
# questions: below this many words, the minimum score shrinks in proportion.
FULL_QUESTION_TERMS = 3


@dataclass(frozen=True)
class Hit:
    """A passage found for a question, with its BM25 score (higher is better)."""

    passage: Passage
    score: float


def is_chinese(text: str) -> bool:
    """Whether a text is written (at least partly) in Chinese characters."""
    return CJK.search(text) is not None


class KnowledgeBase:
    """Searchable passages from files in an instance folder; rebuilt when one of them changes."""

    def __init__(self, folder: Path, sources: list[str], full_name: str, logger: logging.Logger) -> None:
        self.folder = folder
        self.sources = list(sources)
        self.full_name = full_name
        self.logger = logger
        self._build_lock = threading.Lock()
        self._signature = self._current_signature()
        self._index = self._build()

    @property
    def passages(self) -> list[Passage]:
        return self._index.passages

    def search(self, question: str, limit: int, min_score: float = 0.0) -> list[Hit]:
        """The best passages for `question`, best first; same-language passages go before others.

        A bilingual knowledge base holds each answer in both languages: a question in Chinese
        should get the Chinese entry even when its English twin scores a little higher. A
        question asked exactly as an entry words it gets that entry first.
        """
        self.refresh_if_changed()
        index = self._index
        found = index.search(question, limit * CANDIDATES_PER_RESULT)
        chinese = is_chinese(question)
        threshold = min_score * min(1.0, len(search_terms(question)) / FULL_QUESTION_TERMS)
        hits = [Hit(passage, score) for passage, score in found if score >= threshold]
        hits.sort(key=lambda hit: (is_chinese(hit.passage.title + hit.passage.text) != chinese, -hit.score))
        exact = index.exact(question)
        if exact is not None:
            score = next((s for passage, s in found if passage is exact), 0.0)
            hits = [Hit(exact, score), *(hit for hit in hits if hit.passage is not exact)]
        return hits[:limit]

    def refresh_if_changed(self) -> bool:
        """Rebuild the index if a source file changed since the last build; True when rebuilt.

        A file that is missing or broken now keeps the previous index serving and is logged;
        the next change to the files tries again.
        """
        signature = self._current_signature()
        if signature == self._signature:
            return False
        with self._build_lock:
            if signature == self._signature:
                return False
            self._signature = signature
            try:
                self._index = self._build()
            except KnowledgeFileError as exc:
                self.logger.warning("knowledge files changed but cannot be read, still answering from the previous version: %s", exc)
                return False
        return True

    def _build(self) -> SearchIndex:
        started = time.perf_counter()
        index = SearchIndex(read_sources(self.folder, self.sources, self.full_name))
        self.logger.info(
            "knowledge index built: %d passages from %d file(s) in %.0f ms",
            len(index),
            len(self.sources),
            1000 * (time.perf_counter() - started),
        )
        return index

    def _current_signature(self) -> tuple:
        """Size and modification time of every source file (None for a missing one)."""
        signature = []
        for name in self.sources:
            try:
                stat = source_path(self.folder, name).stat()
                signature.append((stat.st_mtime_ns, stat.st_size))
            except OSError:
                signature.append(None)
        return tuple(signature)
