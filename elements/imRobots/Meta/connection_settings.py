"""The timings of a Type's long connection, read from the `advanced` keys every IM Type's schema
declares with the same names (reconnectMinSeconds, reconnectMaxSeconds, heartbeatSeconds,
httpTimeoutSeconds); the runtime hands the Loader a config with every default applied.

A Type's own settings extend this dataclass, so its connection loop reads `settings.heartbeat`
whatever the platform.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ConnectionSettings:
    """Reconnect delays (first and longest), the heartbeat and the HTTP timeout, in seconds."""

    reconnect_min: float
    reconnect_max: float
    heartbeat: float
    http_timeout: float

    @staticmethod
    def fields_from(config: dict[str, Any]) -> dict[str, float]:
        """The connection's fields of a rendered, defaulted config, for a Type's settings' constructor."""
        advanced = config["advanced"]
        return {
            "reconnect_min": float(advanced["reconnectMinSeconds"]),
            "reconnect_max": float(advanced["reconnectMaxSeconds"]),
            "heartbeat": float(advanced["heartbeatSeconds"]),
            "http_timeout": float(advanced["httpTimeoutSeconds"]),
        }
