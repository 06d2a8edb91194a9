"""DingTalk's callbacks after their ACK: a robot message or a card button press, read here
and handed to the family's RobotHandler."""
from __future__ import annotations

import logging

from dingtalk_stream import CallbackMessage, ChatbotMessage
from dingtalk_stream.card_callback import Card_Callback_Router_Topic

from ..Meta.robot_handler import RobotHandler
from .feedback import parse_feedback
from .messages import parse_incoming

ROBOT_TOPICS = [ChatbotMessage.TOPIC, Card_Callback_Router_Topic]


class Callbacks:
    """Routes one robot's ACKed callbacks by topic; anything unreadable is logged and dropped."""

    def __init__(self, robot: str, handler: RobotHandler, logger: logging.Logger) -> None:
        self.robot = robot
        self.handler = handler
        self.log = logger

    def on_callback(self, message: CallbackMessage) -> None:
        topic = message.headers.topic
        if topic == Card_Callback_Router_Topic:
            self._on_card_callback(message.data)
        elif topic == ChatbotMessage.TOPIC:
            self._on_robot_message(message.data)

    def _on_robot_message(self, data: dict) -> None:
        try:
            incoming = parse_incoming(data)
        except Exception as exc:  # a malformed message must not stop the robot
            self.log.warning("ignored a robot message that cannot be read: %s: %s", type(exc).__name__, exc)
            return
        self.handler.on_message(incoming)

    def _on_card_callback(self, data: dict) -> None:
        try:
            feedback = parse_feedback(self.robot, data)
        except Exception as exc:
            self.log.warning("ignored a card callback that cannot be read: %s: %s", type(exc).__name__, exc)
            return
        if feedback is None:
            self.log.info("ignored a card callback that is not a feedback button")
            return
        self.handler.on_feedback(feedback)
