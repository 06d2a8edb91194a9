"""How the family's answers look on Feishu: a CardKit card entity sent as a reply to the question
and streamed into, or a markdown post, or a plain text reply."""
from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

from ..Meta.incoming import Incoming
from ..Meta.replies import AnswerEnd, FeedbackButton, refusals
from . import cards
from .events import FeishuAddress
from .http import FeishuError
from .openapi import FeishuApi

CARD_OP_SPACING = 0.1  # CardKit takes at most 10 operations per second on one card


def _refusals() -> contextlib.AbstractContextManager[None]:
    """Feishu's refusals, raised as the family's ReplyFailed."""
    return refusals(FeishuError)


def markdown_post(text: str) -> dict:
    """A rich-text post holding one markdown run (works without any card permission)."""
    return {"zh_cn": {"title": "", "content": [[{"tag": "md", "text": text}]]}}


class FeishuReplies:
    """The family's ChatReplies for one robot's Feishu app."""

    def __init__(self, api: FeishuApi) -> None:
        self.api = api

    def card(self, incoming: Incoming, card_id: str = "") -> FeishuCard:
        return FeishuCard(self.api, incoming, card_id=card_id)

    def dump_address(self, reply_to: FeishuAddress) -> str:
        return json.dumps({"messageId": reply_to.message_id})

    def load_address(self, text: str) -> Any:
        return FeishuAddress(json.loads(text)["messageId"])

    async def markdown(self, incoming: Incoming, text: str) -> None:
        address: FeishuAddress = incoming.reply_to
        with _refusals():
            await self.api.reply(address.message_id, "post", markdown_post(text))

    async def text(self, incoming: Incoming, text: str) -> None:
        address: FeishuAddress = incoming.reply_to
        with _refusals():
            await self.api.reply(address.message_id, "text", {"text": text})


class FeishuCard:
    """One answer's card entity: created streaming, sent as a reply, its answer element streamed
    with strictly increasing sequence numbers, then streaming closed and the final card set."""

    def __init__(self, api: FeishuApi, incoming: Incoming, clock=time.monotonic, card_id: str = "") -> None:
        self.api = api
        self.incoming = incoming
        self.card_id = card_id  # given: the card sent before a restart (the answer journal kept its id)
        # a card's sequence numbers only grow: a card taken over after a restart continues from
        # the clock's seconds, above any number its earlier run can have used
        self.sequence = int(time.time()) if card_id else 0
        self._clock = clock
        self._last_op = float("-inf")

    async def start(self, thinking_text: str, end: AnswerEnd | None = None) -> None:
        """The thinking card (sent at once: nothing here waits for a turn, so `end` is not looked at)."""
        address: FeishuAddress = self.incoming.reply_to
        if self.card_id:  # sent before a restart: show the thinking text on it again
            with _refusals():
                await self.api.stream_text(self.card_id, cards.ANSWER, thinking_text, self._next())
            self._last_op = self._clock()
            return
        with _refusals():
            self.card_id = await self.api.create_card(cards.thinking_card(self.incoming.question, thinking_text))
            await self.api.reply(address.message_id, "interactive", {"type": "card", "data": {"card_id": self.card_id}})
        self._last_op = self._clock()

    async def show(self, partial_answer: str) -> None:
        await self._pace()
        with _refusals():
            await self.api.stream_text(self.card_id, cards.ANSWER, partial_answer, self._next())

    async def finish(self, answer: str, buttons: tuple[FeedbackButton, ...]) -> None:
        await self._end(cards.final_card(self.incoming.question, answer, self.incoming.msg_id, buttons))

    async def fail(self, partial_answer: str, apology: str) -> None:
        await self._end(cards.apology_card(self.incoming.question, partial_answer, apology))

    async def _end(self, card: dict) -> None:
        """Close streaming, then the final card (two operations, paced like the rest)."""
        await self._pace()
        with _refusals():
            await self.api.card_settings(self.card_id, {"streaming_mode": False}, self._next())
        await self._pace()
        with _refusals():
            await self.api.update_card(self.card_id, card, self._next())

    def _next(self) -> int:
        self.sequence += 1
        return self.sequence

    async def _pace(self) -> None:
        """Keep CARD_OP_SPACING between this card's operations."""
        wait = self._last_op + CARD_OP_SPACING - self._clock()
        if wait > 0:
            await asyncio.sleep(wait)
        self._last_op = self._clock()
