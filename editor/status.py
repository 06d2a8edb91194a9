"""Status chips: one small vocabulary of states for every instance, shown the same everywhere.

Services take their state from the supervisor; components loaded on demand (agents) are
"ready" or "needs setup". Part 2's runtime controls refresh chips through `_status_chip.html`
and the `instances.chip` endpoint (`/instances/<name>/chip`).
"""
from __future__ import annotations

from dataclasses import dataclass

from runtime.redaction import redactor
from runtime.service import InstanceStatus

LABELS = {
    "running": "Running",
    "starting": "Starting",
    "stopping": "Stopping",
    "stopped": "Stopped",
    "error": "Error",
    "needs_setup": "Needs setup",
    "ready": "Ready",
    "broken": "Broken",
}


@dataclass(frozen=True)
class Chip:
    """What a chip shows: a state (its colour), a label and an optional explanation."""

    state: str
    label: str
    message: str = ""


def chip_for_status(status: InstanceStatus) -> Chip:
    """A service's chip from the supervisor's snapshot (messages redacted: they may quote errors)."""
    return Chip(status.state, LABELS.get(status.state, status.state.replace("_", " ").capitalize()),
                redactor.redact(status.message))


def config_chip(missing: list[str], broken: str = "") -> Chip:
    """The chip of an instance that is not a service: broken, needs setup, or ready."""
    if broken:
        return Chip("broken", LABELS["broken"], broken)
    if missing:
        return Chip("needs_setup", LABELS["needs_setup"], f"fill in: {', '.join(missing)}")
    return Chip("ready", LABELS["ready"], "loaded on demand")
