"""The playground's conversation, read back from what the simulator recorded and the robot stored.

No Flask here: a `Chat` is one browser session's talk with one robot (its own sender staff
id, so single chats and the group are its own), and `turns()` rebuilds every question with
the cards and webhook replies that answer it, the answer's outcome from the robot's message
log and the ratings the feedback table holds for it.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any

from element_studio.contract import Storage

from ..chat_platform import ChatPlatform
from ..feedback_store import ratings_of
from ..message_log import ANSWERING, ENDED_BADLY, Ending, outcomes
from .card_model import Card, ReplyMessage
PRESS_WAIT = 10.0  # seconds a press may take to reach the feedback table before we stop waiting
GIVE_UP_AFTER = 15.0  # seconds past the robot's answer timeout before a silent answer stops being polled
GROUP_TITLE = "Playground"


@dataclass(frozen=True)
class Chat:
    """One browser session's conversation with one robot through the simulator."""

    robot: str  # the instance fullName (the robot's rows in the message log and feedback)
    client_id: str
    staff_id: str  # the session's own platform user

    @property
    def group_conversation_id(self) -> str:
        """The session's group with the robot (a single chat's id is derived from the staff id)."""
        return f"cidPlayground{self.staff_id.rsplit('-', 1)[-1]}"

    def send(self, sim: Any, text: str, *, group: bool, nick: str) -> str:
        """Push the question to the robot as the platform would; returns its msgId."""
        options: dict[str, Any] = {"conversation_type": "2" if group else "1", "sender_nick": nick, "sender_staff_id": self.staff_id}
        if group:
            options.update(conversation_id=self.group_conversation_id, conversation_title=GROUP_TITLE)
        return sim.send_message(self.client_id, text, **options)

    def owns_card(self, sim: Any, card_biz_id: str) -> bool:
        """Whether a card answers one of this chat's questions (so a press may be sent for it)."""
        card = sim.card(card_biz_id)
        if card is None or card.client_id != self.client_id:
            return False
        return any(m.msg_id == card.reply_to_msg_id for m in self.messages(sim))

    def messages(self, sim: Any) -> list[Any]:
        """The simulator's records of the questions this chat asked, oldest first."""
        return [m for m in sim.messages(self.client_id) if m.sender_staff_id == self.staff_id]


@dataclass(frozen=True)
class Reply:
    """One thing the robot sent in answer: a card (with its latest version) or a webhook message."""

    card: Card | None = None
    card_biz_id: str = ""
    versions: int = 0
    state: str = ""  # thinking | streaming | final | ended (cards only)
    message: ReplyMessage | None = None


@dataclass(frozen=True)
class Turn:
    """A question and what answered it, as the chat shows it."""

    msg_id: str
    text: str
    nick: str
    in_group: bool
    at: float
    replies: list[Reply] = field(default_factory=list)
    outcome: str = ""  # the message log's outcome; "" until the robot recorded the question
    error: str = ""  # why the answer ended badly (redacted), from the message log
    ratings: list[str] = field(default_factory=list)  # recorded in the feedback table, in press order
    press_pending: bool = False
    gave_up: bool = False

    @property
    def dom_id(self) -> str:
        """An HTML id for the turn (msgIds are base64: "+", "/" and "=" do not belong in selectors)."""
        return "turn-" + hashlib.sha256(self.msg_id.encode()).hexdigest()[:16]

    @property
    def answering(self) -> bool:
        return not self.gave_up and self.outcome in ("", ANSWERING)

    @property
    def polling(self) -> bool:
        """The page keeps asking for this turn while an answer or a press is on its way."""
        return self.answering or self.press_pending

    @property
    def rated(self) -> list[str]:
        """The recorded ratings, named by the labels of the buttons that gave them."""
        labels = {b.value.get("rating"): b.label for r in self.replies if r.card for b in r.card.buttons if b.value}
        return [labels.get(rating, rating) for rating in self.ratings]

    @property
    def state(self) -> str:
        if self.gave_up:
            return "silent"
        return "answering" if self.answering else self.outcome


def turns(sim: Any, storage: Storage, platform: ChatPlatform, chat: Chat, answer_timeout: float, msg_id: str | None = None,
          now: float | None = None) -> list[Turn]:
    """The chat's questions oldest first (or just `msg_id`), each with its answer so far."""
    now = time.time() if now is None else now
    messages = [m for m in chat.messages(sim) if msg_id is None or m.msg_id == msg_id]
    if not messages:
        return []
    ids = [m.msg_id for m in messages]
    ended, ratings = outcomes(storage, chat.robot, ids), ratings_of(storage, chat.robot, ids)
    presses = sim.button_presses()
    found = []
    for message in messages:
        cards = sim.cards(client_id=chat.client_id, msg_id=message.msg_id)
        ending = ended.get(message.msg_id, Ending(""))
        replies = [_card_reply(platform, card, ending.outcome) for card in cards]
        replies += [Reply(message=platform.read_reply(r.body)) for r in sim.webhook_replies(client_id=chat.client_id, msg_id=message.msg_id)]
        rated = ratings.get(message.msg_id, [])
        pending = any(_rating_pressed(p, replies) not in rated and now - p.at < PRESS_WAIT for p in presses
                      if any(r.card_biz_id == p.card_biz_id for r in replies))
        gave_up = ending.outcome in ("", ANSWERING) and now - message.at > answer_timeout + GIVE_UP_AFTER
        found.append(Turn(message.msg_id, message.text, message.sender_nick, message.conversation_type == "2", message.at,
                          replies, ending.outcome, ending.error, rated, pending, gave_up))
    return found


def _rating_pressed(press: Any, replies: list[Reply]) -> Any:
    """The rating a press gives: in its params, or named by the pressed button's value (a card
    whose buttons carry their rating in their id sends no params)."""
    if press.params.get("rating"):
        return press.params["rating"]
    buttons = [b for r in replies if r.card and r.card_biz_id == press.card_biz_id for b in r.card.buttons]
    return next((b.value.get("rating") for b in buttons if b.id == press.button_id and b.value), None)


def _card_reply(platform: ChatPlatform, card: Any, outcome: str) -> Reply:
    versions = len(card.versions)
    if outcome and outcome != ANSWERING:
        state = "ended" if outcome in ENDED_BADLY else "final"
    else:
        state = "thinking" if versions <= 1 else "streaming"
    return Reply(card=platform.read_card(card.latest), card_biz_id=card.card_biz_id, versions=versions, state=state)
