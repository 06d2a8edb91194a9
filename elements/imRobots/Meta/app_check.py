""""Test connection" the same way for every IM Type, in its platform's words: the app's id and
secret filled in, the app not connected by another running robot (the platform would split its
messages between the two), then the Type's calls one by one (each failure named by its step,
"network" when the platform could not be reached, "credentials" when it refused the app), and
no WebSocket opened: a running robot with the same app keeps its one connection.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from element_studio.contract import ConnectionCheck

from .claims import holder_of

Step = tuple[str, Callable[[], Awaitable[Any]]]  # (the step's name, the call it makes)


def http_timeout(config: dict[str, Any]) -> float:
    """The form's HTTP timeout (a form being edited may not have the advanced keys yet)."""
    return float((config.get("advanced") or {}).get("httpTimeoutSeconds", 10))


@dataclass(frozen=True)
class AppCheck:
    """One platform's words: its name, what it calls the app id, the credential fields and what it delivers."""

    service: str  # "DingTalk"
    app_id_name: str  # "clientId"
    credential_fields: str  # "the Client ID and the Client Secret"
    delivered: str  # "messages": what two robots of one app would each get only some of

    def before_calls(self, app_id: str, secret: str, full_name: str) -> ConnectionCheck | None:
        """Why the check cannot call the platform yet (settings missing, the app in use), or None."""
        if not app_id or not secret:
            return ConnectionCheck(False, "settings", f"fill in {self.credential_fields} first", self.service)
        holder = holder_of(app_id)
        if holder and holder != full_name:
            return ConnectionCheck(False, "in use", f"{self.app_id_name} {app_id} is connected by {holder}, which is running: "
                                   f"{self.service} would split the {self.delivered} between the two robots. "
                                   f"Stop {holder} or use another {self.app_id_name}.", self.service, app_id)
        return None

    async def calls(self, app_id: str, base: str, steps: Iterable[Step], refused: type[Exception],
                    api_error: type[Exception]) -> ConnectionCheck:
        """Make the steps' calls in order: the first failure named, or the app accepted at `base`.
        `api_error` has a `status` (0: the platform could not be reached); `refused` is its CredentialsRefused."""
        for step, call in steps:
            try:
                await call()
            except refused as exc:
                return ConnectionCheck(False, "credentials", str(exc), self.service, app_id)
            except api_error as exc:
                return ConnectionCheck(False, "network" if getattr(exc, "status", 0) == 0 else step, str(exc), self.service, app_id)
        return ConnectionCheck(True, "connected", f"{self.service} at {base} accepted {self.app_id_name} {app_id}: "
                               "the robot can connect and send cards", self.service, app_id)
