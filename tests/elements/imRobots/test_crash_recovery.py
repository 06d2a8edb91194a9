"""A robot killed with `kill -9` while 20 answers stream and feedback presses arrive, then started
again: every card ends with the answer or the apology, and every press DingTalk had an ACK for
was stored before that ACK.

The robot runs in a real `element-studio run` subprocess against the simulator in this process
(the real `dingtalk-stream` frames over a real WebSocket), so the kill takes the robot and
nothing else.
"""
from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from element_studio.elements.imRobots.dingTalkStreamType.simulator.frames import iter_buttons
from element_studio.runtime.storage import DATABASE_NAME, STATE_DIR_NAME
from tests.support.elements import copy_fixture, instance, write_element
from tests.support.robots import AGENT_TYPE, FAST, ROBOT_TYPE
from tests.support.run_process import RunProcess
from tests.support.waiting import wait_until

ROBOT = "imRobots.crashBot"
CHUNKS = [f"part{i} " for i in range(20)]
ANSWER = "".join(CHUNKS)
LABELS = ("😄 Very helpful", "😊 Helpful", "🙂 Somewhat helpful", "😅 Not helpful")
APOLOGY = "Sorry, the robot restarted."


@pytest.fixture
def crash_app(app_dir):
    """A robot whose agent streams 20 chunks over 5 s, started by `run` with the app."""
    copy_fixture("scripted_agent", app_dir)
    write_element(app_dir, "aiagents.slow", instance(AGENT_TYPE, at_start=False), {"chunks": CHUNKS, "delaySeconds": 0.25})
    write_element(app_dir, ROBOT, instance(ROBOT_TYPE), {
        "agent": "aiagents.slow", "clientId": "dingdemo", "clientSecret": "demo-secret", "maxConcurrentAnswers": 40,
        "updateEveryChunks": 4, "updateIntervalSeconds": 60, "maxCardUpdates": 5, "apologyText": APOLOGY, "advanced": dict(FAST),
    })
    return app_dir


def rows(app_dir, sql, *args):
    """Read the app's database file directly, as the next process will find it."""
    conn = sqlite3.connect(app_dir / STATE_DIR_NAME / DATABASE_NAME)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, args)]
    finally:
        conn.close()


def ended(sim, card_biz_id):
    """True once a card shows the final answer with its buttons, or the apology."""
    versions = sim.card_versions(card_biz_id)
    text = versions[-1]["contents"][0]["text"] if versions else ""
    return bool(iter_buttons(versions[-1])) or APOLOGY in text if len(versions) > 1 else False


def run_robot(app_dir):
    run = RunProcess("--app", str(app_dir), "--simulators", "off")
    run.wait_for_line(rf"{ROBOT}: connected to DingTalk")
    return run


def test_kill_9_while_answers_stream_then_restart_ends_every_card_and_keeps_every_acked_press(sim, crash_app):
    first = run_robot(crash_app)
    try:
        rated = [sim.send_message("dingdemo", f"rate me {i}", sender_staff_id=f"rater{i}") for i in range(3)]
        rated_cards = [sim.wait_for_card(msg).card_biz_id for msg in rated]
        wait_until(lambda: all(ended(sim, card) for card in rated_cards), timeout=15, message="the rated answers never ended")

        streaming = [sim.send_message("dingdemo", f"question {i}", sender_staff_id=f"asker{i}") for i in range(20)]
        cards = [sim.wait_for_card(msg, versions=2, timeout=10).card_biz_id for msg in streaming]  # all 20 are streaming

        presses: list[str] = []

        def press_300() -> None:  # one press per person per answer (a later one would replace the rating)
            for user in range(100):
                for card in rated_cards:
                    presses.append(sim.press_button(card, label=LABELS[user % 4], user_id=f"user{user}"))
                    time.sleep(0.005)  # people pressing over a few seconds, so the kill lands among them

        pressing = threading.Thread(target=press_300, name="presses")
        pressing.start()
        wait_until(lambda: len([a for a in sim.acks("dingdemo") if a.message_id in presses]) >= 60, timeout=15,
                   message="the presses were never ACKed")
        first.kill()  # while presses arrive and 20 answers stream
        pressing.join(timeout=30)
    finally:
        first.__exit__()
    assert not any(ended(sim, card) for card in cards), "the kill came after an answer ended"

    acked = {a.message_id for a in sim.acks("dingdemo") if a.code == 200}
    kept = {(r["message_id"], r["user_id"], r["rating"]) for r in rows(crash_app, "SELECT * FROM feedback WHERE robot = ?", ROBOT)}
    acked_presses = [p for p in sim.button_presses() if p.message_id in acked]
    assert 60 <= len(acked_presses) < 300 and len(presses) == 300  # the kill came among the presses
    assert [p for p in acked_presses if (p.params["msgId"], p.user_id, p.params["rating"]) not in kept] == []
    assert len(rows(crash_app, "SELECT * FROM answer_journal WHERE robot = ?", ROBOT)) == 20

    with run_robot(crash_app) as second:
        wait_until(lambda: all(ended(sim, card) for card in cards), timeout=40,
                   message=lambda: f"cards still open after the restart: {second.output()[-3000:]}")
        second.wait_for_line(r"20 answer\(s\) were in flight when this robot or its replica last stopped")
        wait_until(lambda: rows(crash_app, "SELECT * FROM answer_journal") == [], message="the journal still holds answers")
    for card in cards:
        final = sim.card_versions(card)[-1]
        assert final["contents"][0]["text"] == ANSWER or APOLOGY in final["contents"][0]["text"]
    assert len(sim.cards()) == 23  # the 20 cards were ended, not sent again
    outcomes = {r["outcome"] for r in rows(crash_app, "SELECT outcome FROM message_log WHERE question LIKE 'question %'")}
    assert outcomes <= {"answered", "stopped"}
