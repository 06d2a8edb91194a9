"""DingTalk's callbacks, read here and handed to the family's RobotHandler before their ACK:
a card button press is stored first and a robot message is logged and journaled first, so
nothing DingTalk considers delivered is lost to a crash (the answer itself runs after the ACK)."""
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
        """What must be kept before this callback is ACKed (a question, a feedback press), or
        None (ACK it and drop it). The connection ACKs once it completes with True; on False it
        does not ACK, so DingTalk sends the callback again."""
        if message.headers.topic == ChatbotMessage.TOPIC:
            incoming = readable(lambda: parse_incoming(message.data), "a robot message", self.log)
            return None if incoming is None else self.handler.keep_message(incoming)
        if message.headers.topic != Card_Callback_Router_Topic:
            return None
        return self.handler.keep_press(lambda: parse_feedback(self.robot, message.data), "a card callback")
