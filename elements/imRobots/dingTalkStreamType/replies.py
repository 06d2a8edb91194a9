"""How the family's answers look on DingTalk: an interactive card sent and updated through
the OpenAPI (or an AI card streamed through the card streaming API), and markdown or text
replies through the message's session webhook."""
from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from ..Meta.incoming import Incoming
from ..Meta.replies import AnswerEnd, Ending, FeedbackButton, ReplyFailed, apology_after, refusals
from . import ai_cards, cards
from .ai_cards import AICardTemplate
from .http import ApiError
from .messages import DingTalkAddress
from .openapi import STREAM_CARD, UPDATE_CARD, UPDATE_INSTANCE, DingTalkApi, WebhookError


T = TypeVar("T")


def _refusals() -> contextlib.AbstractContextManager[None]:
    """DingTalk's refusals, raised as the family's ReplyFailed (a session webhook's: never retried)."""
    return refusals(ApiError, (WebhookError,))


class DingTalkReplies:
    """The family's ChatReplies for one robot's DingTalk app."""

    def __init__(self, api: DingTalkApi, ai_card: AICardTemplate | None = None) -> None:
        self.api = api
        self.ai_card = ai_card  # None: StandardCard interactive cards

    def card(self, incoming: Incoming, card_id: str = "") -> DingTalkCard | DingTalkAICard:
        if self.ai_card is not None:
            return DingTalkAICard(self.api, incoming, self.ai_card, card_id)
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


def _addressable(incoming: Incoming) -> None:
    """DingTalk addresses a single-chat card by staff id; an external sender has none, so the
    answer goes through the session webhook instead (ReplyFailed makes it markdown)."""
    if not incoming.in_group and not incoming.reply_to.staff_id:
        raise ReplyFailed("the sender has no staff id (senderStaffId), so no card can reach this single chat")


class _FirstFace(Generic[T]):
    """What a new card shows, decided when its call's turn at the rate limit comes: the ended
    answer when the card had to wait for that turn (or its hold) and the answer ended meanwhile,
    else the thinking text. `hold`: a card whose turn came late waits a moment more for its
    answer to end; under load (50 questions, a second's answer each) the last cards' turns come
    just before their answers end, and a thinking card then needs an update call that waits
    another second."""

    def __init__(self, end: AnswerEnd | None, ended: Callable[[Ending], T], thinking: Callable[[], T]) -> None:
        self.end = end
        self._ended = ended
        self._thinking = thinking
        self.sent_as: Ending | None = None  # the ending the card went out with (None: thinking)
        self.hold: Callable[[], Awaitable[object]] | None = None if end is None else end.wait

    def __call__(self, waited: bool) -> T:
        self.sent_as = self.end.ending if waited and self.end is not None else None
        return self._ended(self.sent_as) if self.sent_as else self._thinking()


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

    async def start(self, thinking_text: str, end: AnswerEnd | None = None) -> Ending | None:
        """The thinking card (the question as header, @sender in groups), or the ended card when
        the answer ended while the card waited for its turn (or within the hold after it)."""
        incoming, address = self.incoming, self.incoming.reply_to
        face = _FirstFace(end, self._ended, lambda: cards.thinking_card(incoming.question, thinking_text, self.key))
        if self.sent:
            with _refusals():
                await self.api.update_card(self.card_biz_id, cards.thinking_card(incoming.question, thinking_text, self.key))
        else:
            _addressable(incoming)
            at_users = [{"nickName": incoming.sender_name, "userId": address.staff_id}] if incoming.in_group and address.staff_id else None
            with _refusals():
                await self.api.send_card(self.card_biz_id, face, conversation_id=incoming.conversation_id, in_group=incoming.in_group,
                                         receiver_staff_id=address.staff_id, at_users=at_users, hold=face.hold)
            self.sent = True
        if face.sent_as is None:
            self.api.rate_limit.owe(UPDATE_CARD, self.card_biz_id)
        return face.sent_as

    async def show(self, partial_answer: str) -> None:
        """Skipped while the app's card updates have no room beyond the final cards owed: 50
        answers at once queued 165 streaming updates, and every final card behind those."""
        if not self.api.reserve_now(UPDATE_CARD):
            return
        with _refusals():
            await self.api.update_card(self.card_biz_id, cards.streaming_card(self.incoming.question, partial_answer, self.key), reserved=True)

    async def finish(self, answer: str, buttons: tuple[FeedbackButton, ...]) -> None:
        await self._end(Ending(answer, buttons))

    async def fail(self, partial_answer: str, apology: str) -> None:
        await self._end(Ending(partial_answer, apology=apology))

    async def _end(self, ending: Ending) -> None:
        self.api.rate_limit.settle(UPDATE_CARD, self.card_biz_id)
        with _refusals():
            await self.api.update_card(self.card_biz_id, self._ended(ending))

    def _ended(self, ending: Ending) -> dict[str, Any]:
        question = self.incoming.question
        if ending.failed:
            return cards.apology_card(question, ending.text, ending.apology or "", self.key)
        return cards.final_card(question, ending.text, self.key, self.incoming.msg_id, ending.buttons)


