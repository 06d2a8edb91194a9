"""The answer options every IM Type shares, read from the config keys the family defines.

A Type's config.schema.json declares these keys with the same names (agent, replyMode,
thinkingText, maxCardUpdates, ...); the runtime hands the Loader a config with every schema
default applied and validated, so each value is read as it is.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from .ratings import RATINGS
from .replies import FeedbackButton

MARKDOWN = "markdown"  # the one reply mode without a card; every other mode streams into one


HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def language_of(*texts: str) -> str:
    """The language to answer in: Chinese when the first text that has any says something in
    Chinese characters, else English (a picture has no question: its sender's name decides)."""
    said = next((text for text in texts if text and text.strip()), "")
    return "zh" if HAN.search(said) else "en"


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
    text_only_text: str  # for pictures the agent cannot look at, and for files and videos
    no_files_text: str  # for files and videos when the agent does look at pictures
    dedup_seconds: float
    max_question_chars: int = 0  # 0: no cap
    question_too_long_text: str = ""
    monthly_api_budget: int = 0  # 0: no budget

    @property
    def uses_cards(self) -> bool:
        """Whether answers stream into a card (a Type may offer several kinds of card)."""
        return self.reply_mode != MARKDOWN

    def in_language(self, language: str, translate: Callable[[str, str], str]) -> AnswerSettings:
        """The robot's words in `language`: `translate(text, language)` gives a text the family
        ships (a default of the settings) in that language; a text the instance set itself is
        not among them and stays as it was written."""
        def say(text: str) -> str:
            return translate(text, language)

        return replace(
            self, thinking_text=say(self.thinking_text), busy_text=say(self.busy_text), apology_text=say(self.apology_text),
            text_only_text=say(self.text_only_text), no_files_text=say(self.no_files_text),
            question_too_long_text=say(self.question_too_long_text),
            feedback_buttons=tuple(FeedbackButton(button.rating, say(button.label)) for button in self.feedback_buttons),
        )

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
            no_files_text=config.get("noFilesText", config["textOnlyText"]),  # only Types that fetch pictures declare it
            dedup_seconds=float(config["advanced"]["dedupMinutes"]) * 60.0,
            # Options a Type may leave out of its schema: without them there is no cap and no budget.
            max_question_chars=int(config.get("maxQuestionChars", 0)),
            question_too_long_text=config.get("questionTooLongText", ""),
            monthly_api_budget=int(config.get("monthlyApiBudget", 0)),
        )
