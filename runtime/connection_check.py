""""Test connection": a Type may check entered credentials before anything is saved or started.

A Type package opts in by exporting `async def check_connection(config, offline_endpoint, full_name) -> ConnectionCheck`;
the editor calls it on the supervisor's loop with the form's config (stored secrets filled in),
the base URL of the Type's simulator when the app runs offline, and the instance's fullName
(a running instance holding the same account is then told from the one being tested).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .app import App


@dataclass(frozen=True)
class ConnectionCheck:
    """The outcome, in the user's words: which step failed and why, or who we are connected as."""

    ok: bool
    step: str  # "connected", or the step that failed: "settings", "network", "credentials", "in use", "not found", "server", ...
    message: str
    service: str = ""  # the platform's name for "cannot reach <service>" ("" reads "the service")
    identity: str = ""  # who the credentials are, for "ok: connected as <identity>"


class ConnectionCheckUnsupported(Exception):
    """The Type offers no connection test."""


def _hook(app: App, type_name: str):
    return app.hook(type_name, "check_connection")


def supports_connection_check(app: App, type_name: str) -> bool:
    return callable(_hook(app, type_name))


async def check_connection(app: App, type_name: str, config: dict[str, Any], offline_endpoint: str | None,
                           full_name: str) -> ConnectionCheck:
    """Run the Type's check for instance `full_name`; raises ConnectionCheckUnsupported for Types without one."""
    check = _hook(app, type_name)
    if not callable(check):
        raise ConnectionCheckUnsupported(f"{type_name} offers no connection test")
    return await check(config, offline_endpoint, full_name)
