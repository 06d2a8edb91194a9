"""How the family's answers look on DingTalk: an interactive card sent and updated through
the OpenAPI, and markdown or text replies through the message's session webhook."""
from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

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
    except ApiError as exc:
        raise ReplyFailed(str(exc), retryable=exc.status == 0 or exc.status == 429 or exc.status >= 500) from exc
    except WebhookError as exc:
        raise ReplyFailed(str(exc)) from exc


class DingTalkReplies:
    """The family's ChatReplies for one robot's DingTalk app."""

    def __init__(self, api: DingTalkApi) -> None:
        self.api = api

    def card(self, incoming: Incoming, card_id: str = "") -> DingTalkCard:
        return DingTalkCard(self.api, incoming, card_id)

    def dump_address(self, reply_to: DingTalkAddress) -> str:
        return json.dumps({"sessionWebhook": reply_to.session_webhook, "staffId": reply_to.staff_id})

    def load_address(self, text: str) -> Any:
        saved = json.loads(text)
        return DingTalkAddress(saved["sessionWebhook"], saved["staffId"])

    async def markdown(self, incoming: Incoming, text: str) -> None:
        address: DingTalkAddress = incoming.reply_to
        with _refusals():
            await self.api.reply(address.session_webhook, cards.markdown_reply(incoming.question, text, address.at(incoming)))

    async def text(self, incoming: Incoming, text: str) -> None:
        address: DingTalkAddress = incoming.reply_to
        with _refusals():
            await self.api.reply(address.session_webhook, cards.text_reply(text, address.at(incoming)))


class DingTalkCard:
    """One answer's StandardCard: every version is sent whole under the same outTrackId (the
    cardBizId, made here, so the answer journal holds it before the card is sent)."""

    def __init__(self, api: DingTalkApi, incoming: Incoming, card_biz_id: str = "") -> None:
        self.api = api
        self.incoming = incoming
        self.sent = bool(card_biz_id)  # a card sent before a restart
        self.card_biz_id = card_biz_id or api.new_card_biz_id(incoming.msg_id)
        self.key = cards.card_key(self.card_biz_id)

    @property
    def card_id(self) -> str:
        return self.card_biz_id

    async def start(self, thinking_text: str) -> None:
        """The thinking card (the question as header, @sender in groups)."""
        incoming, address = self.incoming, self.incoming.reply_to
        if self.sent:
            with _refusals():
                await self.api.update_card(self.card_biz_id, cards.thinking_card(incoming.question, thinking_text, self.key))
            return
        if not incoming.in_group and not address.staff_id:
            # DingTalk addresses a single-chat card by staff id; an external sender has none
            raise ReplyFailed("the sender has no staff id (senderStaffId), so no card can reach this single chat")
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
        self.sent = True

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
