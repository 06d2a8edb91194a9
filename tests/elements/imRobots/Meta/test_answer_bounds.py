"""The family's answer bounds: the card update budget and answering each message once."""
from __future__ import annotations

from element_studio.elements.imRobots.Meta.dedup import SeenMessages
from element_studio.elements.imRobots.Meta.throttle import CardUpdateThrottle


def test_throttle_never_exceeds_the_budget_and_reserves_the_final_update():
    throttle = CardUpdateThrottle(max_updates=4, interval=100, every_chunks=2, now=0)
    due = [throttle.chunk(0) for _ in range(3)]
    assert due == [False, True, True]  # pending stays 2+ until an update goes out
    sent = 0
    for t in range(100):
        if throttle.chunk(t):
            throttle.updated(t)
            sent += 1
    throttle.finished()
    assert sent == 3 and throttle.used == 4


def test_throttle_updates_after_the_interval_even_with_few_chunks():
    throttle = CardUpdateThrottle(max_updates=20, interval=2, every_chunks=5, now=0)
    assert throttle.chunk(1.0) is False
    assert throttle.chunk(2.5) is True
    throttle.updated(2.5)
    assert throttle.chunk(3.0) is False
    one = CardUpdateThrottle(max_updates=1, interval=0, every_chunks=1, now=0)
    assert one.chunk(10) is False  # the only update is the final one


def test_seen_messages_answer_once_within_the_ttl():
    now = [0.0]
    seen = SeenMessages(ttl=600, clock=lambda: now[0])
    assert seen.first_time("m1") and not seen.first_time("m1")
    now[0] = 599
    assert not seen.first_time("m1")
    now[0] = 1300
    assert seen.first_time("m1") and len(seen) == 1


