"""How the family's answers reach a chat: the two things an IM Type implements.

The family decides what to say and when (thinking, streaming within the update budget,
final answer with feedback buttons, apology, busy and text-only replies); a Type says it
on its platform. Anything a platform refuses is raised as ReplyFailed, so the family can
fall back (a card that cannot be sent becomes one markdown reply).
"""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from .incoming import Incoming


class ReplyFailed(Exception):
    """The platform did not take a reply; the message says why (no secrets). `retryable`: the
    platform or the network failed (5xx, 429, timeout), so the same call may succeed later."""

    def __init__(self, message: str, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


@contextlib.contextmanager
def refusals(api_error: type[Exception], final: tuple[type[Exception], ...] = ()) -> Iterator[None]:
    """A Type's refusals raised as ReplyFailed: its `api_error` (whose HTTP `status` is 0 when the
    platform could not be reached) retryable for a passing fault, any of `final` never."""
    try:
        yield
    except api_error as exc:
        status = getattr(exc, "status", 0)
        raise ReplyFailed(str(exc), retryable=status == 0 or status == 429 or status >= 500) from exc
    except final as exc:
        raise ReplyFailed(str(exc)) from exc


@dataclass(frozen=True)
class FeedbackButton:
    """One button under the final card: the rating stored and the label shown."""

    rating: str
    label: str


def apology_after(partial_answer: str, apology: str) -> str:
    """What a failed answer ends on: whatever arrived, a rule, then the apology (never "thinking")."""
    return f"{partial_answer}\n\n---\n\n{apology}" if partial_answer.strip() else apology


@dataclass(frozen=True)
class Ending:
    """How an answer ends on its card: the whole answer and the feedback buttons, or (with an
    apology) whatever arrived and the apology."""

    text: str
    buttons: tuple[FeedbackButton, ...] = ()
    apology: str | None = None  # set: the answer failed

    @property
    def failed(self) -> bool:
        return self.apology is not None


class AnswerEnd:
    """How the answer behind a card ended, once it has: a card that waits for its turn at the
    platform's rate limit looks here when the turn comes, and may wait a moment for it."""

    def __init__(self) -> None:
        self.ending: Ending | None = None
        self._ended = asyncio.Event()

    def end(self, ending: Ending) -> None:
        self.ending = ending
        self._ended.set()

    async def wait(self) -> Ending | None:
        """Once the answer ended: its ending (a card bounds how long it waits)."""
        await self._ended.wait()
        return self.ending


class AnswerCard(Protocol):
    """One answer's card on the platform, updated as the answer streams."""

    card_id: str  # the platform's id of this card, kept in the answer journal to reach it after a restart

    async def start(self, thinking_text: str, end: AnswerEnd | None = None) -> Ending | None:
        """Send the card showing the thinking text, or show it on the card sent before a restart
        (raises ReplyFailed). A card that had to wait for its turn at the platform's rate limit
        may look at `end` when its turn comes (and wait a moment more for it): an answer that
        ended goes out ended, in one call instead of two, and that Ending is returned (None: the
        thinking card went out, and `finish` or `fail` follows)."""

    async def show(self, partial_answer: str) -> None:
        """Replace the card's text with the answer so far (raises ReplyFailed)."""

    async def finish(self, answer: str, buttons: tuple[FeedbackButton, ...]) -> None:
        """The final card: the whole answer and the feedback buttons (raises ReplyFailed)."""

    async def fail(self, partial_answer: str, apology: str) -> None:
        """End the card with what arrived and the apology (raises ReplyFailed)."""


class ChatReplies(Protocol):
    """A Type's way of answering one incoming message."""

    def card(self, incoming: Incoming, card_id: str = "") -> AnswerCard:
        """A card for this message's answer (not sent until `start`), or, with `card_id`, the
        card sent for it before a restart."""

    def dump_address(self, reply_to: Any) -> str:
        """An Incoming's `reply_to` as text, for the answer journal."""

    def load_address(self, text: str) -> Any:
        """The `reply_to` that `dump_address` wrote."""

    async def markdown(self, incoming: Incoming, text: str) -> None:
        """One markdown reply (the answer without a card; raises ReplyFailed)."""

    async def text(self, incoming: Incoming, text: str) -> None:
        """One plain text reply (busy, text only; raises ReplyFailed)."""
