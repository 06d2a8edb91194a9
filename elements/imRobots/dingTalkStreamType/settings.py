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
    """Everything a robot reads from its config, with the schema's defaults already applied."""

    agent: str
    client_id: str
    client_secret: str
    reply_mode: str = "card"
    thinking_text: str = "Thinking…"
    max_card_updates: int = 20
    update_interval: float = 2.0
    update_every_chunks: int = 5
    feedback_buttons: tuple[FeedbackButton, ...] = ()
    max_concurrent_answers: int = 8
    answer_timeout: float = 120.0
    busy_text: str = "I'm answering other questions right now. Please try again in a moment."
    apology_text: str = "Sorry, I couldn't finish this answer. Please try again later."
    text_only_text: str = "Sorry, I can only read text messages. Please type your question."
    proxy: str = ""
    reconnect_min: float = 1.0
    reconnect_max: float = 60.0
    heartbeat: float = 20.0
    http_timeout: float = 10.0
    dedup_seconds: float = 900.0

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> RobotSettings:
        """Typed settings from a config the runtime already rendered, defaulted and validated."""
        buttons_config = config.get("feedbackButtons") or {}
        buttons: tuple[FeedbackButton, ...] = ()
        if buttons_config.get("enabled", True):
            buttons = tuple(
                FeedbackButton(rating, buttons_config[rating])
                for rating in RATINGS
                if buttons_config.get(rating)
            )
        advanced = config.get("advanced") or {}
        defaults = cls.__dataclass_fields__

        def pick(source: dict[str, Any], key: str, field: str) -> Any:
            return source.get(key, defaults[field].default)

        return cls(
            agent=config["agent"],
            client_id=config["clientId"],
            client_secret=config["clientSecret"],
            reply_mode=pick(config, "replyMode", "reply_mode"),
            thinking_text=pick(config, "thinkingText", "thinking_text"),
            max_card_updates=int(pick(config, "maxCardUpdates", "max_card_updates")),
            update_interval=float(pick(config, "updateIntervalSeconds", "update_interval")),
            update_every_chunks=int(pick(config, "updateEveryChunks", "update_every_chunks")),
            feedback_buttons=buttons,
            max_concurrent_answers=int(pick(config, "maxConcurrentAnswers", "max_concurrent_answers")),
            answer_timeout=float(pick(config, "answerTimeoutSeconds", "answer_timeout")),
            busy_text=pick(config, "busyText", "busy_text"),
            apology_text=pick(config, "apologyText", "apology_text"),
            text_only_text=pick(config, "textOnlyText", "text_only_text"),
            proxy=pick(config, "proxy", "proxy") or "",
            reconnect_min=float(pick(advanced, "reconnectMinSeconds", "reconnect_min")),
            reconnect_max=float(pick(advanced, "reconnectMaxSeconds", "reconnect_max")),
            heartbeat=float(pick(advanced, "heartbeatSeconds", "heartbeat")),
            http_timeout=float(pick(advanced, "httpTimeoutSeconds", "http_timeout")),
            dedup_seconds=float(advanced.get("dedupMinutes", 15)) * 60.0,
        )
