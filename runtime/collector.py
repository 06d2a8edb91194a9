"""The garbage collector and a runtime holding a thousand services.

What a boot creates (the app's elements, their configs and schemas, every service and its
objects) lives as long as the process (or its supervisor), yet each full collection walks all of
it: with 1,000 robots, two full passes in a burst of questions stopped the loop for 0.4 s, most
of the ACK delay. `gc.freeze()` moves what exists into a generation the collector no longer
walks (CPython's documented tool for this); what is created later, and garbage, is collected as
usual. A supervisor that shuts down thaws them, so a process that runs supervisors one after
another (the tests, an embedding app) does not keep each one's cycles forever.

While the services boot, the collector does not run at all: nearly everything a boot creates
lives on, so its passes found almost nothing (about 2,400 objects after 1,000 robots started)
while walking ever more (each full pass 0.1-0.2 s at the end; five of them, with the younger
ones, were 0.6 s of a 3 s start). What little garbage the boot leaves is frozen with the rest.

Every message makes short-lived objects (frames, tasks, futures): at CPython's default of a
young collection every 700 allocations, a burst of 1,000 questions ran the collector 134 times
(40-85 ms of the loop); every YOUNG_COLLECTION_EVERY allocations it runs 16 times (12-25 ms).
"""
from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

YOUNG_COLLECTION_EVERY = 5000
OLDER_COLLECTIONS_EVERY = 20  # young collections per middle one, middle ones per full one

_defaults: tuple[int, int, int] | None = None


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """No automatic collection inside (the boot), as it was afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
