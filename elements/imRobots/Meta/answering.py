"""Answering one question, the same on every IM platform: ask the agent, stream into the
Type's card within the update budget (or one markdown reply), and always end visibly: an
agent that raises or runs out of time ends the card with an apology.

Every answer is in the answer journal from before its card is sent until it ends, so a robot
that crashed answers it again, or ends its card with the apology, when it starts again
(`recover`). A final card the platform refuses for a passing fault (5xx, timeout) is sent again
with backoff before the answer goes out as markdown instead: one copy of an answer, never two.
"""
from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from element_studio.contract import Storage, translated_text

from . import answer_journal as journal, message_log as records
from .answer_settings import AnswerSettings, language_of
from .api_budget import AnswerForm, answer_form, why
from .batched_writes import BatchedWrites
from .incoming import PICTURES, Incoming
from .pictures import ChatPictures, accepts_pictures
from .replies import AnswerCard, AnswerEnd, ChatReplies, Ending, ReplyFailed, apology_after
from .throttle import CardUpdateThrottle

STOP_FINISH_TIMEOUT = 0.5  # on stop, how long an answer may take to end its card
FINAL_RETRY_DELAYS = (0.5, 1.0, 2.0)  # a final card refused for a passing fault is sent again after these
RETRY_WITHIN = 600.0  # after a restart, answers begun less than this long ago are answered again
MAX_ATTEMPTS = 2  # ... unless they were begun this often already (a question that crashes the robot)
RECOVERY_FINAL_MARGIN = 3.0  # seconds kept for the final card within the recovery deadline
LANGUAGE_SETTINGS_SECONDS = 10.0  # how long the robot's words in one language are reused (a changed translation shows after this)
_warmed: set[tuple[int, str]] = set()  # (id of the App, agent) whose load some robot of this process began


class CallCount(Protocol):
    """This month's API calls of the robot's app (see api_usage.ApiUsage)."""

    @property
    def calls(self) -> int: ...


