"""The garbage collector and a runtime holding a thousand services.

What a boot creates (the app's elements, their configs and schemas, every service and its
objects) lives as long as the process (or its supervisor), yet each full collection walks all of
it: with 1,000 robots, two full passes in a burst of questions stopped the loop for 0.4 s, most
of the ACK delay. `gc.freeze()` moves what exists into a generation the collector no longer
walks (CPython's documented tool for this); what is created later, and garbage, is collected as
usual. A supervisor that shuts down thaws them, so a process that runs supervisors one after
another (the tests, an embedding app) does not keep each one's cycles forever.

Every message makes short-lived objects (frames, tasks, futures): at CPython's default of a
young collection every 700 allocations, a burst of 1,000 questions ran the collector 134 times
(40-85 ms of the loop); every YOUNG_COLLECTION_EVERY allocations it runs 16 times (12-25 ms).
"""
from __future__ import annotations

import gc

YOUNG_COLLECTION_EVERY = 5000
OLDER_COLLECTIONS_EVERY = 20  # young collections per middle one, middle ones per full one

_defaults: tuple[int, int, int] | None = None


def freeze_long_lived() -> None:
    """Exempt every object alive now from future collections and collect the young ones less
    often (call once what boots has booted)."""
    global _defaults
    if _defaults is None:
        _defaults = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, OLDER_COLLECTIONS_EVERY, OLDER_COLLECTIONS_EVERY)
    gc.freeze()


def thaw() -> None:
    """Hand the frozen objects back to the collector and its usual pace (a supervisor's objects die with it)."""
    global _defaults
    gc.unfreeze()
    if _defaults is not None:
        gc.set_threshold(*_defaults)
        _defaults = None
