"""Fresh, unguessable ids for cards and streaming updates, made without a system call each.

`uuid.uuid4()` reads the kernel's random source for every id: with a thousand questions
journaled at once before their ACKs, each read handed the interpreter lock to the thread
writing the journal, and the loop then waited for it back (about 37 us an id). A key read
once per process and a counter, hashed, are as unguessable to anyone without the key and
never repeat in this process; another process has its own key.
"""
from __future__ import annotations

import hashlib
import itertools
import os

_KEY = os.urandom(32)
_COUNTER = itertools.count()


def fresh_id(about: str = "", length: int = 64) -> str:
    """A new hex id of `length` characters (at most 128); `about` (e.g. the msgId) goes into the hash."""
    return hashlib.blake2b(f"{next(_COUNTER)}/{about}".encode(), key=_KEY, digest_size=64).hexdigest()[:length]
