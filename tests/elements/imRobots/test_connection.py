"""The connection: ACK first, a free loop, tokens, refused credentials, drops, freezes, stop, one
connection per clientId, the disconnect frame, a proxy, and "test connection"."""
from __future__ import annotations

import asyncio
import json
import time

from element_studio.elements.imRobots.dingTalkStreamType import check_connection
from element_studio.elements.imRobots.dingTalkStreamType.simulator.openapi import CARD_SEND_PATH, TOKEN_PATH
from tests.support.waiting import wait_until

from .connect_proxy import ConnectProxy
from .test_answers import final_of


def test_every_message_is_acked_before_the_agent_runs(world):
    sim = world.sim  # redelivers anything not ACKed within 0.5 s
    bot = world.robot(world.agent(chunks=["slow answer"], delaySeconds=1.2))
    world.start(bot)
    msg = sim.send_message("dingdemo", "take your time")
    ack = sim.wait_for_ack(msg)
    assert ack.code == 200
    card = sim.wait_for_card(msg)
    assert ack.at <= card.versions[0].at  # the thinking card comes after the ACK
    final_of(sim, card.card_biz_id)
    assert len(sim.deliveries_of(msg)) == 1  # never redelivered: answered once


def test_pings_are_answered_on_time_while_answers_stream(world):
    sim = world.sim
    agent = world.agent(chunks=[f"t{i} " for i in range(25)], delaySeconds=0.04)
    # 20 answers x 4 card updates: 80 calls, which DingTalk's 20 calls a second per API spreads over 4 s
    bot = world.robot(agent, maxConcurrentAnswers=30, updateEveryChunks=1, maxCardUpdates=4)
    world.start(bot)
    questions = [sim.send_message("dingdemo", f"q{i}") for i in range(20)]
    world.wait_status(bot, lambda s: s.detail["answersInFlight"] >= 15)
    for _ in range(10):
        [ping] = sim.ping("dingdemo")
        ack = sim.wait_for_ack(ping)
        assert ack.data == json.loads(sim.deliveries_of(ping)[0].frame["data"])  # the SYSTEM ping's data is echoed
    assert world.status(bot).detail["answersInFlight"] >= 1  # still streaming while pinged
    for msg in questions:
        final_of(sim, sim.wait_for_card(msg).card_biz_id, timeout=10)


def test_the_access_token_is_cached_and_refreshed_once_after_a_401(world):
    sim = world.sim
    bot = world.robot(world.agent(chunks=["ok"]))
    world.start(bot)
    for i in range(3):
        final_of(sim, sim.wait_for_card(sim.send_message("dingdemo", f"cached {i}")).card_biz_id)
    assert len(sim.api_calls(TOKEN_PATH)) == 1
    sim.revoke_tokens("dingdemo")
    msg = sim.send_message("dingdemo", "after revoke")
    final_of(sim, sim.wait_for_card(msg).card_biz_id)
    assert [c.status for c in sim.api_calls(TOKEN_PATH)] == [200, 200]
    assert [c.status for c in sim.api_calls(CARD_SEND_PATH)] == [200, 200, 200, 401, 200]


def test_refused_credentials_show_an_error_and_back_off_while_other_robots_answer(world):
    sim = world.sim
    agent = world.agent(chunks=["fine"])
    wrong = world.robot(agent, client_id="dingtwo", secret="not-the-secret")
    good = world.robot(agent)
    world.start(good)
    world.start(wrong, connected=False)
    status = world.wait_status(wrong, lambda s: s.state == "error")
    assert status.message.startswith("credentials refused (HTTP 401 InvalidAuthentication")
    assert status.detail["connection"] == "backing_off" and status.detail["nextRetryAt"] > time.time() - 0.1
    assert status.detail["lastError"] == status.message
    def attempts():
        return [c.at for c in sim.api_calls("/v1.0/gateway/connections/open") if c.client_id == "dingtwo"]

    wait_until(lambda: len(attempts()) >= 4)
    first = attempts()[:4]
    gaps = [later - earlier for earlier, later in zip(first, first[1:])]
    assert min(gaps) >= 0.035 and gaps[-1] >= 0.15, gaps  # 0.05 s doubling (±20 %): a backoff, not a tight loop
    msg = sim.send_message("dingdemo", "still there?")
    final_of(sim, sim.wait_for_card(msg).card_biz_id)
    assert world.status(good).state == "running"
    sim.register_app("dingtwo", "not-the-secret")  # the admin fixes the secret on DingTalk's side
    status = world.wait_status(wrong, lambda s: s.state == "running" and s.detail["connection"] == "connected", timeout=3)
    assert status.message == ""


