"""DingTalk's callbacks, read here and handed to the family's RobotHandler before their ACK:
a card button press is stored first and a robot message is logged and journaled first, so
nothing DingTalk considers delivered is lost to a crash (the answer itself runs after the ACK)."""
from __future__ import annotations

import logging
from collections.abc import Awaitable

from dingtalk_stream import CallbackMessage, ChatbotMessage
from dingtalk_stream.card_callback import Card_Callback_Router_Topic

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
            try:
                incoming = parse_incoming(message.data)
            except Exception as exc:  # a malformed message must not stop the robot
                self.log.warning("ignored a robot message that cannot be read: %s: %s", type(exc).__name__, exc)
                return None
            return self.handler.keep_message(incoming)
        if message.headers.topic != Card_Callback_Router_Topic:
            return None
        try:
            feedback = parse_feedback(self.robot, message.data)
        except Exception as exc:
            self.log.warning("ignored a card callback that cannot be read: %s: %s", type(exc).__name__, exc)
            return None
        if feedback is None:
            self.log.info("ignored a card callback that is not a feedback button")
            return None
        return self.handler.keep_feedback(feedback)
