"""Status chips and health rows: one vocabulary of states for every instance, shown the same
everywhere, and each Type's status detail shown the way the Type declares it.

Services take their state from the supervisor, refined by the `Link` a running service reports
in a detail field of kind LINK (connecting, connected, backing off); components loaded on demand
(agents) are "ready" or "needs setup". A Type lists its detail keys (`status_fields`, through
the contract); keys it did not declare are shown as plain text under their own name.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from element_studio.runtime.redaction import redactor
from element_studio.runtime.service import FieldKind, InstanceState, InstanceStatus, Link, StatusField, reported

from .i18n import N_, _


class ChipState(StrEnum):
    """A chip's state (its colour): the instance states, plus what the editor adds."""

    RUNNING = "running"
    STARTING = "starting"
    STOPPING = "stopping"
    STOPPED = "stopped"
    ERROR = "error"
    NEEDS_SETUP = "needs_setup"
    READY = "ready"
    BROKEN = "broken"
    BACKING_OFF = "backing_off"


LABELS = {
    ChipState.RUNNING: N_("Running"),
    ChipState.STARTING: N_("Starting"),
    ChipState.STOPPING: N_("Stopping"),
    ChipState.STOPPED: N_("Stopped"),
    ChipState.ERROR: N_("Error"),
    ChipState.NEEDS_SETUP: N_("Needs setup"),
    ChipState.READY: N_("Ready"),
    ChipState.BROKEN: N_("Broken"),
    ChipState.BACKING_OFF: N_("Backing off"),
}
# A running service that reports its link: the chip it shows ("running" keeps its colour).
LINK_CHIPS = {
    Link.CONNECTING: (ChipState.STARTING, N_("Connecting")),
    Link.CONNECTED: (ChipState.RUNNING, N_("Connected")),
    Link.BACKING_OFF: (ChipState.BACKING_OFF, N_("Backing off")),
}


@dataclass(frozen=True)
class Chip:
    """What a chip shows: a state (its colour), a label and an optional explanation."""

    state: ChipState
    label: str
    message: str = ""
    retry_at: float | None = None  # epoch seconds of the next connection attempt (backing off)
    missing: tuple[str, ...] = ()  # required fields still empty (needs setup)


def _number(value: Any) -> float | None:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def chip_for_status(status: InstanceStatus, fields: list[StatusField]) -> Chip:
    """A service's chip from the supervisor's snapshot (messages redacted: they may quote errors)."""
    message = redactor.redact(status.message)
    if status.state == InstanceState.NEEDS_SETUP:
        return config_chip(list(status.missing))
    link = reported(fields, status.detail, FieldKind.LINK)
    retry_at = _number(reported(fields, status.detail, FieldKind.RETRY_AT))
    if status.state == InstanceState.RUNNING and link in set(Link):
        state, label = LINK_CHIPS[Link(link)]
        label = _(label)
        if link == Link.BACKING_OFF:
            error = str(reported(fields, status.detail, FieldKind.ERROR) or "")
            return Chip(state, label, redactor.redact(error) or message, retry_at)
        return Chip(state, label, message)
    state = ChipState(status.state.value)
    return Chip(state, _(LABELS[state]), message, retry_at if state == ChipState.ERROR else None)


def config_chip(missing: list[str], broken: str = "") -> Chip:
    """The chip of an instance that is not running: broken, needs setup, or ready."""
    if broken:
        return Chip(ChipState.BROKEN, _(LABELS[ChipState.BROKEN]), broken)
    if missing:
        return Chip(ChipState.NEEDS_SETUP, _(LABELS[ChipState.NEEDS_SETUP]), _("fill in: %(fields)s", fields=_(", ").join(missing)),
                    missing=tuple(missing))
    return Chip(ChipState.READY, _(LABELS[ChipState.READY]), _("loaded on demand"))
