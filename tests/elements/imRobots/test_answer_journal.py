"""The answer journal through a real robot: what a row holds while an answer streams, and how a
restarted robot ends answers it should not begin again (the `kill -9` case itself is in
test_crash_recovery.py)."""
from __future__ import annotations

import json
import re
import time

import pytest

from tests.elements.imRobots.test_answers import markdown_of
from tests.support.waiting import wait_until

APOLOGY = "Sorry, I was stopped."


def answer_in_flight(world, question, **config):
    """A robot whose agent never answers, asked `question`: (robot, msgId, card, journal row)."""
    bot = world.robot(world.agent(hang=True), apologyText=APOLOGY, **config)
    world.start(bot)
    msg = world.sim.send_message("dingdemo", question)
    card = world.sim.wait_for_card(msg)
    [row] = world.rows("SELECT * FROM answer_journal WHERE robot = ?", bot)
    return bot, msg, card, row


def test_an_answer_in_flight_is_journaled_with_its_card_and_reply_address_and_leaves_when_it_ends(world):
    sim = world.sim
    bot, msg, card, row = answer_in_flight(world, "Where does my card live?")
    address = json.loads(row["reply_to"])
    assert (row["msg_id"], row["card_id"], row["question"], row["attempts"]) == (msg, card.card_biz_id, "Where does my card live?", 1)
    assert address["sessionWebhook"].startswith(sim.base_url) and address["staffId"] == "demo-user"
    assert row["reply_until"] > time.time() + 3600  # the session webhook's expiry, from the message
    world.supervisor.stop(bot)
    assert markdown_of(sim.card_versions(card.card_biz_id)[-1]) == APOLOGY
    assert world.rows("SELECT * FROM answer_journal") == []


def test_a_question_is_journaled_before_dingtalk_gets_its_ack(world):
    bot = world.robot(world.agent(hang=True), maxConcurrentAnswers=40)
    world.start(bot)
    msgs = [world.sim.send_message("dingdemo", f"question {i}", sender_staff_id=f"asker{i}") for i in range(20)]
    wait_until(lambda: all(world.sim.acked(msg) for msg in msgs))
    journaled = {row["msg_id"]: row["started_at"] for row in world.rows("SELECT msg_id, started_at FROM answer_journal")}
    frame_of = {m.msg_id: m.message_id for m in world.sim.messages()}
    acked_at = {a.message_id: a.at for a in world.sim.acks()}
    assert [msg for msg in msgs if not journaled.get(msg, float("inf")) <= acked_at[frame_of[msg]]] == []  # a crash after the ACK loses nothing


@pytest.mark.parametrize("left_behind, why", [
    ({"attempts": 2}, r"\(begun 2 times\)"),
    ({"started_at": lambda: time.time() - 3600}, r"\(asked 36\d\d s ago\)"),
])
def test_on_start_an_answer_begun_twice_or_long_ago_ends_with_the_apology_without_asking_again(world, left_behind, why):
    sim = world.sim
    bot, _, card, row = answer_in_flight(world, "Will this crash you?")
    world.supervisor.stop(bot)
    # what a crash at that moment leaves behind: the row, never deleted
    row.update({key: value() if callable(value) else value for key, value in left_behind.items()})
    world.execute(f"INSERT INTO answer_journal ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", *row.values())
    versions = len(sim.card_versions(card.card_biz_id))

    world.start(bot)
    assert re.search(why, world.wait_log(bot, "ending it with the apology"))
    wait_until(lambda: len(sim.card_versions(card.card_biz_id)) == versions + 1)
    assert markdown_of(sim.card_versions(card.card_biz_id)[-1]) == APOLOGY
    wait_until(lambda: world.rows("SELECT * FROM answer_journal") == [])
    world.wait_status(bot, lambda s: s.detail["answersInFlight"] == 0)  # the hanging agent was not asked again


def test_an_ai_card_left_in_the_journal_ends_in_its_failed_state_after_a_restart(world):
    from element_studio.elements.imRobots.dingTalkStreamType import ai_cards
    from tests.elements.imRobots.test_ai_cards import ai_final

    sim = world.sim
    bot, _, card, row = answer_in_flight(world, "An AI card through a crash?", replyMode="aiCard")
    assert row["card_id"] == card.card_biz_id  # the outTrackId
    world.supervisor.stop(bot)
    row["attempts"] = 2
    world.execute(f"INSERT INTO answer_journal ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", *row.values())
    versions = len(sim.card(card.card_biz_id).versions)

    world.start(bot)
    wait_until(lambda: len(sim.card(card.card_biz_id).versions) > versions)
    ended = ai_final(sim, card.card_biz_id, status=ai_cards.FAILED)
    assert ended[-1].card_data["cardParamMap"]["msgContent"] == APOLOGY
    wait_until(lambda: world.rows("SELECT * FROM answer_journal") == [])


def test_a_question_is_acked_only_once_journaled_and_its_second_delivery_waits_for_the_first(world):
    """While the database cannot be written, neither the question's frame nor DingTalk's second
    delivery of it is ACKed; once the journal row is written, both are, and it is answered once."""
    import sqlite3

    sim = world.sim  # sends a frame again when it is not ACKed within 0.5 s
    bot = world.robot(world.agent(chunks=["kept first"]))
    world.start(bot)
    blocker = sqlite3.connect(world.storage.url.database, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds SQLite's write lock
    try:
        msg = sim.send_message("dingdemo", "keep me first")
        wait_until(lambda: len(sim.deliveries_of(msg)) >= 2)
        assert sim.acks(message_id=sim.deliveries_of(msg)[0].message_id) == []
    finally:
        blocker.execute("COMMIT")
        blocker.close()
    wait_until(lambda: len(sim.acks(message_id=sim.deliveries_of(msg)[0].message_id)) >= 2)
    assert [r["msg_id"] for r in world.rows("SELECT msg_id FROM message_log WHERE robot = ?", bot)] == [msg]
    assert "delivered again while being kept" in world.wait_log(bot, "delivered again")
    world.wait_log(bot, "answered msgId " + msg)
    assert len(sim.cards()) == 1