class DingTalkAICard:
    """One answer's AI card: created and delivered processing, streamed whole under a fresh guid
    per update once it is inputting, finalized (or ended in error) and then set to its final state."""

    def __init__(self, api: DingTalkApi, incoming: Incoming, template: AICardTemplate, track_id: str = "") -> None:
        self.api = api
        self.incoming = incoming
        self.template = template
        self.sent = bool(track_id)  # a card delivered before a restart
        self.track_id = track_id or ai_cards.out_track_id(incoming.msg_id)
        self.inputting = False

    @property
    def card_id(self) -> str:
        return self.track_id

    async def start(self, thinking_text: str, end: AnswerEnd | None = None) -> Ending | None:
        """Delivered processing, or in its final state when the answer ended while the card
        waited for its turn (or within the hold after it)."""
        incoming, address = self.incoming, self.incoming.reply_to
        face = _FirstFace(end, self._ended, lambda: self.template.params(ai_cards.PROCESSING, thinking_text))
        if self.sent:  # back to processing; the next update streams again
            with _refusals():
                await self.api.put_card_params(self.track_id, self.template.params(ai_cards.PROCESSING, thinking_text))
        else:
            _addressable(incoming)
            at_users = {address.staff_id: incoming.sender_name} if incoming.in_group and address.staff_id else None
            with _refusals():
                await self.api.create_and_deliver_card(self.track_id, self.template.template_id, face, conversation_id=incoming.conversation_id,
                                                       in_group=incoming.in_group, receiver_staff_id=address.staff_id, at_users=at_users,
                                                       hold=face.hold)
            self.sent = True
        if face.sent_as is None:
            self.api.rate_limit.owe(UPDATE_INSTANCE, self.track_id)
        return face.sent_as

    async def show(self, partial_answer: str) -> None:
        """Skipped, like a StandardCard's, while the app's calls have no room beyond those owed."""
        with _refusals():
            if not self.inputting:  # the template shows streamed text once the card is inputting
                if not self.api.reserve_now(UPDATE_INSTANCE, STREAM_CARD):
                    return
                await self.api.put_card_params(self.track_id, self.template.params(ai_cards.INPUTTING, partial_answer), reserved=True)
                self.inputting = True
                self.api.rate_limit.owe(STREAM_CARD, self.track_id)  # the finalizing stream
            elif not self.api.reserve_now(STREAM_CARD):
                return
            await self.api.stream_card(self.track_id, self.template.content_field, partial_answer, reserved=True)

    async def finish(self, answer: str, buttons: tuple[FeedbackButton, ...]) -> None:
        await self._end(Ending(answer, buttons))

    async def fail(self, partial_answer: str, apology: str) -> None:
        await self._end(Ending(partial_answer, apology=apology))

    async def _end(self, ending: Ending) -> None:
        """Finalize the stream (in error for a failed answer), then the final state."""
        for api in (STREAM_CARD, UPDATE_INSTANCE):
            self.api.rate_limit.settle(api, self.track_id)
        with _refusals():
            if self.inputting:
                text = apology_after(ending.text, ending.apology) if ending.failed else ending.text
                await self.api.stream_card(self.track_id, self.template.content_field, text, finalize=True, error=ending.failed)
                self.inputting = False  # finalized: a retry of a refused final state does not stream again
            await self.api.put_card_params(self.track_id, self._ended(ending))

    def _ended(self, ending: Ending) -> dict[str, str]:
        if ending.failed:
            return self.template.params(ai_cards.FAILED, apology_after(ending.text, ending.apology or ""))
        return self.template.final_params(ending.text, ending.buttons)
