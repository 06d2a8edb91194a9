"""The robot's settings: the validated, defaulted config.json as typed fields."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..Meta.answer_settings import AnswerSettings
from ..Meta.connection_settings import ConnectionSettings
from .ai_cards import AICardTemplate

AI_CARD = "aiCard"


@dataclass(frozen=True)
class RobotSettings(ConnectionSettings):
    """The family's connection timings and answer options, and what DingTalk itself needs.

    The runtime hands the Loader a config with every schema default already applied (and
    validated), so each value is read as it is: config.schema.json stays the one place a
    default is written.
    """

    answers: AnswerSettings
    ai_card: AICardTemplate | None  # None unless replyMode is aiCard
    client_id: str
    client_secret: str
    proxy: str
    api_calls_per_second: int

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> RobotSettings:
        """Typed settings from a config the runtime already rendered, defaulted and validated."""
        return cls(
            **ConnectionSettings.fields_from(config),
            answers=AnswerSettings.from_config(config),
            ai_card=AICardTemplate.from_config(config["aiCard"]) if config["replyMode"] == AI_CARD else None,
            client_id=config["clientId"],
            client_secret=config["clientSecret"],
            proxy=config["proxy"],
            api_calls_per_second=int(config["apiCallsPerSecond"]),
        )
