"""Answering one question, the same on every IM platform: ask the agent, stream into the
Type's card within the update budget (or one markdown reply), and always end visibly: an
agent that raises or runs out of time ends the card with an apology.
"""
from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import Callable
from typing import Any

from element_studio.contract import Storage, translated_text

from . import message_log as records
from .answer_settings import AnswerSettings, language_of
from .incoming import PICTURES, Incoming
from .pictures import ChatPictures, accepts_pictures
from .replies import AnswerCard, ChatReplies, ReplyFailed, apology_after
from .throttle import CardUpdateThrottle

STOP_FINISH_TIMEOUT = 0.5  # on stop, how long an answer may take to end its card


class Answerer:
    """Answers questions for one robot; `answer()` runs as its own task per question."""

    def __init__(
        self,
        robot: str,
        settings: AnswerSettings,
        replies: ChatReplies,
        storage: Storage,
        app: Any,
        logger: logging.Logger,
        on_error: Callable[[str], None] = lambda text: None,
        pictures: ChatPictures | None = None,
    ) -> None:
        self.robot = robot
        self.settings = settings
        self.replies = replies
        self.storage = storage
        self.app = app
        self.log = logger
        self.on_error = on_error
        self.pictures = pictures  # None: the Type cannot fetch pictures

    async def reads_pictures(self) -> bool:
        """Whether this robot can hand pictures to its agent (a broken agent reads none)."""
        if self.pictures is None:
            return False
        try:
            return accepts_pictures(await self._agent())
        except Exception as exc:  # answering says what is wrong with the agent; here it only reads no pictures
            self.log.warning("cannot tell whether agent %s reads pictures: %s", self.settings.agent, exc)
            return False

    def settings_for(self, incoming: Incoming) -> AnswerSettings:
        """The settings in the asker's language (the words the instance did not set itself)."""
        language = language_of(incoming.question, incoming.sender_name)
        return self.settings.in_language(language, lambda text, lang: translated_text(self.app, self.robot, text, lang))

    async def answer(self, incoming: Incoming) -> None:
        started = time.monotonic()
        if not await self._first_time(incoming):
            self.log.info("msgId %s was handled before (message log): not answered twice", incoming.msg_id)
            return
        if incoming.kind == PICTURES and not await self.reads_pictures():
            await self._decline_pictures(incoming)
            return
        card = await self._start_card(incoming) if self.settings.uses_cards else None
        text, outcome, apology = "", records.ANSWERED, ""
        try:
            text, outcome, apology = await self._ask_agent(incoming, card)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self._end(incoming, card, text, records.STOPPED, self.settings_for(incoming).apology_text), STOP_FINISH_TIMEOUT)
            raise
        await self._end(incoming, card, text, outcome, apology)
        updates = f", {card.updates} card update{'' if card.updates == 1 else 's'}" if card else ""
        self.log.info(
            "%s msgId %s in %.0f ms: %d chars%s",
            "answered" if outcome == records.ANSWERED else f"ended ({outcome})",
            incoming.msg_id,
            (time.monotonic() - started) * 1000,
            len(text),
            updates,
        )

    async def _first_time(self, incoming: Incoming) -> bool:
        try:
            return await asyncio.to_thread(records.log_received, self.storage, self.robot, incoming)
        except Exception as exc:  # the answer matters more than its log row
            self.log.error("could not record msgId %s: %s", incoming.msg_id, exc)
            return True

    async def _decline_pictures(self, incoming: Incoming) -> None:
        """Say what the robot reads instead of answering pictures its agent cannot look at."""
        self.log.info("msgId %s has only pictures and agent %s does not look at pictures: told the sender", incoming.msg_id, self.settings.agent)
        try:
            await self.replies.text(incoming, self.settings_for(incoming).text_only_text)
        except ReplyFailed as exc:
            self.log.error("reply to msgId %s failed: %s", incoming.msg_id, exc)
        try:
            await asyncio.to_thread(records.log_outcome, self.storage, self.robot, incoming.msg_id, "", records.NOT_TEXT)
        except Exception as exc:
            self.log.error("could not record the outcome of msgId %s: %s", incoming.msg_id, exc)

    async def _start_card(self, incoming: Incoming) -> _StreamingCard | None:
        card = _StreamingCard(self.replies.card(incoming), self.settings_for(incoming), incoming, self.log)
        try:
            await card.start()
        except ReplyFailed as exc:
            self.log.warning("cannot send the card (%s): answering msgId %s with markdown instead", exc, incoming.msg_id)
            return None
        return card

    async def _agent(self) -> Any:
        """The configured agent (loading may build an index: off the loop)."""
        agent = await asyncio.to_thread(self.app.getElement, self.settings.agent)
        if not callable(getattr(agent, "stream", None)):
            raise TypeError(f"{self.settings.agent} is not an agent with stream(question, chat_id)")
        return agent

    async def _ask_agent(self, incoming: Incoming, card: _StreamingCard | None) -> tuple[str, str, str]:
        """(answer text, outcome, apology); the text so far survives a failure."""
        parts: list[str] = []
        timeout = asyncio.timeout(self.settings.answer_timeout)
        try:
            async with timeout:
                agent = await self._agent()
                pictures = await self._pictures_for(agent, incoming)
                if pictures:
                    stream = agent.stream(incoming.question, incoming.chat_id, images=pictures)
                else:
                    stream = agent.stream(incoming.question, incoming.chat_id)
                if inspect.isawaitable(stream):  # an `async def stream` that returns the iterator
                    stream = await stream
                async with _closing(stream):
                    async for chunk in stream:
                        if not chunk:
                            continue
                        parts.append(chunk if isinstance(chunk, str) else str(chunk))
                        if card is not None:
                            await card.chunk(parts)
        except Exception as exc:
            if isinstance(exc, TimeoutError) and timeout.expired():
                error = f"agent {self.settings.agent} took longer than {self.settings.answer_timeout:g} s on msgId {incoming.msg_id}"
                self.log.error("%s (%d chars so far)", error, sum(map(len, parts)))
                self.on_error(error)
                return "".join(parts), records.TIMED_OUT, self.settings_for(incoming).apology_text
            error = f"agent {self.settings.agent} failed on msgId {incoming.msg_id}: {type(exc).__name__}: {exc}"
            self.log.error("%s", error, exc_info=exc)
            self.on_error(error)
            user_message = getattr(exc, "user_message", None)
            apology = user_message if isinstance(user_message, str) and user_message.strip() else self.settings_for(incoming).apology_text
            return "".join(parts), records.FAILED, apology
        text = "".join(parts)
        if not text.strip():
            self.log.error("agent %s returned an empty answer for msgId %s", self.settings.agent, incoming.msg_id)
            return text, records.FAILED, self.settings_for(incoming).apology_text
        return text, records.ANSWERED, ""

    async def _pictures_for(self, agent: Any, incoming: Incoming) -> list[Any]:
        """The message's pictures when the agent looks at them (raises PictureUnavailable)."""
        if not incoming.pictures or self.pictures is None or not accepts_pictures(agent):
            return []
        pictures = await self.pictures.download(incoming)
        self.log.info("msgId %s: %d picture%s for agent %s (%d bytes)", incoming.msg_id, len(pictures), "" if len(pictures) == 1 else "s",
                      self.settings.agent, sum(len(p.data) for p in pictures))
        return pictures

    async def _end(self, incoming: Incoming, card: _StreamingCard | None, text: str, outcome: str, apology: str) -> None:
        """Show the outcome (on the card; as markdown without one or when it fails), then record it."""
        shown = False
        if card is not None:
            try:
                if outcome == records.ANSWERED:
                    await card.finish(text)
                else:
                    await card.fail(text, apology)
                shown = True
            except ReplyFailed as exc:
                self.log.error("final card for msgId %s failed (%s): sending it as markdown instead", incoming.msg_id, exc)
        if not shown:
            await self._markdown(incoming, text, outcome, apology)
        try:
            await asyncio.to_thread(records.log_outcome, self.storage, self.robot, incoming.msg_id, text, outcome)
        except Exception as exc:
            self.log.error("could not record the outcome of msgId %s: %s", incoming.msg_id, exc)

    async def _markdown(self, incoming: Incoming, text: str, outcome: str, apology: str) -> None:
        """The answer (or the apology after what arrived) as one markdown reply."""
        body = text if outcome == records.ANSWERED else apology_after(text, apology)
        try:
            await self.replies.markdown(incoming, body)
        except ReplyFailed as exc:
            self.log.error("markdown reply to msgId %s failed: %s", incoming.msg_id, exc)


