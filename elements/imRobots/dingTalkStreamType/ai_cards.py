"""Pure builders of DingTalk AI card data: the card's parameters in each state, the feedback
buttons of its final state, and the outTrackId that carries the answered msgId.

An AI card is a card instance of an AI card template (the SDK's `AIMarkdownCardInstance`
uses the public one below, so no template setup is needed). Its parameters (`cardParamMap`)
are strings: `flowStatus` says the state ("1" processing, "2" inputting, "3" finished,
"5" failed), the content field holds the markdown the streaming API fills, and the default
template draws `msgButtons` from the JSON string `sys_full_json_obj`, as the SDK's cards do.
A button with `"request": true` sends a card callback whose `actionIds[0]` is its id.
"""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from ..Meta.ratings import RATINGS
from ..Meta.replies import FeedbackButton
from .ids import fresh_id

DEFAULT_TEMPLATE_ID = "382e4302-551d-4880-bf29-a30acfab2e71.schema"  # AIMarkdownCardInstance's, dingtalk-stream 0.24
PROCESSING, INPUTTING, FINISHED, FAILED = "1", "2", "3", "5"
SYSTEM_FIELD = "sys_full_json_obj"
BUTTONS_ORDER = ["msgTitle", "msgContent", "staticMsgContent", "msgTextList", "msgImages", "msgSlider", "msgButtons"]
BUTTON_PREFIX = "feedback_"
TRACK_PREFIX = "ai_"


@dataclass(frozen=True)
class AICardTemplate:
    """Which AI card template a robot uses and the names of its fields."""

    template_id: str = DEFAULT_TEMPLATE_ID
    content_field: str = "msgContent"
    status_field: str = "flowStatus"
    buttons: bool = True  # the template draws msgButtons from sys_full_json_obj

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> AICardTemplate:
        return cls(config["templateId"], config["contentField"], config["statusField"], bool(config["feedbackButtons"]))

    def params(self, status: str, text: str) -> dict[str, str]:
        """The card's parameters in a state, showing `text`."""
        return {self.status_field: status, self.content_field: text}

    def final_params(self, text: str, buttons: tuple[FeedbackButton, ...]) -> dict[str, str]:
        """The finished card: the whole answer and, where the template draws them, the feedback buttons."""
        params = self.params(FINISHED, text)
        if self.buttons and buttons:
            params[SYSTEM_FIELD] = json.dumps({"order": BUTTONS_ORDER, "msgButtons": [_button(b) for b in buttons]}, ensure_ascii=False)
        return params


def _button(button: FeedbackButton) -> dict[str, Any]:
    return {"text": button.label, "color": "blue", "id": BUTTON_PREFIX + button.rating, "request": True}


def rating_of(action_id: Any) -> str | None:
    """The rating a feedback button's id stands for, or None for any other id."""
    if isinstance(action_id, str) and action_id.startswith(BUTTON_PREFIX):
        rating = action_id[len(BUTTON_PREFIX):]
        return rating if rating in RATINGS else None
    return None


def buttons_of(params: dict[str, Any]) -> list[dict[str, Any]]:
    """The msgButtons a card's parameters carry (none when sys_full_json_obj is absent or unreadable)."""
    try:
        system = json.loads(params.get(SYSTEM_FIELD) or "{}")
    except (TypeError, ValueError):
        return []
    buttons = system.get("msgButtons") if isinstance(system, dict) else None
    return [b for b in buttons if isinstance(b, dict)] if isinstance(buttons, list) else []


def out_track_id(msg_id: str) -> str:
    """A fresh outTrackId that names the answered msgId (a press on the card brings it back)."""
    encoded = base64.urlsafe_b64encode(msg_id.encode()).decode().rstrip("=")
    return f"{TRACK_PREFIX}{encoded}.{fresh_id(msg_id, 32)}"


def msg_id_of(track_id: Any) -> str | None:
    """The msgId an AI card's outTrackId names, or None when it is not one of ours."""
    if not isinstance(track_id, str) or not track_id.startswith(TRACK_PREFIX) or "." not in track_id:
        return None
    encoded = track_id[len(TRACK_PREFIX):].split(".", 1)[0]
    try:
        return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode() or None
    except (binascii.Error, UnicodeDecodeError):
        return None
