"""How the family's answers look on DingTalk: an interactive card sent and updated through
the OpenAPI (or an AI card streamed through the card streaming API), and markdown or text
replies through the message's session webhook."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator

from ..Meta.incoming import Incoming
from ..Meta.replies import FeedbackButton, ReplyFailed, apology_after
from . import ai_cards, cards
from .ai_cards import AICardTemplate
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

    def __init__(self, api: DingTalkApi, ai_card: AICardTemplate | None = None) -> None:
        self.api = api
        self.ai_card = ai_card  # None: StandardCard interactive cards

    def card(self, incoming: Incoming) -> DingTalkCard | DingTalkAICard:
        if self.ai_card is not None:
            return DingTalkAICard(self.api, incoming, self.ai_card)
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


class DingTalkAICard:
    """One answer's AI card: created and delivered processing, streamed whole under a fresh guid
    per update once it is inputting, finalized (or ended in error) and then set to its final state."""

    def __init__(self, api: DingTalkApi, incoming: Incoming, template: AICardTemplate) -> None:
        self.api = api
        self.incoming = incoming
        self.template = template
        self.track_id = ai_cards.out_track_id(incoming.msg_id)
        self.inputting = False

    async def start(self, thinking_text: str) -> None:
        incoming, address = self.incoming, self.incoming.reply_to
        at_users = {address.staff_id: incoming.sender_name} if incoming.in_group and address.staff_id else None
        with _refusals():
            await self.api.create_and_deliver_card(
                self.track_id,
                self.template.template_id,
                self.template.params(ai_cards.PROCESSING, thinking_text),
                conversation_id=incoming.conversation_id,
                in_group=incoming.in_group,
                receiver_staff_id=address.staff_id,
                at_users=at_users,
            )

    async def show(self, partial_answer: str) -> None:
        with _refusals():
            if not self.inputting:  # the template shows streamed text once the card is inputting
                await self.api.put_card_params(self.track_id, self.template.params(ai_cards.INPUTTING, partial_answer))
                self.inputting = True
            await self.api.stream_card(self.track_id, self.template.content_field, partial_answer)

    async def finish(self, answer: str, buttons: tuple[FeedbackButton, ...]) -> None:
        with _refusals():
            if self.inputting:
                await self.api.stream_card(self.track_id, self.template.content_field, answer, finalize=True)
            await self.api.put_card_params(self.track_id, self.template.final_params(answer, buttons))

    async def fail(self, partial_answer: str, apology: str) -> None:
        text = apology_after(partial_answer, apology)
        with _refusals():
            if self.inputting:
                await self.api.stream_card(self.track_id, self.template.content_field, text, finalize=True, error=True)
            await self.api.put_card_params(self.track_id, self.template.params(ai_cards.FAILED, text))
