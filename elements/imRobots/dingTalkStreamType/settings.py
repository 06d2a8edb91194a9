"""The robot's settings: the validated, defaulted config.json as typed fields."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..Meta.ratings import RATINGS


@dataclass(frozen=True)
class FeedbackButton:
    """One button under the final card: the rating stored and the label shown."""

    rating: str
    label: str


@dataclass(frozen=True)
class RobotSettings:
    """Everything a robot reads from its config.

    The runtime hands the Loader a config with every schema default already applied (and
    validated), so each value is read as it is: config.schema.json stays the one place a
    default is written.
    """

    agent: str
    client_id: str
    client_secret: str
    reply_mode: str
    thinking_text: str
    max_card_updates: int
    update_interval: float
    update_every_chunks: int
    feedback_buttons: tuple[FeedbackButton, ...]
    max_concurrent_answers: int
    answer_timeout: float
    busy_text: str
    apology_text: str
    text_only_text: str
    proxy: str
    reconnect_min: float
    reconnect_max: float
    heartbeat: float
    http_timeout: float
    dedup_seconds: float

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> RobotSettings:
        """Typed settings from a config the runtime already rendered, defaulted and validated."""
        buttons_config = config["feedbackButtons"]
        buttons: tuple[FeedbackButton, ...] = ()
        if buttons_config["enabled"]:
            buttons = tuple(
                FeedbackButton(rating, buttons_config[rating])
                for rating in RATINGS
                if buttons_config.get(rating)
            )
        advanced = config["advanced"]
        return cls(
            agent=config["agent"],
            client_id=config["clientId"],
            client_secret=config["clientSecret"],
            reply_mode=config["replyMode"],
            thinking_text=config["thinkingText"],
            max_card_updates=int(config["maxCardUpdates"]),
            update_interval=float(config["updateIntervalSeconds"]),
            update_every_chunks=int(config["updateEveryChunks"]),
            feedback_buttons=buttons,
            max_concurrent_answers=int(config["maxConcurrentAnswers"]),
            answer_timeout=float(config["answerTimeoutSeconds"]),
            busy_text=config["busyText"],
            apology_text=config["apologyText"],
            text_only_text=config["textOnlyText"],
            proxy=config["proxy"],
            reconnect_min=float(advanced["reconnectMinSeconds"]),
            reconnect_max=float(advanced["reconnectMaxSeconds"]),
            heartbeat=float(advanced["heartbeatSeconds"]),
            http_timeout=float(advanced["httpTimeoutSeconds"]),
            dedup_seconds=float(advanced["dedupMinutes"]) * 60.0,
        )
