"""What the family's playground needs from an IM Type, declared once for every Type.

An IM Type exports `chat_platform = ChatPlatform(...)`; its offline simulator (the contract's
`offline_simulator`) must offer the chat methods the playground calls: `app(app_id)`,
`register_app`, `send_message`, `messages`, `cards`, `card`, `webhook_replies`,
`press_button` and `button_presses` (the DingTalk simulator is the reference).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .pages.card_model import Card, ReplyMessage


@dataclass(frozen=True)
class ChatPlatform:
    """An IM Type's platform specifics for the playground (hook `chat_platform`)."""

    credentials: Callable[[dict[str, Any]], tuple[str, str]]  # (the robot's app id, its secret) from its rendered config
    read_card: Callable[[Any], Card]  # one card version the simulator recorded
    read_reply: Callable[[Any], ReplyMessage]  # one plain (webhook) reply's body
    look: str = ""  # the playground's look-alike of the platform's chat (a `pg--<look>` class in im_robots.css)
