"""Card callbacks: a press of a feedback button, read from the SDK's CardCallbackMessage."""
from __future__ import annotations

import json
from typing import Any

from dingtalk_stream import CardCallbackMessage

from ..Meta.feedback_store import Feedback
from ..Meta.ratings import RATINGS
from . import ai_cards
from .cards import FEEDBACK_ACTION


def parse_feedback(robot: str, data: dict[str, Any]) -> Feedback | None:
    """The Feedback a card callback carries, or None when it is not one of our buttons."""
    message = CardCallbackMessage.from_dict(_with_json_strings(data))
    private = message.content.get("cardPrivateData") if isinstance(message.content, dict) else None
    ai_card_press = _ai_card_press(robot, message, private, data)
    if ai_card_press is not None:
        return ai_card_press
    params = private.get("params") if isinstance(private, dict) else None
    if not isinstance(params, dict):
        return None
    if isinstance(params.get("value"), str):  # a button value that arrived undecoded
        try:
            decoded = json.loads(params["value"])
            params = decoded if isinstance(decoded, dict) else params
        except ValueError:
            pass
    if params.get("action") != FEEDBACK_ACTION or params.get("rating") not in RATINGS:
        return None
    msg_id, user_id = params.get("msgId"), message.user_id
    if not isinstance(msg_id, str) or not msg_id or not user_id:
        return None
    return Feedback(robot=robot, msg_id=msg_id, user_id=str(user_id), rating=params["rating"], conversation_id=_space_id(data))


def _ai_card_press(robot: str, message: CardCallbackMessage, private: Any, data: dict[str, Any]) -> Feedback | None:
    """A feedback button of an AI card: its id names the rating, the card's outTrackId the msgId."""
    action_ids = private.get("actionIds") if isinstance(private, dict) else None
    rating = ai_cards.rating_of(action_ids[0]) if isinstance(action_ids, list) and action_ids else None
    msg_id = ai_cards.msg_id_of(message.card_instance_id)
    if rating is None or msg_id is None or not message.user_id:
        return None
    return Feedback(robot=robot, msg_id=msg_id, user_id=str(message.user_id), rating=rating, conversation_id=_space_id(data))


def _with_json_strings(data: dict[str, Any]) -> dict[str, Any]:
    """The SDK json.loads `content` and `extension`; accept them already decoded too."""
    fixed = dict(data)
    for key in ("content", "extension"):
        if key in fixed and not isinstance(fixed[key], str):
            fixed[key] = json.dumps(fixed[key])
        elif key in fixed and not fixed[key]:
            fixed[key] = "{}"
    return fixed


def _space_id(data: dict[str, Any]) -> str:
    """The conversation a press came from (the SDK drops spaceId, so read it here)."""
    value = data.get("spaceId")
    return value if isinstance(value, str) else ""
