"""Two replicas of one DingTalk robot on one database (both engines), each a real `element-studio
run`: the simulator hands a message to one of the two connections, and when DingTalk delivers it
again it goes to the other one; that replica ACKs it without answering it again (the message
log's unique insert), and a feedback press delivered to both is kept once."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from element_studio.elements.imRobots.Meta.feedback_store import feedback
from element_studio.runtime.app import App
from tests.support.replica_cluster import LABELS, ReplicaCluster, outcomes, write_app
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def acked_by(sim, message_id: str) -> set[str]:
    """The connections that ACKed a frame."""
    return {ack["connectionId"] for ack in sim.acks() if ack["messageId"] == message_id and ack["code"] == 200}


def test_a_message_or_press_delivered_to_both_replicas_is_answered_and_kept_once(app_dir, database):
    answer = write_app(app_dir, answer_seconds=0.2, chunks=2)
    with ReplicaCluster(app_dir, database, count=2) as cluster:
        sim = cluster.sim
        asked = sim.send("Are you there twice?", "asker")
        conversations = {asked["msgId"]: asked["conversationId"]}
        wait_until(lambda: outcomes(sim, conversations, answer)[asked["msgId"]].answered, timeout=20, interval=0.1)
        frame = next(m["messageId"] for m in sim.messages() if m["msgId"] == asked["msgId"])
        assert sim.redeliver(asked["msgId"])  # DingTalk again: the other connection's turn
        wait_until(lambda: len(acked_by(sim, frame)) == 2, timeout=10, interval=0.1)  # each replica ACKed it once

        [card] = sim.cards()
        press = sim.press(card["cardBizId"], LABELS[0], "rater")
        wait_until(lambda: acked_by(sim, press), timeout=10, interval=0.1)
        assert sim.redeliver(press)
        wait_until(lambda: len(acked_by(sim, press)) == 2, timeout=10, interval=0.1)

        wait_until(lambda: "handled before" in "".join(replica.output() for replica in cluster.replicas), timeout=10, interval=0.1)
        [again] = outcomes(sim, conversations, answer).values()
        assert (again.cards, again.ends, len(sim.cards()[0]["versions"])) == (1, 1, len(card["versions"]))  # not answered twice
    storage = App(app_dir, database_url=database).storage
    with storage.connect() as conn:
        kept = conn.execute(select(feedback.c.user_id, feedback.c.rating)).all()
    storage.close()
    assert [tuple(row) for row in kept] == [("rater", "veryHelpful")]
