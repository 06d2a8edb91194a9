"""The answer options every IM Type shares, read from the config keys the family defines.

A Type's config.schema.json declares these keys with the same names (agent, replyMode,
thinkingText, maxCardUpdates, ...); the runtime hands the Loader a config with every schema
default applied and validated, so each value is read as it is.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .ratings import RATINGS
from .replies import FeedbackButton


@dataclass(frozen=True)
class AnswerSettings:
    """How a robot answers: which agent, in what form, within which bounds, in which words."""

    agent: str
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
    dedup_seconds: float

    @property
    def uses_cards(self) -> bool:
        return self.reply_mode == "card"

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> AnswerSettings:
        buttons_config = config["feedbackButtons"]
        buttons: tuple[FeedbackButton, ...] = ()
        if buttons_config["enabled"]:
            buttons = tuple(FeedbackButton(rating, buttons_config[rating]) for rating in RATINGS if buttons_config.get(rating))
        return cls(
            agent=config["agent"],
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
            dedup_seconds=float(config["advanced"]["dedupMinutes"]) * 60.0,
        )
