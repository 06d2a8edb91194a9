"""What the robot does with each event its connection read, before the frame's response goes out:
drop a redelivered event (same event_id), keep group messages that do not @mention the bot
out, hand a chat message or a feedback press to the family's RobotHandler. Quick and never
raising: the response waits for it, and Feishu allows 3 s.
"""
from __future__ import annotations

import logging
from typing import Any

from ..Meta.dedup import SeenMessages
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

    def on_event(self, payload: bytes) -> dict[str, Any] | None:
        """Handle one event; returns the response data for a card callback."""
        try:
            envelope = envelope_of(payload)
        except ValueError as exc:
            self.log.warning("ignored an event that cannot be read: %s", exc)
            return None
        header = envelope["header"]
        event_id, event_type = str(header.get("event_id", "")), header.get("event_type")
        if event_id and not self.seen_events.first_time(event_id):
            self.log.info("event %s delivered again: answered, not handled twice", event_id)
            return THANKS if event_type == CARD_ACTION else None
        if event_type == MESSAGE_RECEIVED:
            self._on_message(payload)
        elif event_type == CARD_ACTION:
            return self._on_press(envelope)
        else:
            self.log.info("ignored an event of type %s", event_type)
        return None

    def _on_message(self, payload: bytes) -> None:
        try:
            message = parse_message(payload)
        except Exception as exc:  # a malformed message must not stop the robot
            self.log.warning("ignored a message that cannot be read: %s: %s", type(exc).__name__, exc)
            return
        incoming = message.incoming
        if incoming.in_group and not self._mentions_bot(message.mentioned):
            self.log.info("message %s in a group does not @mention the robot: not answered", incoming.msg_id)
            return
        self.handler.on_message(incoming)

    def _mentions_bot(self, mentioned: frozenset[str]) -> bool:
        return self.bot_open_id in mentioned if self.bot_open_id else bool(mentioned)

    def _on_press(self, envelope: dict[str, Any]) -> dict[str, Any] | None:
        try:
            feedback = parse_press(self.robot, envelope)
        except Exception as exc:
            self.log.warning("ignored a card action that cannot be read: %s: %s", type(exc).__name__, exc)
            return None
        if feedback is None:
            self.log.info("ignored a card action that is not a feedback button")
            return None
        self.handler.on_feedback(feedback)
        return THANKS