@dataclass(frozen=True)
class Begun:
    """An answer logged and journaled: its card, not sent yet (None: it goes out as markdown)."""

    card: _StreamingCard | None


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
        usage: CallCount | None = None,
        replicas: journal.Replicas | None = None,
    ) -> None:
        self.robot = robot
        self.settings = settings
        self.replies = replies
        self.storage = storage
        self.app = app
        self.log = logger
        self.on_error = on_error
        self.pictures = pictures  # None: the Type cannot fetch pictures
        self.usage = usage
        self.replicas = replicas or journal.ThisProcessOnly()  # whose journal rows are whose
        self.writes = BatchedWrites.shared(storage)  # journal, log and feedback writes, batched with the other robots'
        self.form = answer_form(settings.uses_cards, 0, 0)  # as configured, until the budget says otherwise
        self._in_language: dict[str, tuple[float, AnswerSettings]] = {}  # language -> (when, the settings in it)

    async def warm_up(self) -> None:
        """Load the agent now, once per app and agent in this process, so the first questions do
        not wait for it (the OpenAI-compatible agent imports its client library on first load:
        0.7 s during which 50 questions waited). A failure is left to the first answer to report."""
        key = (id(self.app), self.settings.agent)
        if key in _warmed:
            return
        _warmed.add(key)
        try:
            await self._agent()
        except Exception:  # the answer that needs the agent says what is wrong with it
            _warmed.discard(key)

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
        """The settings in the asker's language (the words the instance did not set itself).

        Kept for LANGUAGE_SETTINGS_SECONDS per language: looking the words up reads each element
        folder's translation file's time stamp (about 1 ms per question), and a DingTalk question
        is ACKed only after its card is made."""
        language = language_of(incoming.question, incoming.sender_name)
        now = time.monotonic()
        kept = self._in_language.get(language)
        if kept is None or now - kept[0] > LANGUAGE_SETTINGS_SECONDS:
            kept = self._in_language[language] = (now, self.settings.in_language(
                language, lambda text, lang: translated_text(self.app, self.robot, text, lang)))
        return kept[1]

    def current_form(self) -> AnswerForm:
        """The form answers take now; a change is logged with its reason (the API budget)."""
        budget = self.settings.monthly_api_budget
        calls = self.usage.calls if self.usage is not None else 0
        form = answer_form(self.settings.uses_cards, budget, calls)
        if form != self.form:
            self.log.warning("answering with %s now (was %s): %s", form, self.form, why(form, budget, calls))
            self.form = form
        return form

    async def begin(self, incoming: Incoming, resume: journal.JournalEntry | None = None) -> Begun | None:
        """Log the message and journal its answer, before anything is sent (a Type that can wait
        calls this before its ACK, so an ACKed question is never lost to a crash); None when the
        message log says it was handled before (by this replica or another)."""
        card = self._card(incoming, self.current_form(), resume)
        if not await self._begin(incoming, card, first=resume is None):
            self.log.info("msgId %s was handled before (message log): not answered twice", incoming.msg_id)
            return None
        return Begun(card)

    async def answer(self, incoming: Incoming, resume: journal.JournalEntry | None = None, timeout: float | None = None,
                     begun: Begun | None = None) -> None:
        """Answer a question; `resume` is its journal entry when a restarted robot answers it again,
        `begun` what `begin` returned when the journal was written already."""
        started = time.monotonic()
        begun = begun or await self.begin(incoming, resume)
        if begun is None:
            return
        card = begun.card
        if incoming.kind == PICTURES and not await self.reads_pictures():
            await self._decline_pictures(incoming)
            return
        # the agent starts at once, not after the thinking card: that card may wait its turn at the
        # platform's rate limit (DingTalk: 20 cards a second per app), and its updates wait for it
        starting = asyncio.create_task(self._start_card(incoming, card), name=f"{self.robot}: card {incoming.msg_id}") if card else None
        text, outcome, apology, error = "", records.ANSWERED, "", ""
        try:
            text, outcome, apology, error = await self._ask_agent(incoming, card, timeout)
            if card is not None:  # a card still waiting for its turn goes out ended
                card.end.end(Ending(text, card.words().feedback_buttons) if outcome == records.ANSWERED else Ending(text, apology=apology))
            card = await starting if starting is not None else None
        except asyncio.CancelledError:
            card = _started(starting)
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self._end(incoming, card, text, records.STOPPED, self.settings_for(incoming).apology_text), STOP_FINISH_TIMEOUT)
            raise
        await self._end(incoming, card, text, outcome, apology, error)
        updates = f", {card.updates} card update{'' if card.updates == 1 else 's'}" if card else ""
        self.log.info(
            "%s msgId %s in %.0f ms: %d chars%s",
            "answered" if outcome == records.ANSWERED else f"ended ({outcome})",
            incoming.msg_id,
            (time.monotonic() - started) * 1000,
            len(text),
            updates,
        )

    async def recover(self, entry: journal.JournalEntry, deadline: float) -> None:
        """An answer a crash left unfinished (claimed from the journal): answer it again by
        `deadline` (monotonic), or, when it is old or was begun twice already, end its card
        (or reply) with the apology."""
        incoming = entry.incoming
        remaining = deadline - time.monotonic() - RECOVERY_FINAL_MARGIN
        age = time.time() - entry.started_at
        if entry.attempts < MAX_ATTEMPTS and age < RETRY_WITHIN and remaining > 1.0 and incoming.kind != PICTURES:
            self.log.warning("msgId %s was being answered when the robot stopped %.0f s ago: answering it again", incoming.msg_id, age)
            await self.answer(incoming, resume=entry, timeout=remaining)
            return
        if incoming.kind == PICTURES:
            reason = "its pictures are not kept"
        elif entry.attempts >= MAX_ATTEMPTS:
            reason = f"begun {entry.attempts} times"
        else:
            reason = f"asked {age:.0f} s ago"
        self.log.warning("msgId %s was being answered when the robot stopped (%s): ending it with the apology", incoming.msg_id, reason)
        card = self._card(incoming, AnswerForm.THINKING_AND_FINAL, entry) if entry.card_id else None
        await self._end(incoming, card, "", records.STOPPED, self.settings_for(incoming).apology_text)

    def _card(self, incoming: Incoming, form: AnswerForm, resume: journal.JournalEntry | None) -> _StreamingCard | None:
        """The answer's card, not sent yet: the one sent before a restart, a new one, or none."""
        if resume is not None and resume.card_id:
            streaming = form is AnswerForm.STREAMING  # the card must end, whatever the budget says
            return _StreamingCard(self.replies.card(incoming, resume.card_id), self.settings, lambda: self.settings_for(incoming), incoming,
                                  self.log, streaming)
        if form is AnswerForm.WEBHOOK:
            return None
        return _StreamingCard(self.replies.card(incoming), self.settings, lambda: self.settings_for(incoming), incoming, self.log,
                              form is AnswerForm.STREAMING)

    async def _begin(self, incoming: Incoming, card: _StreamingCard | None, first: bool) -> bool:
        """Log the message (False: handled before) and journal the answer, in the robot's next batch of writes."""
        card_id = card.card.card_id if card is not None else ""
        try:
            if not first:
                await self.writes.write(lambda storage: journal.begin_again(storage, self.robot, self.replicas.replica_id, incoming.msg_id, card_id))
                return True
            beginning = journal.Beginning(self.robot, self.replicas.replica_id, incoming, self.replies.dump_address(incoming.reply_to), card_id)
            return await self.writes.write_together(_begin_all, beginning)
        except Exception as exc:  # the answer matters more than its records
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
            await self.writes.write(lambda storage: self._record_end(storage, incoming.msg_id, "", records.NOT_TEXT))
        except Exception as exc:
            self.log.error("could not record the outcome of msgId %s: %s", incoming.msg_id, exc)

    async def _start_card(self, incoming: Incoming, card: _StreamingCard) -> _StreamingCard | None:
        journaled = card.card.card_id
        try:
            await card.start()
        except ReplyFailed as exc:
            self.log.warning("cannot send the card (%s): answering msgId %s with markdown instead", exc, incoming.msg_id)
            card = None
        card_id = card.card.card_id if card is not None else ""
        if card_id != journaled:  # a platform that names its cards on send, or no card after all
            with contextlib.suppress(Exception):
                await self.writes.write(lambda storage: journal.set_card(storage, self.robot, incoming.msg_id, card_id))
        return card

    async def _agent(self) -> Any:
        """The configured agent (loading may build an index: off the loop)."""
        agent = await asyncio.to_thread(self.app.getElement, self.settings.agent)
        if not callable(getattr(agent, "stream", None)):
            raise TypeError(f"{self.settings.agent} is not an agent with stream(question, chat_id)")
        return agent

    async def _ask_agent(self, incoming: Incoming, card: _StreamingCard | None, limit: float | None = None) -> tuple[str, str, str, str]:
        """(answer text, outcome, apology, why it failed); the text so far survives a failure."""
        parts: list[str] = []
        seconds = self.settings.answer_timeout if limit is None else min(limit, self.settings.answer_timeout)
        timeout = asyncio.timeout(seconds)
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
                error = f"agent {self.settings.agent} took longer than {seconds:g} s on msgId {incoming.msg_id}"
                self.log.error("%s (%d chars so far)", error, sum(map(len, parts)))
                self.on_error(error)
                return "".join(parts), records.TIMED_OUT, self.settings_for(incoming).apology_text, error
            error = f"agent {self.settings.agent} failed on msgId {incoming.msg_id}: {type(exc).__name__}: {exc}"
            self.log.error("%s", error, exc_info=exc)
            self.on_error(error)
            user_message = getattr(exc, "user_message", None)
            apology = user_message if isinstance(user_message, str) and user_message.strip() else self.settings_for(incoming).apology_text
            return "".join(parts), records.FAILED, apology, error
        text = "".join(parts)
        if not text.strip():
            error = f"agent {self.settings.agent} returned an empty answer for msgId {incoming.msg_id}"
            self.log.error("%s", error)
            return text, records.FAILED, self.settings_for(incoming).apology_text, error
        return text, records.ANSWERED, "", ""

    async def _pictures_for(self, agent: Any, incoming: Incoming) -> list[Any]:
        """The message's pictures when the agent looks at them (raises PictureUnavailable)."""
        if not incoming.pictures or self.pictures is None or not accepts_pictures(agent):
            return []
        pictures = await self.pictures.download(incoming)
        self.log.info("msgId %s: %d picture%s for agent %s (%d bytes)", incoming.msg_id, len(pictures), "" if len(pictures) == 1 else "s",
                      self.settings.agent, sum(len(p.data) for p in pictures))
        return pictures

    async def _end(self, incoming: Incoming, card: _StreamingCard | None, text: str, outcome: str, apology: str, error: str = "") -> None:
        """Show the outcome (on the card; as markdown without one or when it fails), then record it
        and take the answer out of the journal."""
        if card is None or not await self._final_card(incoming, card, text, outcome, apology):
            await self._markdown(incoming, text, outcome, apology)
        try:
            await self.writes.write(lambda storage: self._record_end(storage, incoming.msg_id, text, outcome, error))
        except Exception as exc:
            self.log.error("could not record the outcome of msgId %s: %s", incoming.msg_id, exc)

    def _record_end(self, storage: Storage, msg_id: str, text: str, outcome: str, error: str = "") -> None:
        records.log_outcome(storage, self.robot, msg_id, text, outcome, error)
        journal.end(storage, self.robot, msg_id)

    async def _final_card(self, incoming: Incoming, card: _StreamingCard, text: str, outcome: str, apology: str) -> bool:
        """The final card (or the apology on it), sent again with backoff after a passing fault;
        False when it could not be shown (the answer then goes out as markdown)."""
        if card.ended_on_start:
            return True
        card.throttle.finished()
        for delay in (*FINAL_RETRY_DELAYS, None):
            try:
                if outcome == records.ANSWERED:
                    await card.finish(text)
                else:
                    await card.fail(text, apology)
                return True
            except ReplyFailed as exc:
                if not exc.retryable or delay is None:
                    self.log.error("final card for msgId %s failed (%s): sending it as markdown instead", incoming.msg_id, exc)
                    return False
                self.log.warning("final card for msgId %s failed (%s): sending it again in %.1f s", incoming.msg_id, exc, delay)
                await asyncio.sleep(delay)
        return False

    async def _markdown(self, incoming: Incoming, text: str, outcome: str, apology: str) -> None:
        """The answer (or the apology after what arrived) as one markdown reply."""
        body = text if outcome == records.ANSWERED else apology_after(text, apology)
        if incoming.reply_until and incoming.reply_until < time.time():
            self.log.error("cannot reply to msgId %s: its reply address expired %.0f s ago", incoming.msg_id, time.time() - incoming.reply_until)
            return
        try:
            await self.replies.markdown(incoming, body)
        except ReplyFailed as exc:
            self.log.error("markdown reply to msgId %s failed: %s", incoming.msg_id, exc)