class _StreamingCard:
    """The Type's card driven by the update budget: the thinking card, streaming updates when
    the throttle allows (a failed one is only logged: the final card still comes), the end."""

    def __init__(self, card: AnswerCard, settings: AnswerSettings, incoming: Incoming, logger: logging.Logger,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.card = card
        self.settings = settings
        self.incoming = incoming
        self.log = logger
        self.clock = clock
        self.throttle = self._new_throttle()

    def _new_throttle(self) -> CardUpdateThrottle:
        s = self.settings
        return CardUpdateThrottle(s.max_card_updates, s.update_interval, s.update_every_chunks, self.clock())

    @property
    def updates(self) -> int:
        """Updates sent after the thinking card (the final one included)."""
        return self.throttle.used

    async def start(self) -> None:
        await self.card.start(self.settings.thinking_text)
        self.throttle = self._new_throttle()

    async def chunk(self, parts: list[str]) -> None:
        if not self.throttle.chunk(self.clock()):
            return
        self.throttle.updated(self.clock())
        try:
            await self.card.show("".join(parts))
        except ReplyFailed as exc:
            self.log.warning("card update for msgId %s failed: %s", self.incoming.msg_id, exc)

    async def finish(self, answer: str) -> None:
        self.throttle.finished()
        await self.card.finish(answer, self.settings.feedback_buttons)

    async def fail(self, partial_answer: str, apology: str) -> None:
        self.throttle.finished()
        await self.card.fail(partial_answer, apology)


@contextlib.asynccontextmanager
async def _closing(stream: Any):
    """Close an async generator when the answer ends early (timeout, stop), if it can be closed."""
    try:
        yield stream
    finally:
        aclose = getattr(stream, "aclose", None)
        if aclose is not None:
            with contextlib.suppress(Exception):
                await aclose()
