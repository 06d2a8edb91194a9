"""The knowledge-base agent: the best passage for a question, sent sentence by sentence."""
from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from typing import Any

from ..agent_api import Agent
from ..chat_memory import ChatMemory
from .knowledge import Hit, KnowledgeBase, is_chinese

# A sentence ends at 。！？；!? (with closing quotes), at . or ; before a space, or at a line
# break; the whitespace after it belongs to it, so the chunks join back to the exact answer.
SENTENCE = re.compile(r""".+?(?:[。！？；!?…]+[”’"')）]*|[.;](?=\s)|\n|$)\s*""", re.S)


def sentences(text: str) -> list[str]:
    """`text` cut into sentences; "".join(result) == text."""
    return [match.group(0) for match in SENTENCE.finditer(text) if match.group(0)]


class KnowledgeBaseAgent(Agent):
    """Answers from the instance's own Q&A and markdown files; no network."""

    def __init__(self, full_name: str, memory: ChatMemory, logger: logging.Logger, knowledge: KnowledgeBase, config: dict[str, Any],
                 app: Any = None) -> None:
        super().__init__(full_name, memory, logger, app)
        self.knowledge = knowledge
        self.top_k = config["topK"]
        self.min_score = config["minScore"]
        self.fallback_answer = config["fallbackAnswer"]
        self.cite_source = config["citeSource"]

    def search(self, question: str, top_k: int | None = None) -> list[Hit]:
        """The passages that answer `question` best (at most topK, each scoring minScore or more).

        Blocking (it may rebuild the index after a file change): call it from a thread. Other
        agents use it for retrieval-augmented answers.
        """
        return self.knowledge.search(question, top_k or self.top_k, self.min_score)

    def compose(self, question: str, hits: list[Hit]) -> str:
        """The answer text: the best passage (and where it comes from), or the fallback answer."""
        if not hits:
            return self.fallback_answer
        best = hits[0].passage
        if not self.cite_source:
            return best.text
        label = "来源：" if is_chinese(question) else "Source: "
        return f"{best.text}\n\n{label}{best.title}"

    async def answer(self, question: str, history: list[dict[str, str]]) -> AsyncIterator[str]:
        hits = await asyncio.to_thread(self.search, question)
        if hits:
            self.logger.info("answered from %s (score %.2f)", hits[0].passage.id, hits[0].score)
        else:
            self.logger.info("no passage scored %.2f or more: fallback answer", self.min_score)
        for sentence in sentences(self.compose(question, hits)):
            yield sentence
            await asyncio.sleep(0)  # let the robot send what it has between sentences
