"""The Type contract's running half: what a Loader's `load()` returns for a service Type.

A service Type (e.json `"service": true`) returns an object with these two coroutines. The
supervisor awaits them on its one event loop; `start` should return once the service is
set up (long-running work goes into tasks it owns) and `stop` must end those tasks and close
every socket. While running, a service reports what it is doing through its context.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from .app import App
    from .cluster import Cluster
    from .storage import Storage



class InstanceState(StrEnum):
    """Where a service instance is in its life; the editor's chips and the CLI show these."""

    STOPPED = "stopped"
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    ERROR = "error"
    NEEDS_SETUP = "needs_setup"  # a required config field is empty: never started until filled in


class Link(StrEnum):
    """A networked service's connection, reported as a detail: it refines a running chip."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    BACKING_OFF = "backing_off"  # waiting before the next try (see a RETRY_AT field)


class FieldKind(StrEnum):
    """How the editor shows one status detail value."""

    TEXT = "text"
    COUNT = "count"
    MOMENT = "moment"  # epoch seconds, shown as "12 s ago"; None reads "not yet"
    ERROR = "error"  # the last error ("" when none), redacted
    LINK = "link"  # a Link value: refines the chip (Connecting, Connected, Backing off)
    RETRY_AT = "retry_at"  # epoch seconds of the next try while backing off


@dataclass(frozen=True)
class StatusField:
    """One detail key a Type reports through `context.update`, and how the editor shows it."""

    key: str
    label: str
    kind: FieldKind = FieldKind.TEXT


def reported(fields: Sequence[StatusField], detail: Mapping[str, Any], kind: FieldKind) -> Any:
    """The value reported under the first declared detail field of `kind` (None when the Type
    declares none): how the editor and a family's pages read e.g. the link of any Type."""
    field = next((f for f in fields if f.kind == kind), None)
    return detail.get(field.key) if field else None


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
    state: InstanceState
    message: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    missing: tuple[str, ...] = ()  # the required config fields still empty (state needs_setup)
    changed_at: float = 0.0
    alive: bool = False  # it holds or is getting resources: starting, running, stopping, or in error while it retries

    def as_dict(self) -> dict[str, Any]:
        return {
            "fullName": self.full_name,
            "title": self.title,
            "type": self.type,
            "state": self.state.value,
            "message": self.message,
            "missing": list(self.missing),
            "detail": dict(self.detail),
            "changedAt": self.changed_at,
            "alive": self.alive,
        }


class ServiceContext:
    """Handed to `Service.start`: the instance's logger, app, storage, this replica of the
    cluster, a status reporter and, when the app runs offline, the base URL of its Type's simulator."""

    def __init__(
        self,
        full_name: str,
        app: App,
        logger: logging.Logger,
        cluster: Cluster,
        report: Callable[[InstanceState | None, str | None, dict[str, Any]], None],
        offline_endpoint: str | None = None,
    ) -> None:
        self.full_name = full_name
        self.app = app
        self.logger = logger
        self.cluster = cluster
        self.offline_endpoint = offline_endpoint
        self._report = report

    @property
    def storage(self) -> Storage:
        return self.app.storage

    def update(self, *, state: InstanceState | None = None, message: str | None = None, **detail: Any) -> None:
        """Merge `detail` into the status; `state` may move between running and error while up."""
        if state is not None:
            state = InstanceState(state)
        if state is not None and state not in (InstanceState.RUNNING, InstanceState.ERROR):
            raise ValueError(f"a running service can report running or error, not {state!r}")
        self._report(state, message, detail)