def test_a_dropped_connection_reconnects_and_later_messages_are_answered(world):
    sim = world.sim
    bot = world.robot(world.agent(chunks=["back"]))
    world.start(bot)
    assert sim.drop_connection("dingdemo") == 1
    world.wait_status(bot, lambda s: s.detail["reconnects"] == 1 and s.detail["connection"] == "connected")
    assert len(sim.connections("dingdemo")) == 2 and sim.live_connection_count("dingdemo") == 1
    msg = sim.send_message("dingdemo", "after the drop")
    final_of(sim, sim.wait_for_card(msg).card_biz_id)
    assert "connection lost" in world.status(bot).detail["lastError"] or "closed" in world.status(bot).detail["lastError"]


def test_a_frozen_socket_is_detected_as_dead_and_replaced(world):
    sim = world.sim
    bot = world.robot(world.agent(chunks=["alive"]))  # heartbeat 0.6 s: a pong must come within 0.3 s
    world.start(bot)
    sim.freeze("dingdemo")
    world.wait_status(bot, lambda s: s.detail["reconnects"] == 1 and s.detail["connection"] == "connected", timeout=4)
    assert "no pong within 0.3 s of a ping" in world.status(bot).detail["lastError"]
    msg = sim.send_message("dingdemo", "after the freeze")
    final_of(sim, sim.wait_for_card(msg).card_biz_id)


def test_stop_closes_the_socket_at_once_and_ends_the_answer_in_flight(world):
    sim = world.sim
    bot = world.robot(world.agent(hang=True), apologyText="Sorry, I was stopped.")
    world.start(bot)
    msg = sim.send_message("dingdemo", "hanging")
    card = sim.wait_for_card(msg)
    asked = time.time()
    assert world.supervisor.stop(bot).state == "stopped"
    [connection] = sim.connections("dingdemo")
    assert connection.closed_by == "client" and connection.closed_at - asked < 5.0  # not left to time out
    assert sim.card_versions(card.card_biz_id)[-1]["contents"][0]["text"] == "Sorry, I was stopped."
    assert sim.live_connection_count("dingdemo") == 0


def test_at_most_one_live_connection_per_client_id_across_restarts(world):
    sim = world.sim
    bot = world.robot(world.agent(chunks=["ok"]))
    world.start(bot)
    for _ in range(3):
        assert world.supervisor.restart(bot).state == "running"
        world.wait_status(bot, lambda s: s.detail.get("connection") == "connected")
    assert len(sim.connections("dingdemo")) == 4
    assert sim.max_live_connections("dingdemo") == 1
    final_of(sim, sim.wait_for_card(sim.send_message("dingdemo", "after restarts")).card_biz_id)


def test_a_disconnect_frame_is_acked_and_the_robot_reconnects_at_once(world):
    sim = world.sim
    bot = world.robot(world.agent(chunks=["ok"]), advanced={"reconnectMinSeconds": 5, "heartbeatSeconds": 5})
    world.start(bot)
    [message_id] = sim.send_system_disconnect("dingdemo")
    assert sim.wait_for_ack(message_id).code == 200
    world.wait_status(bot, lambda s: s.detail["reconnects"] == 1 and s.detail["connection"] == "connected", timeout=2)
    assert sim.max_live_connections("dingdemo") == 1


def test_a_robot_connects_and_answers_through_an_http_proxy(world):
    sim = world.sim
    with ConnectProxy() as proxy:
        bot = world.robot(world.agent(chunks=["proxied"]), proxy=proxy.url)
        world.start(bot)
        msg = sim.send_message("dingdemo", "via proxy")
        final_of(sim, sim.wait_for_card(msg).card_biz_id)
        assert len(proxy.tunnels) >= 1 and all(t == f"127.0.0.1:{sim.port}" for t in proxy.tunnels)
        world.supervisor.stop(bot)


def test_check_connection_reports_accepted_and_refused_credentials(sim):
    good = asyncio.run(check_connection({"clientId": "dingdemo", "clientSecret": "demo-secret", "advanced": {"httpTimeoutSeconds": 2}}))
    assert good.ok and good.step == "connected" and "dingdemo" in good.message
    bad = asyncio.run(check_connection({"clientId": "dingdemo", "clientSecret": "wrong"}))
    assert (bad.ok, bad.step) == (False, "credentials") and bad.message.startswith("credentials refused (HTTP 401")
    assert sim.connections() == []  # no WebSocket was opened
