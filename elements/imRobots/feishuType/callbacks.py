"""What the robot does with each event its connection read, before the frame's response goes out:
drop a redelivered message event (same event_id), keep group messages that do not @mention the
bot out, and keep a question (logged and journaled by the family's RobotHandler) or a feedback
press (stored) before it is answered, so what Feishu has had its response for survives a crash.
Quick and never raising: the response waits for it, and Feishu allows 3 s.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

from ..Meta.dedup import SeenMessages
from ..Meta.readable import readable
from ..Meta.robot_handler import RobotHandler
from .events import CARD_ACTION, MESSAGE_RECEIVED, envelope_of, parse_message, parse_press

THANKS = {"toast": {"type": "success", "content": "Thanks for your feedback"}}


class Callbacks:
    """Routes one robot's events by type; anything unreadable is logged and answered all the same."""

    def __init__(self, robot: str, handler: RobotHandler, logger: logging.Logger, dedup_seconds: float) -> None:
        self.robot = robot
        self.handler = handler
        self.log = logger
        self.seen_events = SeenMessages(dedup_seconds)
        self.bot_open_id = ""  # learnt after connecting; until then any @mention of a bot counts

    def on_event(self, payload: bytes) -> dict[str, Any] | None | Awaitable[dict[str, Any] | None]:
        """Handle one event: the response data (a card callback's), or, for a feedback press, an
        awaitable of it once the press is stored (None from it: not stored, do not answer)."""
        envelope = readable(lambda: envelope_of(payload), "an event", self.log)
        if envelope is None:
            return None
        header = envelope["header"]
        event_id, event_type = str(header.get("event_id", "")), header.get("event_type")
        if event_type == CARD_ACTION:  # a press delivered again is stored again: the store counts it once
            keeping = self.handler.keep_press(lambda: parse_press(self.robot, envelope), "a card action")
            return None if keeping is None else _thanks_once(keeping)
        if event_type == MESSAGE_RECEIVED:  # a message delivered again is known by its message_id (in flight, seen, or logged)
            return self._on_message(payload)
        if event_id and not self.seen_events.first_time(event_id):
            self.log.info("event %s delivered again: answered, not handled twice", event_id)
        else:
            self.log.info("ignored an event of type %s", event_type)
        return None

    def _on_message(self, payload: bytes) -> Awaitable[dict[str, Any]] | None:
        """A question, answered to Feishu once it is logged and journaled (a replica that dies after
        the response leaves it to another); None when there is nothing to keep."""
        message = readable(lambda: parse_message(payload), "a message", self.log)
        if message is None:
            return None
        incoming = message.incoming
        if incoming.in_group and not self._mentions_bot(message.mentioned):
            self.log.info("message %s in a group does not @mention the robot: not answered", incoming.msg_id)
            return None
        return _answered_once_kept(self.handler.keep_message(incoming))

    def _mentions_bot(self, mentioned: frozenset[str]) -> bool:
        return self.bot_open_id in mentioned if self.bot_open_id else bool(mentioned)


async def _answered_once_kept(keeping: Awaitable[bool]) -> dict[str, Any]:
    """An empty response once the question is kept (it always is: an answer goes out even when
    its journal could not be written)."""
    await keeping
    return {}


async def _thanks_once(keeping: Awaitable[bool]) -> dict[str, Any] | None:
    """The toast once the press is stored; None when it could not be (Feishu sends it again)."""
    return THANKS if await keeping else None
