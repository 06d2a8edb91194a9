"""Answering one question: ask the agent, stream into the card (or one markdown reply), and
always end visibly: an agent that raises or runs out of time ends the card with an apology.
"""
from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from element_studio.contract import Storage

from ..Meta import feedback_store, message_log as records
from . import cards
from .card_reply import CardReply
from .http import ApiError
from .messages import Incoming
from .openapi import DingTalkApi, WebhookError
from .settings import RobotSettings

STOP_FINISH_TIMEOUT = 0.5  # on stop, how long an answer may take to end its card


class Answerer:
    """Answers questions for one robot; `answer()` runs as its own task per question."""

    def __init__(
        self,
        robot: str,
        settings: RobotSettings,
        api: DingTalkApi,
        storage: Storage,
        get_agent: Callable[[], Awaitable[Any]],
        logger: logging.Logger,
        on_error: Callable[[str], None] = lambda text: None,
    ) -> None:
        self.robot = robot
        self.settings = settings
        self.api = api
        self.storage = storage
        self.get_agent = get_agent
        self.log = logger
        self.on_error = on_error

    async def answer(self, incoming: Incoming) -> None:
        started = time.monotonic()
        if not await self._first_time(incoming):
            self.log.info("msgId %s was handled before (message log): not answered twice", incoming.msg_id)
            return
        card = await self._start_card(incoming) if self.settings.reply_mode == "card" else None
        text, outcome, apology = "", records.ANSWERED, ""
        try:
            text, outcome, apology = await self._ask_agent(incoming, card)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self._end(incoming, card, text, records.STOPPED, self.settings.apology_text), STOP_FINISH_TIMEOUT)
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

    async def _start_card(self, incoming: Incoming) -> CardReply | None:
        card = CardReply(self.api, self.settings, incoming, self.log)
        try:
            await card.start()
        except ApiError as exc:
            self.log.warning("cannot send the card (%s): answering msgId %s with markdown through the session webhook", exc, incoming.msg_id)
            return None
        return card

    async def _ask_agent(self, incoming: Incoming, card: CardReply | None) -> tuple[str, str, str]:
        """(answer text, outcome, apology); the text so far survives a failure."""
        parts: list[str] = []
        timeout = asyncio.timeout(self.settings.answer_timeout)
        try:
            async with timeout:
                agent = await self.get_agent()
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
                return "".join(parts), records.TIMED_OUT, self.settings.apology_text
            error = f"agent {self.settings.agent} failed on msgId {incoming.msg_id}: {type(exc).__name__}: {exc}"
            self.log.error("%s", error, exc_info=exc)
            self.on_error(error)
            user_message = getattr(exc, "user_message", None)
            apology = user_message if isinstance(user_message, str) and user_message.strip() else self.settings.apology_text
            return "".join(parts), records.FAILED, apology
        text = "".join(parts)
        if not text.strip():
            self.log.error("agent %s returned an empty answer for msgId %s", self.settings.agent, incoming.msg_id)
            return text, records.FAILED, self.settings.apology_text
        return text, records.ANSWERED, ""

    async def _end(self, incoming: Incoming, card: CardReply | None, text: str, outcome: str, apology: str) -> None:
        """Show the outcome (on the card; as markdown without one or when it fails), then record it."""
        shown = False
        if card is not None:
            try:
                if outcome == records.ANSWERED:
                    await card.finish(text)
                else:
                    await card.fail(text, apology)
                shown = True
            except ApiError as exc:
                self.log.error("final card for msgId %s failed (%s): sending it as markdown instead", incoming.msg_id, exc)
        if not shown:
            await self._markdown(incoming, text, outcome, apology)
        try:
            await asyncio.to_thread(records.log_outcome, self.storage, self.robot, incoming.msg_id, text, outcome)
        except Exception as exc:
            self.log.error("could not record the outcome of msgId %s: %s", incoming.msg_id, exc)

    async def _markdown(self, incoming: Incoming, text: str, outcome: str, apology: str) -> None:
        """The answer (or the apology after what arrived) as one markdown reply."""
        if outcome == records.ANSWERED:
            body = text
        else:
            body = f"{text}\n\n---\n\n{apology}" if text.strip() else apology
        at = [incoming.sender_staff_id] if incoming.in_group and incoming.sender_staff_id else []
        try:
            await self.api.reply(incoming.session_webhook, cards.markdown_reply(incoming.question, body, at))
        except (ApiError, WebhookError) as exc:
            self.log.error("markdown reply to msgId %s failed: %s", incoming.msg_id, exc)


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
