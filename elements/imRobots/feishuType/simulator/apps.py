"""The Feishu apps the simulator knows: credentials, the bot's open_id, tenant tokens."""
from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field

DEMO_APP_ID = "cli_demo_feishu"
DEMO_APP_SECRET = "demo-feishu-secret"
TOKEN_LIFETIME = 7200  # seconds, as Feishu gives


@dataclass
class SimulatedApp:
    """One self-built app with the bot capability."""

    client_id: str  # the App ID (named like the family's playground reads it)
    client_secret: str
    robot_name: str = "Demo Robot"
    card_permission: bool = True  # CardKit scope granted
    tokens: set[str] = field(default_factory=set)

    @property
    def bot_open_id(self) -> str:
        return f"ou_bot_{self.client_id}"


class AppRegistry:
    """Apps by App ID; tokens map back to their app."""

    def __init__(self, apps: dict[str, str] | None) -> None:
        self._lock = threading.Lock()
        self._apps = {app_id: SimulatedApp(app_id, secret) for app_id, secret in (apps or {DEMO_APP_ID: DEMO_APP_SECRET}).items()}

    def register(self, app_id: str, secret: str, robot_name: str = "Demo Robot") -> SimulatedApp:
        with self._lock:
            app = self._apps.get(app_id)
            if app is None:
                app = self._apps[app_id] = SimulatedApp(app_id, secret, robot_name)
            else:
                app.client_secret, app.robot_name = secret, robot_name
            return app

    def get(self, app_id: str) -> SimulatedApp | None:
        with self._lock:
            return self._apps.get(app_id)

    def all(self) -> list[SimulatedApp]:
        with self._lock:
            return list(self._apps.values())

    def check(self, app_id: str, secret: str) -> tuple[int, str]:
        """Feishu's (code, msg) for a pair of credentials: 0 when they are right."""
        app = self.get(app_id)
        if app is None:
            return 10003, "invalid param: app_id not found"
        if not secrets.compare_digest(app.client_secret.encode(), secret.encode()):
            return 10014, "app secret invalid"
        return 0, "ok"

    def new_token(self, app: SimulatedApp) -> str:
        with self._lock:
            token = f"t-{secrets.token_hex(16)}"
            app.tokens.add(token)
            return token

    def app_of_token(self, token: str) -> SimulatedApp | None:
        with self._lock:
            return next((app for app in self._apps.values() if token in app.tokens), None)

    def revoke_tokens(self, app_id: str | None = None) -> int:
        with self._lock:
            revoked = 0
            for app in self._apps.values():
                if app_id is None or app.client_id == app_id:
                    revoked += len(app.tokens)
                    app.tokens.clear()
            return revoked