class _StreamingCard:
    """The Type's card driven by the update budget: the thinking card, streaming updates when
    the throttle allows (a failed one is only logged: the final card still comes), the end."""

    def __init__(self, card: AnswerCard, settings: AnswerSettings, words: Callable[[], AnswerSettings], incoming: Incoming,
                 logger: logging.Logger, streaming: bool = True, clock: Callable[[], float] = time.monotonic) -> None:
        self.card = card
        self.settings = settings
        self.words = words  # the settings in the asker's language, looked up when the card shows them (not before the ACK)
        self.max_updates = settings.max_card_updates if streaming else 1  # 1: the final card only
        self.incoming = incoming
        self.log = logger
        self.clock = clock
        self.throttle = self._new_throttle()
        self.shown = False  # the thinking card was sent
        self.end = AnswerEnd()  # how the answer ended, once it has
        self.ended_on_start = False  # the card went out ended: its turn came after the answer ended
        self._arrived: list[str] = []  # the answer's chunks so far
        self._showing = False  # a streaming update is on its way (the card's start and the answer both show text)

    def _new_throttle(self) -> CardUpdateThrottle:
        s = self.settings
        return CardUpdateThrottle(self.max_updates, s.update_interval, s.update_every_chunks, self.clock())

    @property
    def updates(self) -> int:
        """Updates sent after the thinking card (the final one included)."""
        return self.throttle.used

    async def start(self) -> None:
        """The thinking card; text that arrived while it was on its way is shown at once, not
        when the next chunk comes (an agent may pause for seconds after its first words)."""
        self.ended_on_start = await self.card.start(self.words().thinking_text, self.end) is not None
        self.throttle = self._new_throttle()
        self.shown = True
        if self._arrived and not self.ended_on_start and self.end.ending is None and self.throttle.may_update():
            await self._show()

    async def chunk(self, parts: list[str]) -> None:
        self._arrived = parts
        if not self.shown:  # the card's start shows what arrived meanwhile
            return
        if self.throttle.chunk(self.clock()) and not self._showing:  # an update in flight: a later one shows it all
            await self._show()

    async def _show(self) -> None:
        self.throttle.updated(self.clock())
        self._showing = True
        try:
            await self.card.show("".join(self._arrived))
        except ReplyFailed as exc:
            self.log.warning("card update for msgId %s failed: %s", self.incoming.msg_id, exc)
        finally:
            self._showing = False

    async def finish(self, answer: str) -> None:
        await self.card.finish(answer, self.words().feedback_buttons)

    async def fail(self, partial_answer: str, apology: str) -> None:
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


def _started(starting: asyncio.Task[_StreamingCard | None] | None) -> _StreamingCard | None:
    """The card a stopped answer ends on: the one its thinking card went out on, if it did (a
    card still waiting for its turn is not sent at all)."""
    if starting is None:
        return None
    if not starting.done():
        starting.cancel()
        return None
    return None if starting.cancelled() or starting.exception() is not None else starting.result()


def _begin_all(storage: Storage, beginnings: list[journal.Beginning]) -> list[bool]:
    """Log the messages of a batch's questions and journal those new to the log, whichever robots
    they came to: two statements of many rows. False for a message logged before (by this
    replica before a restart, or by another): not answered twice."""
    new = records.log_all_received(storage, [(b.robot, b.incoming) for b in beginnings])
    firsts = [_first_of(new, (b.robot, b.incoming.msg_id)) for b in beginnings]  # a message twice in one batch: its first only
    journal.begin_all(storage, [b for b, first in zip(beginnings, firsts) if first])
    return firsts


def _first_of(new: set[tuple[str, str]], key: tuple[str, str]) -> bool:
    if key not in new:
        return False
    new.discard(key)
    return True
