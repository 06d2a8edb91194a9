"""One answer's interactive card: sent as "thinking", updated as the answer streams (within
the update budget), ended with the answer and feedback buttons, or with an apology.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from . import cards
from .http import ApiError
from .messages import Incoming
from .openapi import DingTalkApi
from .settings import RobotSettings
from .throttle import CardUpdateThrottle


class CardReply:
    """The card answering one message; `start()` raises ApiError when the card cannot be sent."""

    def __init__(
        self,
        api: DingTalkApi,
        settings: RobotSettings,
        incoming: Incoming,
        logger: logging.Logger,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.api = api
        self.settings = settings
        self.incoming = incoming
        self.log = logger
        self.clock = clock
        self.card_biz_id = api.new_card_biz_id(incoming.msg_id)
        self.key = cards.card_key(self.card_biz_id)
        self.throttle = CardUpdateThrottle(settings.max_card_updates, settings.update_interval, settings.update_every_chunks, clock())

    @property
    def updates(self) -> int:
        """Updates sent after the thinking card (the final one included)."""
        return self.throttle.used

    async def start(self) -> None:
        """Send the thinking card (the question as header, @sender in groups)."""
        incoming = self.incoming
        at_users = None
        if incoming.in_group and incoming.sender_staff_id:
            at_users = [{"nickName": incoming.sender_nick, "userId": incoming.sender_staff_id}]
        await self.api.send_card(
            self.card_biz_id,
            cards.thinking_card(incoming.question, self.settings.thinking_text, self.key),
            conversation_id=incoming.conversation_id,
            in_group=incoming.in_group,
            receiver_staff_id=incoming.sender_staff_id,
            at_users=at_users,
        )
        self.throttle = CardUpdateThrottle(self.settings.max_card_updates, self.settings.update_interval, self.settings.update_every_chunks, self.clock())

    async def chunk(self, parts: list[str]) -> None:
        """A chunk arrived (the last of `parts`): update the card when the throttle says so;
        a failed update is only logged (the final card still comes)."""
        if not self.throttle.chunk(self.clock()):
            return
        self.throttle.updated(self.clock())
        try:
            await self.api.update_card(self.card_biz_id, cards.streaming_card(self.incoming.question, "".join(parts), self.key))
        except ApiError as exc:
            self.log.warning("card update for msgId %s failed: %s", self.incoming.msg_id, exc)

    async def finish(self, answer: str) -> None:
        """The final card: the whole answer and the feedback buttons (raises ApiError)."""
        self.throttle.finished()
        card = cards.final_card(self.incoming.question, answer, self.key, self.incoming.msg_id, self.settings.feedback_buttons)
        await self.api.update_card(self.card_biz_id, card)

    async def fail(self, partial_answer: str, apology: str) -> None:
        """End the card with what arrived and the apology (raises ApiError)."""
        self.throttle.finished()
        await self.api.update_card(self.card_biz_id, cards.apology_card(self.incoming.question, partial_answer, apology, self.key))
