"""How the family's answers look on DingTalk: an interactive card sent and updated through
the OpenAPI, and markdown or text replies through the message's session webhook."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

from ..Meta.incoming import Incoming
from ..Meta.replies import FeedbackButton, ReplyFailed
from . import cards
from .http import ApiError
from .messages import DingTalkAddress
from .openapi import DingTalkApi, WebhookError


@contextlib.contextmanager
def _refusals() -> Iterator[None]:
    """DingTalk's refusals, raised as the family's ReplyFailed."""
    try:
        yield
    except (ApiError, WebhookError) as exc:
        raise ReplyFailed(str(exc)) from exc


class DingTalkReplies:
    """The family's ChatReplies for one robot's DingTalk app."""

    def __init__(self, api: DingTalkApi) -> None:
        self.api = api

    def card(self, incoming: Incoming) -> DingTalkCard:
        return DingTalkCard(self.api, incoming)

    async def markdown(self, incoming: Incoming, text: str) -> None:
        address: DingTalkAddress = incoming.reply_to
        with _refusals():
            await self.api.reply(address.session_webhook, cards.markdown_reply(incoming.question, text, address.at(incoming)))

    async def text(self, incoming: Incoming, text: str) -> None:
        address: DingTalkAddress = incoming.reply_to
        with _refusals():
            await self.api.reply(address.session_webhook, cards.text_reply(text, address.at(incoming)))


class DingTalkCard:
    """One answer's StandardCard: every version is sent whole under the same outTrackId."""

    def __init__(self, api: DingTalkApi, incoming: Incoming) -> None:
        self.api = api
        self.incoming = incoming
        self.card_biz_id = api.new_card_biz_id(incoming.msg_id)
        self.key = cards.card_key(self.card_biz_id)

    async def start(self, thinking_text: str) -> None:
        """The thinking card (the question as header, @sender in groups)."""
        incoming, address = self.incoming, self.incoming.reply_to
        at_users = [{"nickName": incoming.sender_name, "userId": address.staff_id}] if incoming.in_group and address.staff_id else None
        with _refusals():
            await self.api.send_card(
                self.card_biz_id,
                cards.thinking_card(incoming.question, thinking_text, self.key),
                conversation_id=incoming.conversation_id,
                in_group=incoming.in_group,
                receiver_staff_id=address.staff_id,
                at_users=at_users,
            )

    async def show(self, partial_answer: str) -> None:
        with _refusals():
            await self.api.update_card(self.card_biz_id, cards.streaming_card(self.incoming.question, partial_answer, self.key))

    async def finish(self, answer: str, buttons: tuple[FeedbackButton, ...]) -> None:
        card = cards.final_card(self.incoming.question, answer, self.key, self.incoming.msg_id, buttons)
        with _refusals():
            await self.api.update_card(self.card_biz_id, card)

    async def fail(self, partial_answer: str, apology: str) -> None:
        with _refusals():
            await self.api.update_card(self.card_biz_id, cards.apology_card(self.incoming.question, partial_answer, apology, self.key))
