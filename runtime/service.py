"""The Type contract's running half: what a Loader's `load()` returns for a service Type.

A service Type (e.json `"service": true`) returns an object with these two coroutines. The
supervisor awaits them on its one event loop; `start` should return once the service is
set up (long-running work goes into tasks it owns) and `stop` must end those tasks and close
every socket. While running, a service reports what it is doing through its context.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from .app import App
    from .storage import Storage

STOPPED = "stopped"
STARTING = "starting"
RUNNING = "running"
STOPPING = "stopping"
ERROR = "error"
NEEDS_SETUP = "needs_setup"
STATES = (STOPPED, STARTING, RUNNING, STOPPING, ERROR, NEEDS_SETUP)


@runtime_checkable
class Service(Protocol):
    """What the supervisor starts and stops."""

    async def start(self, context: ServiceContext) -> None:
        """Set up and begin serving; raise to end in `error` with the exception's message."""

    async def stop(self) -> None:
        """Stop every task and close every connection; called at most once per start."""


@dataclass(frozen=True)
class InstanceStatus:
    """A snapshot of one instance: what the CLI prints and the editor's chips show."""

    full_name: str
    title: str
    type: str
    state: str
    message: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    changed_at: float = 0.0
    alive: bool = False  # it holds or is getting resources: starting, running, stopping, or in error while it retries

    def as_dict(self) -> dict[str, Any]:
        return {
            "fullName": self.full_name,
            "title": self.title,
            "type": self.type,
            "state": self.state,
            "message": self.message,
            "detail": dict(self.detail),
            "changedAt": self.changed_at,
            "alive": self.alive,
        }


class ServiceContext:
    """Handed to `Service.start`: the instance's logger, app, storage and a status reporter."""

    def __init__(
        self,
        full_name: str,
        app: App,
        logger: logging.Logger,
        report: Callable[[str | None, str | None, dict[str, Any]], None],
    ) -> None:
        self.full_name = full_name
        self.app = app
        self.logger = logger
        self._report = report

    @property
    def storage(self) -> Storage:
        return self.app.storage

    def update(self, *, state: str | None = None, message: str | None = None, **detail: Any) -> None:
        """Merge `detail` into the status; `state` may move between running and error while up."""
        if state is not None and state not in (RUNNING, ERROR):
            raise ValueError(f"a running service can report running or error, not {state!r}")
        self._report(state, message, detail)
