"""The garbage collector and a runtime holding a thousand services.

What a boot creates (the app's elements, their configs and schemas, every service and its
objects) lives as long as the process (or its supervisor), yet each full collection walks all of it: with 1,000
robots, two full passes in a burst of questions stopped the loop for 0.4 s, most of the ACK
delay. `gc.freeze()` moves what exists into a generation the collector no longer walks
(CPython's documented tool for this); what is created later, and garbage, is collected as
usual. A supervisor that shuts down thaws them, so a process that runs supervisors one after
another (the tests, an embedding app) does not keep each one's cycles forever.
"""
from __future__ import annotations

import gc


def freeze_long_lived() -> None:
    """Exempt every object alive now from future collections (call once what boots has booted)."""
    gc.freeze()


def thaw() -> None:
    """Hand the frozen objects back to the collector (a supervisor's objects die with it)."""
    gc.unfreeze()
