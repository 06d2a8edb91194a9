"""What the editor shows about any IM robot with a long connection, reported through the
supervisor's ServiceContext (a Type exports `status_fields` from here).

Detail keys: connection ("connecting" | "connected" | "backing_off"), connectedSince,
lastFrameAt, reconnects, answersInFlight, messagesHandled, lastError, nextRetryAt (epoch
seconds), apiCallsThisMonth (the robot's app's platform API calls this month) and answerForm
(how answers look now, see api_budget). Refused credentials put the instance in state `error`; a connection puts it back
to `running`.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from element_studio.contract import FieldKind, Link, StatusField

# How the editor shows this Type's detail keys (the `status_fields` hook), in this order.
status_fields = [
    StatusField("connection", "Connection", FieldKind.LINK),
    StatusField("connectedSince", "Connected since", FieldKind.MOMENT),
    StatusField("lastFrameAt", "Last frame", FieldKind.MOMENT),
    StatusField("nextRetryAt", "Next try", FieldKind.RETRY_AT),
    StatusField("reconnects", "Reconnects", FieldKind.COUNT),
    StatusField("answersInFlight", "Answers in flight", FieldKind.COUNT),
    StatusField("messagesHandled", "Messages handled", FieldKind.COUNT),
    StatusField("apiCallsThisMonth", "API calls this month", FieldKind.COUNT),
    StatusField("answerForm", "Answers as", FieldKind.TEXT),
    StatusField("lastError", "Last error", FieldKind.ERROR),
]

CONNECTING, CONNECTED, BACKING_OFF = Link.CONNECTING, Link.CONNECTED, Link.BACKING_OFF
FRAME_REPORT_EVERY = 1.0  # seconds: lastFrameAt is reported at most this often
COUNTERS_PUSH_DELAY = 0.25  # seconds: counters are reported together at most this late


class RobotStatus:
    """Counters and connection state; every change is pushed through `update`."""

    def __init__(self, update: Callable[..., None], clock: Callable[[], float] = time.time) -> None:
        self._update = update
        self._clock = clock
        self.connection = CONNECTING
        self.connected_since: float | None = None
        self.last_frame_at: float | None = None
        self.connections = 0
        self.answers_in_flight = 0
        self.messages_handled = 0
        self.last_error = ""
        self.next_retry_at: float | None = None
        self.api_calls = 0
        self.answer_form = ""
        self._frame_reported = 0.0
        self._calls_reported = 0.0
        self._in_error = False
        self._push_pending = False

    @property
    def reconnects(self) -> int:
        return max(0, self.connections - 1)

    def detail(self) -> dict[str, Any]:
        return {
            "connection": self.connection,
            "connectedSince": self.connected_since,
            "lastFrameAt": self.last_frame_at,
            "reconnects": self.reconnects,
            "answersInFlight": self.answers_in_flight,
            "messagesHandled": self.messages_handled,
            "lastError": self.last_error,
            "nextRetryAt": self.next_retry_at,
            "apiCallsThisMonth": self.api_calls,
            "answerForm": self.answer_form,
        }

    def _push(self, **state: Any) -> None:
        self._update(**state, **self.detail())

    def _push_soon(self) -> None:
        """Counters change with every message: one push COUNTERS_PUSH_DELAY later carries all
        their changes (1,000 questions at once made 3,000 pushes, ahead of their ACKs)."""
        if not self._push_pending:
            self._push_pending = True
            asyncio.get_running_loop().call_later(COUNTERS_PUSH_DELAY, self._pushed_soon)

    def _pushed_soon(self) -> None:
        self._push_pending = False
        self._push()

    # connection ------------------------------------------------------------------------
    def connecting(self) -> None:
        self.connection = CONNECTING
        self.next_retry_at = None
        self._push()

    def connected(self) -> None:
        now = self._clock()
        self.connection = CONNECTED
        self.connected_since = now
        self.last_frame_at = now
        self.connections += 1
        self.next_retry_at = None
        self._in_error = False
        self._push(state="running", message="")

    def backing_off(self, error: str, delay: float, refused: bool = False) -> None:
        """Disconnected or refused; the next attempt is in `delay` seconds."""
        self.connection = BACKING_OFF
        self.connected_since = None
        self.last_error = error
        self.next_retry_at = self._clock() + delay
        if refused:
            self._in_error = True
            self._push(state="error", message=error)
        elif self._in_error:
            self._push()
        else:
            self._push(message=f"reconnecting: {error}")

    def frame(self) -> None:
        now = self._clock()
        self.last_frame_at = now
        if now - self._frame_reported >= FRAME_REPORT_EVERY:
            self._frame_reported = now
            self._push_soon()

    # answers ---------------------------------------------------------------------------
    def message_handled(self) -> None:
        self.messages_handled += 1
        self._push_soon()

    def answer_started(self) -> None:
        self.answers_in_flight += 1
        self._push_soon()

    def answer_finished(self) -> None:
        self.answers_in_flight = max(0, self.answers_in_flight - 1)
        self._push_soon()

    def api_usage(self, calls: int, form: str) -> None:
        """This month's API calls (pushed at most once a second; any other change carries the
        newest count too) and the form answers take."""
        now = self._clock()
        changed_form = form != self.answer_form
        self.api_calls, self.answer_form = calls, form
        if changed_form or now - self._calls_reported >= FRAME_REPORT_EVERY:
            self._calls_reported = now
            self._push()

    def error(self, text: str) -> None:
        """Remember the newest error without changing the state (e.g. a failed answer)."""
        self.last_error = text
        self._push()
