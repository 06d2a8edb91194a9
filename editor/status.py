"""Status chips: one small vocabulary of states for every instance, shown the same everywhere.

Services take their state from the supervisor, refined by the connection a running service
reports in its detail (`connection`: connecting, connected, backing_off); components loaded on
demand (agents) are "ready" or "needs setup". Part 2's runtime controls refresh chips through `_status_chip.html`
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
# A running service that reports its connection: (chip state, label). "running" keeps its colour.
CONNECTION_CHIPS = {
    "connecting": ("starting", "Connecting"),
    "connected": ("running", "Connected"),
    "backing_off": ("backing_off", "Backing off"),
}


@dataclass(frozen=True)
class Chip:
    """What a chip shows: a state (its colour), a label and an optional explanation."""

    state: str
    label: str
    message: str = ""
    retry_at: float | None = None  # epoch seconds of the next connection attempt (backing off)


def chip_for_status(status: InstanceStatus) -> Chip:
    """A service's chip from the supervisor's snapshot (messages redacted: they may quote errors)."""
    message = redactor.redact(status.message)
    connection = status.detail.get("connection")
    retry_at = status.detail.get("nextRetryAt") if connection == "backing_off" else None
    retry_at = retry_at if isinstance(retry_at, (int, float)) else None
    if status.state == "running" and connection in CONNECTION_CHIPS:
        state, label = CONNECTION_CHIPS[connection]
        if connection == "backing_off":
            message = redactor.redact(str(status.detail.get("lastError") or "")) or message
        return Chip(state, label, message, retry_at)
    return Chip(status.state, LABELS.get(status.state, status.state.replace("_", " ").capitalize()), message,
                retry_at if status.state == "error" else None)


def config_chip(missing: list[str], broken: str = "") -> Chip:
    """The chip of an instance that is not a service: broken, needs setup, or ready."""
    if broken:
        return Chip("broken", LABELS["broken"], broken)
    if missing:
        return Chip("needs_setup", LABELS["needs_setup"], f"fill in: {', '.join(missing)}")
    return Chip("ready", LABELS["ready"], "loaded on demand")
