"""Three replicas on one PostgreSQL database serve one DingTalk robot through a standalone
simulator process, which hands each message to one of the robot's three connections. One replica
is killed with `kill -9` while it answers: every question still ends exactly once (answered, or
the apology) on one card, every feedback press DingTalk had an ACK for is kept, and a stop from
the editor (the `serve` replica) stops the robot on every replica within 2 s.

bench/replicas.py runs the same with 300 questions and measures it.
"""
from __future__ import annotations

import re
import threading
import urllib.request
from http.cookiejar import CookieJar

import pytest
from sqlalchemy import create_engine, text

from tests.support.postgres import free_port
from tests.support.replica_cluster import LABELS, ROBOT, ReplicaCluster, outcomes, summary, write_app
from tests.support.waiting import wait_until

QUESTIONS = 60  # bench/replicas.py: 300

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def stop_from_the_editor(port: int, full_name: str) -> None:
    """Press Stop in the editor: its page gives the CSRF token, the POST carries it."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(CookieJar()))
    base = f"http://127.0.0.1:{port}"
    page = opener.open(f"{base}/", timeout=10).read().decode()
    token = re.search(r"X-CSRFToken\W+([\w.-]+)", page).group(1)  # the page's hx-headers
    request = urllib.request.Request(f"{base}/instances/{full_name}/stop", data=b"", method="POST",
                                     headers={"X-CSRFToken": token, "HX-Request": "true", "Referer": f"{base}/"})
    assert opener.open(request, timeout=10).status == 200


def test_a_replica_killed_mid_answer_loses_nothing_and_answers_nothing_twice(app_dir, postgres_server):
    database = postgres_server.create_database()
    answer = write_app(app_dir, answer_seconds=1.0)
    editor_port = free_port()
    with ReplicaCluster(app_dir, database, count=3, editor_port=editor_port) as cluster:
        sim, victim = cluster.sim, 2
        rated = [sim.send(f"rate me {i}", f"rater{i}") for i in range(3)]
        conversations = {m["msgId"]: m["conversationId"] for m in rated}
        wait_until(lambda: all(o.answered for o in outcomes(sim, conversations, answer).values()), timeout=30, interval=0.2)
        rated_cards = [card["cardBizId"] for card in sim.cards()]

        presses: list[str] = []

        def press_while_it_dies() -> None:  # one press per person per card (a later one would replace the rating)
            for user in range(40):
                for card in rated_cards:
                    presses.append(sim.press(card, LABELS[user % 4], f"user{user}"))

        pressing = threading.Thread(target=press_while_it_dies, name="presses")
        engine = create_engine(database.replace("postgresql://", "postgresql+psycopg://"))
        asked = {}
        for index in range(QUESTIONS):
            message = sim.send(f"question {index}", f"asker{index}")
            asked[message["msgId"]] = message["conversationId"]
            if index == QUESTIONS // 2:  # half sent, each replica answering about ten: kill one
                pressing.start()
                wait_until(lambda: len(sim.cards()) >= 3 + QUESTIONS // 3, timeout=20, interval=0.1)
                cluster.kill(victim)
                with engine.connect() as conn:
                    left = conn.execute(text("SELECT count(*) FROM answer_journal WHERE replica = :r"), {"r": cluster.ids[victim]}).scalar()
        pressing.join(timeout=60)
        found = summary(cluster.ended(asked, answer, timeout=60))
        assert found["several ends"] == found["several cards"] == found["no end"] == found["other end"] == 0, found
        assert found["answered"] + found["apologised"] == QUESTIONS
        survivors = "".join(cluster.replicas[i].output() for i in (0, 1))
        assert left > 0 and "were in flight when this robot or its replica last stopped" in survivors  # the kill left answers to take over

        acked = {a["messageId"] for a in sim.acks() if a["code"] == 200}
        with engine.connect() as conn:
            kept = {(row.message_id, row.user_id) for row in conn.execute(text("SELECT message_id, user_id FROM feedback"))}
            journal = conn.execute(text("SELECT count(*) FROM answer_journal")).scalar()
        msg_of = {m["cardBizId"]: m["replyToMsgId"] for m in sim.cards()}
        pressed = {(p, f"user{i // 3}", rated_cards[i % 3]) for i, p in enumerate(presses)}
        acked_presses = [(msg_of[card], user) for press, user, card in pressed if press in acked]
        assert len(presses) == 120 and acked_presses
        assert [p for p in acked_presses if p not in kept] == []
        assert journal == 0

        stop_from_the_editor(editor_port, ROBOT)
        wait_until(lambda: not sim.open_connections(), timeout=2, message="the robot still runs on a replica 2 s after Stop")
        engine.dispose()
    postgres_server.drop_database(database)
