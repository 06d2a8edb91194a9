"""What a robot does with each message its Type has ACKed: answer a question (once, within the
bound), reply "busy" or "text only", or store a feedback press. Work runs in tasks the handler
owns, so the Type's connection loop goes straight back to reading frames.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from element_studio.contract import Storage

from . import feedback_store, message_log as records
from .answer_settings import AnswerSettings
from .answering import Answerer
from .dedup import SeenMessages
from .incoming import NOT_TEXT, PICTURES, TEXT, Incoming
from .replies import ChatReplies, ReplyFailed
from .robot_status import RobotStatus


class RobotHandler:
    """Handles one robot's messages and presses; at most `max_concurrent_answers` answers run at once."""

    def __init__(
        self,
        robot: str,
        settings: AnswerSettings,
        replies: ChatReplies,
        storage: Storage,
        answerer: Answerer,
        status: RobotStatus,
        logger: logging.Logger,
    ) -> None:
        self.robot = robot
        self.settings = settings
        self.replies = replies
        self.storage = storage
        self.answerer = answerer
        self.status = status
        self.log = logger
        self.seen = SeenMessages(settings.dedup_seconds)
        self.answers_in_flight = 0
        self._tasks: set[asyncio.Task[Any]] = set()

    def on_message(self, incoming: Incoming) -> None:
        """A chat message the Type has read and ACKed."""
        if not self.seen.first_time(incoming.msg_id):
            self.log.info("msgId %s delivered again: ACKed, not answered twice", incoming.msg_id)
            return
        self.status.message_handled()
        where = "group" if incoming.in_group else "single chat"
        if incoming.kind not in (TEXT, PICTURES):
            self.log.info("msgId %s (%s from %s in a %s) has no text: told the sender", incoming.msg_id, incoming.msgtype, incoming.sender, where)
            self._spawn(self._unreadable_reply(incoming), f"not-text {incoming.msg_id}")
            return
        if self.answers_in_flight >= self.settings.max_concurrent_answers:
            self.log.warning("busy (%d answers in flight): told %s to try again (msgId %s)", self.answers_in_flight, incoming.sender, incoming.msg_id)
            self._spawn(self._short_reply(incoming, self.answerer.settings_for(incoming).busy_text, records.BUSY), f"busy {incoming.msg_id}")
            return
        pictures = f", {len(incoming.pictures)} picture{'' if len(incoming.pictures) == 1 else 's'}" if incoming.pictures else ""
        self.log.info("question msgId %s from %s in a %s (%d chars%s)", incoming.msg_id, incoming.sender, where, len(incoming.question), pictures)
        self.answers_in_flight += 1
        self.status.answer_started()
        self._spawn(self._answer(incoming), f"answer {incoming.msg_id}")

    def on_feedback(self, feedback: feedback_store.Feedback) -> None:
        """A press of one of the final card's feedback buttons, read by the Type."""
        self._spawn(self._store_feedback(feedback), f"feedback {feedback.msg_id}")

    async def _answer(self, incoming: Incoming) -> None:
        try:
            await self.answerer.answer(incoming)
        finally:
            self.answers_in_flight -= 1
            self.status.answer_finished()

    async def _unreadable_reply(self, incoming: Incoming) -> None:
        """A file, a video, an empty message: say what the robot reads (pictures too, when its agent looks at them)."""
        pictures = incoming.kind == NOT_TEXT and await self.answerer.reads_pictures()
        settings = self.answerer.settings_for(incoming)
        await self._short_reply(incoming, settings.no_files_text if pictures else settings.text_only_text, records.NOT_TEXT)

    async def _short_reply(self, incoming: Incoming, text: str, outcome: str) -> None:
        """A text reply (busy, text only), logged in the message log."""
        try:
            await self.replies.text(incoming, text)
        except ReplyFailed as exc:
            self.log.error("reply to msgId %s failed: %s", incoming.msg_id, exc)
        try:
            await asyncio.to_thread(records.log_received, self.storage, self.robot, incoming, outcome)
        except Exception as exc:
            self.log.error("could not record msgId %s: %s", incoming.msg_id, exc)

    async def _store_feedback(self, feedback: feedback_store.Feedback) -> None:
        try:
            counted = await asyncio.to_thread(feedback_store.store_feedback, self.storage, feedback)
        except Exception as exc:
            self.log.error("could not store feedback on msgId %s: %s", feedback.msg_id, exc)
            return
        self.log.info(
            "feedback %s on msgId %s by %s%s", feedback.rating, feedback.msg_id, feedback.user_id, "" if counted else " (already counted)"
        )

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
