"""The Type contract: everything a family (Meta) or a Type may use or provide, in one place.

Shipped families import only this module (and their own code), exactly as a user's Type
does; `docs/adding-a-type.md` documents every name below and a test keeps the two equal.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from .runtime.connection_check import ConnectionCheck
from .runtime.errors import ConfigInvalidError, ElementError
from .runtime.logs import instance_logger
from .runtime.redaction import redactor
from .runtime.service import FieldKind, InstanceState, Link, Service, ServiceContext, StatusField


class RunningSimulator(Protocol):
    """A started offline simulator: where it listens, and how to stop it."""

    base_url: str

    def stop(self) -> None:
        """Stop listening and end its thread."""


@dataclass(frozen=True)
class OfflineSimulator:
    """A Type's stand-in for its platform (hook `offline_simulator`): the offline default starts it."""

    platform: str  # the word for `element-studio sim <platform>`
    title: str  # the platform's name as people write it ("DingTalk")
    start: Callable[[], RunningSimulator]  # start it on 127.0.0.1 (a well-known port when free)
    command: Callable[[list[str]], int] | None = None  # `element-studio sim <platform> ARGS`; returns the exit code
    hint: str = ""  # a line logged once it runs; `{base_url}` is filled in


__all__ = [
    "ConfigInvalidError",
    "ConnectionCheck",
    "ElementError",
    "FieldKind",
    "InstanceState",
    "Link",
    "OfflineSimulator",
    "RunningSimulator",
    "Service",
    "ServiceContext",
    "StatusField",
    "instance_logger",
    "redactor",
]
