"""What the robot does with each ACKed callback: answer a question (once, within the bound),
reply "busy" or "text only", or store a feedback press. Work runs in tasks the handler
owns, so the connection loop goes straight back to reading frames.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from dingtalk_stream import CallbackMessage, ChatbotMessage
from dingtalk_stream.card_callback import Card_Callback_Router_Topic

from element_studio.contract import Storage

from ..Meta import feedback_store, message_log as records
from . import cards
from .answering import Answerer
from .dedup import SeenMessages
from .feedback import parse_feedback
from .http import ApiError
from .messages import TEXT, Incoming, parse_incoming
from .openapi import DingTalkApi, WebhookError
from .settings import RobotSettings
from .status import RobotStatus

ROBOT_TOPICS = [ChatbotMessage.TOPIC, Card_Callback_Router_Topic]


class RobotHandler:
    """Routes callbacks; at most `max_concurrent_answers` answers run at once."""

    def __init__(
        self,
        robot: str,
        settings: RobotSettings,
        api: DingTalkApi,
        storage: Storage,
        answerer: Answerer,
        status: RobotStatus,
        logger: logging.Logger,
    ) -> None:
        self.robot = robot
        self.settings = settings
        self.api = api
        self.storage = storage
        self.answerer = answerer
        self.status = status
        self.log = logger
        self.seen = SeenMessages(settings.dedup_seconds)
        self.answers_in_flight = 0
        self._tasks: set[asyncio.Task[Any]] = set()

    # called by the connection after the ACK went out ------------------------------------
    def on_callback(self, message: CallbackMessage) -> None:
        topic = message.headers.topic
        if topic == Card_Callback_Router_Topic:
            self._on_card_callback(message.data)
        elif topic == ChatbotMessage.TOPIC:
            self._on_robot_message(message.data)

    def _on_robot_message(self, data: dict[str, Any]) -> None:
        try:
            incoming = parse_incoming(data)
        except Exception as exc:  # a malformed message must not stop the robot
            self.log.warning("ignored a robot message that cannot be read: %s: %s", type(exc).__name__, exc)
            return
        if not self.seen.first_time(incoming.msg_id):
            self.log.info("msgId %s delivered again: ACKed, not answered twice", incoming.msg_id)
            return
        self.status.message_handled()
        where = "group" if incoming.in_group else "single chat"
        if incoming.kind != TEXT:
            self.log.info("msgId %s (%s from %s in a %s) has no text: told the sender", incoming.msg_id, incoming.msgtype, incoming.sender, where)
            self._spawn(self._short_reply(incoming, self.settings.text_only_text, records.NOT_TEXT), f"not-text {incoming.msg_id}")
            return
        if self.answers_in_flight >= self.settings.max_concurrent_answers:
            self.log.warning("busy (%d answers in flight): told %s to try again (msgId %s)", self.answers_in_flight, incoming.sender, incoming.msg_id)
            self._spawn(self._short_reply(incoming, self.settings.busy_text, records.BUSY), f"busy {incoming.msg_id}")
            return
        self.log.info("question msgId %s from %s in a %s (%d chars)", incoming.msg_id, incoming.sender, where, len(incoming.question))
        self.answers_in_flight += 1
        self.status.answer_started()
        self._spawn(self._answer(incoming), f"answer {incoming.msg_id}")

    async def _answer(self, incoming: Incoming) -> None:
        try:
            await self.answerer.answer(incoming)
        finally:
            self.answers_in_flight -= 1
            self.status.answer_finished()

    async def _short_reply(self, incoming: Incoming, text: str, outcome: str) -> None:
        """A text reply through the session webhook (busy, text only), logged in the message log."""
        at = [incoming.sender_staff_id] if incoming.in_group and incoming.sender_staff_id else []
        try:
            await self.api.reply(incoming.session_webhook, cards.text_reply(text, at))
        except (ApiError, WebhookError) as exc:
            self.log.error("reply to msgId %s failed: %s", incoming.msg_id, exc)
        try:
            await asyncio.to_thread(records.log_received, self.storage, self.robot, incoming, outcome)
        except Exception as exc:
            self.log.error("could not record msgId %s: %s", incoming.msg_id, exc)

    def _on_card_callback(self, data: dict[str, Any]) -> None:
        try:
            feedback = parse_feedback(self.robot, data)
        except Exception as exc:
            self.log.warning("ignored a card callback that cannot be read: %s: %s", type(exc).__name__, exc)
            return
        if feedback is None:
            self.log.info("ignored a card callback that is not a feedback button")
            return
        self._spawn(self._store_feedback(feedback), f"feedback {feedback.msg_id}")

    async def _store_feedback(self, feedback: feedback_store.Feedback) -> None:
        try:
            counted = await asyncio.to_thread(feedback_store.store_feedback, self.storage, feedback)
        except Exception as exc:
            self.log.error("could not store feedback on msgId %s: %s", feedback.msg_id, exc)
            return
        self.log.info(
            "feedback %s on msgId %s by %s%s", feedback.rating, feedback.msg_id, feedback.user_id, "" if counted else " (already counted)"
        )

    # tasks ------------------------------------------------------------------------------
    def _spawn(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        task = asyncio.create_task(coro, name=f"{self.robot}: {name}")
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            self.log.error("%s failed: %s: %s", task.get_name(), type(exc).__name__, exc, exc_info=exc)

    async def stop(self, grace: float) -> None:
        """Cancel every answer; each gets a moment to end its card, the rest is abandoned."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=grace)
