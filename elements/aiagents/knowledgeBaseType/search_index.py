"""Ranking passages for a question: SQLite FTS5's BM25 over words segmented by jieba.

Chinese has no spaces, so both the passages and the question go through jieba's search-mode
segmentation (`cut_for_search` also emits the shorter words inside long ones, so "机器人"
matches "机器人配置" and "机器"); the resulting words are joined with spaces and indexed by
an in-memory FTS5 table whose `porter` tokenizer stems English ("adding" matches "add").
FTS5 does the ranking: BM25, with a question's words weighted above its answer's.

A question asked exactly as the knowledge base words it (its question, one of its
alternatives, a heading; case, spaces and punctuation aside) is that entry, whatever BM25
says: "What is Element Studio?" shares its only words with every other entry.
"""
from __future__ import annotations

import functools
import logging
import re
import sqlite3
import threading
import unicodedata
from collections.abc import Iterable
from types import ModuleType

from .sources import Passage

# BM25 weights of the columns: title (question or heading), keywords (other wordings), text.
COLUMN_WEIGHTS = (2.0, 2.0, 1.0)
WORD = re.compile(r"\w")
WORDS = re.compile(r"\w+")
NOT_WORD = re.compile(r"[\W_]+")
HAN_RUN = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)")  # split() keeps the runs at odd positions
CAMEL_CASE = re.compile(r"[a-z][A-Z]")
CAMEL_PART = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")

# Words that say nothing about the topic; dropping them keeps an off-topic question from
# matching on "how" or "的" alone.
STOPWORDS = frozenset(
    """
    a about above after again against all almost also am an and another any anybody anyone anything are around as
    at be because been before being below between both but by can could did do does doing done down during each
    either else enough even ever every few for from further get gets getting got had has have having he her here
    hers herself him himself his how however i if in into is it its itself just least less let like ll may me
    might mine more most much must my myself no nor not now of off often on once one only onto or other others
    ought our ours ourselves out over own perhaps please quite rather re really s same shall she should since so
    some somebody someone something sometimes still such t than that the their theirs them themselves then there
    these they thing things this those though through thus to too toward under until up upon us ve very want
    was way we well were what whatever when whenever where whether which while who whom whose why will with
    within without would yet you your yours yourself yourselves d don doesn didn isn aren wasn won can't
    hi hello hey thanks thank ok okay yes tell explain know need
    的 地 得 了 着 过 吗 呢 吧 啊 呀 哦 嗯 嘛 么 是 我 你 您 他 她 它 我们 你们 他们 她们 它们 咱们 自己
    这 那 这个 那个 这些 那些 这里 那里 这儿 那儿 这样 那样 这么 那么 哪 哪个 哪些 哪里 哪儿
    什么 怎么 怎么样 怎样 如何 为什么 为何 干什么 干嘛 做什么 啥 多少 几
    在 和 与 及 以及 或 或者 还是 而 并 并且 但 但是 不过 如果 因为 所以 就 都 也 还 又 才 再 很 太 最 更
    要 想 能 能否 能够 可以 可不可以 可能 会 应该 该 需要 得 有 没有 没 不 别 被 把 让 给 对 向 从 到 跟
    里 上 下 中 内 一个 一下 一些 一点 请问 请 问 谢谢 你好 个 些 做 干 弄 搞 呢 吗 下 时候
    """.split()
)


@functools.cache
def _jieba() -> ModuleType:
    """jieba, imported on the first Chinese text: importing it (and pkg_resources with it) costs
    about 60 ms, which every process reading this Type's hooks (a robots' start) would pay."""
    import jieba

    jieba.setLogLevel(logging.WARNING)  # its dictionary-loading chatter is not ours to print
    return jieba


def search_terms(text: str) -> list[str]:
    """The words of `text` that can match: segmented, lowercased, without stopwords.

    Only runs of Chinese characters go through jieba (the slow part); other text is split into
    words by a regex, and a camelCase name also yields its parts ("fallbackAnswer" matches
    "fallback answer").
    """
    terms = []
    for number, part in enumerate(HAN_RUN.split(text)):
        if not part:
            continue
        tokens = _jieba().cut_for_search(part) if number % 2 else WORDS.findall(part)
        for token in tokens:
            words = [token, *CAMEL_PART.findall(token)] if CAMEL_CASE.search(token) else [token]
            for word in words:
                word = word.lower()
                if word and WORD.search(word) and word not in STOPWORDS:
                    terms.append(word)
    return terms


def wording_key(text: str) -> str:
    """A text as compared for an exact question: width-folded (NFKC), lower case, only letters and digits."""
    return NOT_WORD.sub("", unicodedata.normalize("NFKC", text).casefold())


class SearchIndex:
    """An in-memory FTS5 index over a fixed list of passages (build a new one to change them)."""

    def __init__(self, passages: Iterable[Passage]) -> None:
        self.passages = list(passages)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(":memory:", check_same_thread=False)
        self._conn.execute(
            "CREATE VIRTUAL TABLE passages USING fts5(title, keywords, text, tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        weights = ", ".join(str(w) for w in COLUMN_WEIGHTS)
        self._conn.execute(f"INSERT INTO passages (passages, rank) VALUES ('rank', 'bm25({weights})')")
        self._conn.executemany(
            "INSERT INTO passages (rowid, title, keywords, text) VALUES (?, ?, ?, ?)",
            (
                (number, " ".join(search_terms(p.title)), " ".join(search_terms(p.keywords)), " ".join(search_terms(p.text)))
                for number, p in enumerate(self.passages)
            ),
        )
        self._conn.commit()
        self._wordings: dict[str, Passage] = {}
        for passage in self.passages:
            for wording in (passage.title, passage.title.split(" › ")[-1], *passage.keywords.splitlines()):
                self._wordings.setdefault(wording_key(wording), passage)
        self._wordings.pop("", None)

    def exact(self, question: str) -> Passage | None:
        """The passage whose question, alternative or heading is `question` word for word, or None."""
        return self._wordings.get(wording_key(question))

    def search(self, question: str, limit: int) -> list[tuple[Passage, float]]:
        """The best `limit` passages for `question`, best first, with their BM25 score (higher is better)."""
        words = dict.fromkeys(search_terms(question))
        if not words or limit < 1:
            return []
        query = " OR ".join('"' + word.replace('"', '""') + '"' for word in words)
        with self._lock:
            rows = self._conn.execute(
                "SELECT rowid, rank FROM passages WHERE passages MATCH ? ORDER BY rank LIMIT ?", (query, limit)
            ).fetchall()
        return [(self.passages[rowid], -rank) for rowid, rank in rows]

    def __len__(self) -> int:
        return len(self.passages)
