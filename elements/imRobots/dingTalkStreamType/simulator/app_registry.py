"""The DingTalk apps (robots) the simulator knows: credentials and per-app switches.

A real DingTalk org has apps with a clientId (AppKey) and clientSecret (AppSecret); the
robot's ``robotCode`` is the clientId. The simulator keeps the same shape so the unmodified
SDK and our own robot code can log in with demo credentials.
"""

from __future__ import annotations

import base64
import hashlib
import threading
from dataclasses import dataclass

DEMO_CLIENT_ID = "dingdemo"
DEMO_CLIENT_SECRET = "demo-secret"


def _stable_suffix(*parts: str, length: int = 16) -> str:
    """A short deterministic hex string, so ids stay the same across runs."""
    return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()[:length]


def _lwcp_id(*parts: str) -> str:
    """A DingTalk-looking opaque user id (``$:LWCP_v1:$...``), deterministic."""
    digest = hashlib.sha256("|".join(parts).encode("utf-8")).digest()[:18]
    return "$:LWCP_v1:$" + base64.b64encode(digest).decode("ascii")


@dataclass
class SimulatedApp:
    """One registered app and the switches a test can flip on it."""

    client_id: str
    client_secret: str
    robot_name: str = "Demo Robot"
    card_permission: bool = True  # False: interactive card send answers 403
    failing_card_updates: int = 0  # the next N card updates answer 503 (a passing fault), unapplied
    card_send_seconds: float = 0.0  # how long a card send takes to be answered (a slow DingTalk)

    @property
    def corp_id(self) -> str:
        """The org id this app belongs to (``chatbotCorpId``)."""
        return "ding" + _stable_suffix("corp", self.client_id)

    @property
    def chatbot_user_id(self) -> str:
        """The robot's own opaque user id (``chatbotUserId``)."""
        return _lwcp_id("robot", self.client_id)

    def sender_id(self, staff_id: str) -> str:
        """The opaque ``senderId`` of an org member, stable per staff id."""
        return _lwcp_id("user", self.client_id, staff_id)

    def single_conversation_id(self, staff_id: str) -> str:
        """The conversation id of a member's one-to-one chat with this robot."""
        return _conversation_id("single", self.client_id, staff_id)

    def group_conversation_id(self, title: str) -> str:
        """The openConversationId of a group (by title) this robot sits in."""
        return _conversation_id("group", self.client_id, title)


def _conversation_id(*parts: str) -> str:
    """A DingTalk-looking conversation id (``cid`` + base64), deterministic."""
    digest = hashlib.sha256("|".join(parts).encode("utf-8")).digest()[:16]
    return "cid" + base64.b64encode(digest).decode("ascii")


class AppRegistry:
    """Apps by clientId; thread-safe because the control API and tests both register."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._apps: dict[str, SimulatedApp] = {}

    def register(self, client_id: str, client_secret: str, *,
                 robot_name: str = "Demo Robot") -> SimulatedApp:
        """Add an app, or replace the secret of an existing one."""
        if not client_id or not client_secret:
            raise ValueError("clientId and clientSecret must not be empty")
        with self._lock:
            app = self._apps.get(client_id)
            if app is None:
                app = SimulatedApp(client_id, client_secret, robot_name=robot_name)
                self._apps[client_id] = app
            else:
                app.client_secret = client_secret
                app.robot_name = robot_name
            return app

    def get(self, client_id: str) -> SimulatedApp | None:
        """The app with this clientId, or None."""
        with self._lock:
            return self._apps.get(client_id)

    def require(self, client_id: str) -> SimulatedApp:
        """The app with this clientId; KeyError names it when unknown."""
        app = self.get(client_id)
        if app is None:
            raise KeyError(f"no simulated app with clientId {client_id!r}")
        return app

    def authenticate(self, client_id: object, client_secret: object) -> SimulatedApp | None:
        """The app when both credentials match, else None (never says which one was wrong)."""
        if not isinstance(client_id, str) or not isinstance(client_secret, str):
            return None
        app = self.get(client_id)
        if app is None or app.client_secret != client_secret:
            return None
        return app

    def all(self) -> list[SimulatedApp]:
        """Every registered app, in registration order."""
        with self._lock:
            return list(self._apps.values())

    def set_card_permission(self, client_id: str, allowed: bool) -> None:
        """Grant or withdraw the interactive-card permission (withdrawn: send answers 403)."""
        self.require(client_id).card_permission = allowed
