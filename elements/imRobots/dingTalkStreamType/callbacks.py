"""DingTalk's callbacks, read here and handed to the family's RobotHandler: a card button press
before its ACK (stored first, so an ACKed press survives a crash), a robot message after it
(ACK first: DingTalk waits for nothing while the answer is made)."""
from __future__ import annotations

import logging
from collections.abc import Awaitable

from dingtalk_stream import CallbackMessage, ChatbotMessage
from dingtalk_stream.card_callback import Card_Callback_Router_Topic

from ..Meta.readable import readable
from ..Meta.robot_handler import RobotHandler
from .feedback import parse_feedback
from .messages import parse_incoming

ROBOT_TOPICS = [ChatbotMessage.TOPIC, Card_Callback_Router_Topic]


class Callbacks:
    """Routes one robot's callbacks by topic; anything unreadable is logged and dropped."""

    def __init__(self, robot: str, handler: RobotHandler, logger: logging.Logger) -> None:
        self.robot = robot
        self.handler = handler
        self.log = logger

    def before_ack(self, message: CallbackMessage) -> Awaitable[bool] | None:
        """What must be kept before this callback is ACKed (a feedback press), or None. The
        connection ACKs once it completes with True; on False it does not ACK, so DingTalk
        sends the callback again."""
        if message.headers.topic != Card_Callback_Router_Topic:
            return None
        return self.handler.keep_press(lambda: parse_feedback(self.robot, message.data), "a card callback")

    def on_callback(self, message: CallbackMessage) -> None:
        """A callback DingTalk has had its ACK for."""
        if message.headers.topic == ChatbotMessage.TOPIC:
            self._on_robot_message(message.data)

    def _on_robot_message(self, data: dict) -> None:
        incoming = readable(lambda: parse_incoming(data), "a robot message", self.log)
        if incoming is not None:
            self.handler.on_message(incoming)
