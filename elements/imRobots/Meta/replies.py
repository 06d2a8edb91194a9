"""How the family's answers reach a chat: the two things an IM Type implements.

The family decides what to say and when (thinking, streaming within the update budget,
final answer with feedback buttons, apology, busy and text-only replies); a Type says it
on its platform. Anything a platform refuses is raised as ReplyFailed, so the family can
fall back (a card that cannot be sent becomes one markdown reply).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .incoming import Incoming


class ReplyFailed(Exception):
    """The platform did not take a reply; the message says why (no secrets)."""


@dataclass(frozen=True)
class FeedbackButton:
    """One button under the final card: the rating stored and the label shown."""

    rating: str
    label: str


def apology_after(partial_answer: str, apology: str) -> str:
    """What a failed answer ends on: whatever arrived, a rule, then the apology (never "thinking")."""
    return f"{partial_answer}\n\n---\n\n{apology}" if partial_answer.strip() else apology


class AnswerCard(Protocol):
    """One answer's card on the platform, updated as the answer streams."""

    async def start(self, thinking_text: str) -> None:
        """Send the card showing the thinking text (raises ReplyFailed)."""

    async def show(self, partial_answer: str) -> None:
        """Replace the card's text with the answer so far (raises ReplyFailed)."""

    async def finish(self, answer: str, buttons: tuple[FeedbackButton, ...]) -> None:
        """The final card: the whole answer and the feedback buttons (raises ReplyFailed)."""

    async def fail(self, partial_answer: str, apology: str) -> None:
        """End the card with what arrived and the apology (raises ReplyFailed)."""


class ChatReplies(Protocol):
    """A Type's way of answering one incoming message."""

    def card(self, incoming: Incoming) -> AnswerCard:
        """A card for this message's answer (not sent until `start`)."""

    async def markdown(self, incoming: Incoming, text: str) -> None:
        """One markdown reply (the answer without a card; raises ReplyFailed)."""

    async def text(self, incoming: Incoming, text: str) -> None:
        """One plain text reply (busy, text only; raises ReplyFailed)."""
