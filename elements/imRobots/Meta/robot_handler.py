"""What a robot does with each message its Type has ACKed: answer a question (once, within the
bound), reply "busy", "text only" or "too long". Work runs in tasks the handler owns, so the
Type's connection loop goes straight back to reading frames.

A feedback press is different: it is stored before the Type ACKs it (`keep_press`), so a
press the platform considers delivered is never lost to a crash. On start, `recover` finishes the
answers the journal says were in flight when the robot last stopped.
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from element_studio.contract import Storage

from . import answer_journal as journal, feedback_store, message_log as records
from .answer_settings import AnswerSettings
from .acks_first import AcksFirst
from .answering import Answerer, Begun
from .dedup import SeenMessages
from .incoming import NOT_TEXT, PICTURES, TEXT, Incoming
from .orphan_watch import OrphanWatch
from .readable import UNREAD, readable
from .replies import ChatReplies, ReplyFailed
from .robot_status import RobotStatus
from .well_formed_text import capped, well_formed

RECOVERY_SECONDS = 20.0  # an answer claimed from the journal has ended this long after its claim (claimed <= 8 s after its replica died)


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
        self._orphans: OrphanWatch | None = None
        self._acks = AcksFirst.shared()
        self._being_kept: dict[str, asyncio.Future[bool]] = {}  # msgId -> its first delivery's keeping

    async def keep_message(self, incoming: Incoming) -> bool:
        """A chat message, before the Type ACKs it: a question is logged and journaled first, so
        once the platform has the ACK a crash cannot lose it (a live replica ends it); the answer
        then runs in a task. Always True: a question whose journal could not be written is
        answered all the same, and one another replica logged first is not answered again."""
        kept = self._being_kept.get(incoming.msg_id)
        if kept is not None:  # delivered again while its first delivery is being kept: ACKed once that one is kept
            self.log.info("msgId %s delivered again while being kept: ACKed once kept, not answered twice", incoming.msg_id)
            return await asyncio.shield(kept)
        self._being_kept[incoming.msg_id] = kept = asyncio.get_running_loop().create_future()
        try:
            with self._acks.keeping():
                outcome = await self._keep_message(incoming)
            kept.set_result(outcome)
            return outcome
        finally:
            if not kept.done():
                kept.cancel()
            del self._being_kept[incoming.msg_id]

    async def _keep_message(self, incoming: Incoming) -> bool:
        question, sender_name = well_formed(incoming.question), well_formed(incoming.sender_name)
        if question is not incoming.question or sender_name is not incoming.sender_name:
            incoming = dataclasses.replace(incoming, question=question, sender_name=sender_name)
        if not self.seen.first_time(incoming.msg_id):
            self.log.info("msgId %s delivered again: ACKed, not answered twice", incoming.msg_id)
            return True
        self.status.message_handled()
        if incoming.kind not in (TEXT, PICTURES):
            self.log.info("msgId %s (%s from %s in a %s) has no text: told the sender", incoming.msg_id, incoming.msgtype, incoming.sender,
                          _chat(incoming))
            self._spawn(self._unreadable_reply(incoming), f"not-text {incoming.msg_id}")
            return True
        cap = self.settings.max_question_chars
        if cap and len(incoming.question) > cap:
            self.log.warning("msgId %s from %s has %d chars, over maxQuestionChars %d: told the sender", incoming.msg_id, incoming.sender,
                             len(incoming.question), cap)
            kept = dataclasses.replace(incoming, question=capped(incoming.question, cap))
            self._spawn(self._short_reply(kept, self.answerer.settings_for(incoming).question_too_long_text, records.TOO_LONG), f"too long {incoming.msg_id}")
            return True
        if self.answers_in_flight >= self.settings.max_concurrent_answers:
            self.log.warning("busy (%d answers in flight): told %s to try again (msgId %s)", self.answers_in_flight, incoming.sender, incoming.msg_id)
            self._spawn(self._short_reply(incoming, self.answerer.settings_for(incoming).busy_text, records.BUSY), f"busy {incoming.msg_id}")
            return True
        self.answers_in_flight += 1
        self.status.answer_started()
        try:
            begun = await self.answerer.begin(incoming)
        except BaseException:
            self._answer_finished()
            raise
        if begun is None:
            self._answer_finished()
        else:
            self._spawn(self._answer(self._answer_after_acks(incoming, begun)), f"answer {incoming.msg_id}")
        return True

    async def keep_feedback(self, feedback: feedback_store.Feedback) -> bool:
        """Store a press of a final card's feedback button; the Type ACKs it only on True (stored
        now or before), so a press that could not be stored is sent again by the platform."""
        try:
            counted = await self.answerer.writes.write(lambda storage: feedback_store.store_feedback(storage, feedback))
        except Exception as exc:
            self.log.error("could not store feedback on msgId %s (not ACKed, so it comes again): %s", feedback.msg_id, exc)
            return False
        self.log.info(
            "feedback %s on msgId %s by %s%s", feedback.rating, feedback.msg_id, feedback.user_id, "" if counted else " (already counted)"
        )
        return True

    def keep_press(self, parse: Callable[[], feedback_store.Feedback | None], what: str) -> Awaitable[bool] | None:
        """A card button press, read by `parse` (None: not a feedback button), to keep before the
        Type answers the platform; None when there is nothing to keep (answer it at once)."""
        feedback = readable(parse, what, self.log, unread=UNREAD)
        if feedback is None:
            self.log.info("ignored %s that is not a feedback button", what)
        return None if feedback is None or feedback is UNREAD else self.keep_feedback(feedback)

    def recover(self) -> None:
        """Finish, in tasks, the answers the journal holds that nobody is answering: those of an
        earlier run of this robot in this process at once, then (through the process's one
        OrphanWatch) those of every replica that dies while this one runs (a crash), each within
        RECOVERY_SECONDS of its claim; and load the agent meanwhile, so the first questions do not
        wait for it."""
        self._spawn(self._recover_own(), "recovery")
        self._spawn(self.answerer.warm_up(), "agent warm-up")
        self._orphans = OrphanWatch.shared(self.storage, self.answerer.replicas)
        self._orphans.watch(self.robot, self.replies.load_address, self._finish)

    async def _recover_own(self) -> None:
        me = self.answerer.replicas.replica_id
        try:
            own = await self.answerer.writes.write(lambda storage: journal.unfinished(storage, self.robot, self.replies.load_address))
            self._finish([e for e in own if e.replica == me and e.incoming.msg_id not in self.seen])
        except Exception as exc:  # the database may be away for a while: the robot's next start reads it again
            self.log.error("could not read the answer journal: %s", exc)

    def _finish(self, entries: list[journal.JournalEntry]) -> None:
        """End answers taken over from the journal, each in its task, within RECOVERY_SECONDS."""
        if not entries:
            return
        self.log.warning("%d answer(s) were in flight when this robot or its replica last stopped: ending each within %.0f s",
                         len(entries), RECOVERY_SECONDS)
        deadline = time.monotonic() + RECOVERY_SECONDS
        for entry in entries:
            self.seen.first_time(entry.incoming.msg_id)
            self.answers_in_flight += 1
            self.status.answer_started()
            self._spawn(self._answer(self.answerer.recover(entry, deadline)), f"recover {entry.incoming.msg_id}")

    async def _answer_after_acks(self, incoming: Incoming, begun: Begun) -> None:
        """Logged here, once the questions around it are ACKed: a log line costs as much as the
        rest of keeping a question (1,000 lines in a burst held back the later ACKs)."""
        await self._acks.turn()
        pictures = f", {len(incoming.pictures)} picture{'' if len(incoming.pictures) == 1 else 's'}" if incoming.pictures else ""
        self.log.info("question msgId %s from %s in a %s (%d chars%s)", incoming.msg_id, incoming.sender, _chat(incoming), len(incoming.question),
                      pictures)
        await self.answerer.answer(incoming, begun=begun)

    async def _answer(self, answering: Coroutine[Any, Any, None]) -> None:
        try:
            await answering
        finally:
            self._answer_finished()

    def _answer_finished(self) -> None:
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
            await self.answerer.writes.write(lambda storage: records.log_received(storage, self.robot, incoming, outcome))
        except Exception as exc:
            self.log.error("could not record msgId %s: %s", incoming.msg_id, exc)

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
        if self._orphans is not None:
            self._orphans.unwatch(self.robot)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=grace)


def _chat(incoming: Incoming) -> str:
    return "group" if incoming.in_group else "single chat"
