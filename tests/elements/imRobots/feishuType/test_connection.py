"""The long connection: every frame answered at once, redelivered events handled once, drops and
dead links replaced, a real stop, refused credentials, the tenant token cached and refreshed,
and "test connection" (one connection per App ID: Meta/test_connection_loop.py)."""
from __future__ import annotations

import asyncio
import time

from element_studio.elements.imRobots.feishuType import check_connection
from tests.support.waiting import wait_until

from .test_answers import APP, answer_text, final_card

TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"
ENDPOINT = "/callback/ws/endpoint"


def test_every_event_is_answered_at_once_while_the_agent_takes_its_time(feishu_world):
    sim = feishu_world.sim  # redelivers anything without a code-200 response after 0.5 s
    bot = feishu_world.robot(feishu_world.agent(chunks=["slow answer"], delaySeconds=1.2))
    feishu_world.start(bot)
    msg = sim.send_message(APP, "take your time", parts=3)  # a payload split into three frames
    delivery = wait_until(lambda: (d := sim.delivery_of(msg)) and d.answered and d)
    [response] = delivery.responses
    assert response["code"] == 200 and int(response["biz_rt"]) < 100
    card = final_card(sim, msg)
    assert response["at"] <= card.versions[0].at  # the response went before the card was even created
    assert delivery.tries == 1 and answer_text(card.latest) == "slow answer"


def test_a_redelivered_event_and_a_repeated_message_id_are_answered_once(feishu_world):
    sim = feishu_world.sim
    bot = feishu_world.robot(feishu_world.agent(chunks=["once"]))
    feishu_world.start(bot)
    msg = sim.send_message(APP, "only once please")
    final_card(sim, msg)
    assert sim.redeliver(sim.delivery_of(msg).event_id)
    feishu_world.wait_log(bot, "delivered again: ACKed, not answered twice")
    assert len(sim.cards(msg_id=msg)) == 1 and wait_until(lambda: len(sim.delivery_of(msg).responses) == 2)


def test_answered_message_ids_survive_a_restart(feishu_world):
    sim = feishu_world.sim
    bot = feishu_world.robot(feishu_world.agent(chunks=["first life"]))
    feishu_world.start(bot)
    msg = sim.send_message(APP, "remember me")
    final_card(sim, msg)
    feishu_world.supervisor.restart(bot)
    feishu_world.wait_status(bot, lambda s: s.detail.get("connection") == "connected")
    sim.redeliver(sim.delivery_of(msg).event_id)  # the new robot has never seen the event id
    feishu_world.wait_log(bot, "was handled before (message log)")
    assert len(sim.cards(msg_id=msg)) == 1


def test_a_dropped_connection_reconnects_and_later_messages_are_answered(feishu_world):
    sim = feishu_world.sim
    bot = feishu_world.robot(feishu_world.agent(chunks=["back"]))
    feishu_world.start(bot)
    wait_until(lambda: sim.live_connection_count(APP) == 1)  # the simulator's side of the handshake may lag the robot's
    assert sim.drop_connection(APP) == 1
    feishu_world.wait_status(bot, lambda s: s.detail["reconnects"] == 1 and s.detail["connection"] == "connected")
    assert sim.live_connection_count(APP) == 1
    final_card(sim, sim.send_message(APP, "after the drop"))


def test_a_frozen_link_is_detected_by_ping_and_pong_and_replaced(feishu_world):
    sim = feishu_world.sim
    bot = feishu_world.robot(feishu_world.agent(chunks=["alive"]))  # pings every 0.6 s: dead after 0.9 s of silence
    feishu_world.start(bot)
    wait_until(lambda: sim.connections(APP)[0].pings >= 2)
    sim.freeze(APP)
    feishu_world.wait_status(bot, lambda s: s.detail["reconnects"] == 1 and s.detail["connection"] == "connected", timeout=4)
    assert "no frame and no pong within 0.9 s" in feishu_world.status(bot).detail["lastError"]
    final_card(sim, sim.send_message(APP, "after the freeze"))


def test_stop_closes_the_connection_at_once_and_ends_the_answer_in_flight(feishu_world):
    sim = feishu_world.sim
    bot = feishu_world.robot(feishu_world.agent(hang=True), apologyText="Sorry, I was stopped.")
    feishu_world.start(bot)
    msg = sim.send_message(APP, "hanging")
    wait_until(lambda: sim.cards(msg_id=msg))
    asked = time.time()
    assert feishu_world.supervisor.stop(bot).state == "stopped"
    [connection] = sim.connections(APP)
    assert connection.closed_at is not None and connection.closed_at - asked < 2.0
    assert answer_text(final_card(sim, msg).latest) == "Sorry, I was stopped."
    time.sleep(0.3)  # a robot that had not really stopped would reconnect within its 0.05 s backoff
    assert sim.live_connection_count(APP) == 0 and len(sim.connections(APP)) == 1


def test_refused_credentials_show_an_error_and_back_off(feishu_world):
    sim = feishu_world.sim
    wrong = feishu_world.robot(feishu_world.agent(chunks=["x"]), client_id="cli_two", secret="not-the-secret")
    feishu_world.start(wrong, connected=False)
    status = feishu_world.wait_status(wrong, lambda s: s.state == "error")
    assert status.message == "app credentials refused (code 10014: app secret invalid)"
    assert status.detail["connection"] == "backing_off"
    wait_until(lambda: len([c for c in sim.api_calls(ENDPOINT)]) >= 3)
    sim.register_app("cli_two", "not-the-secret")  # the admin resets the secret on Feishu's side
    feishu_world.wait_status(wrong, lambda s: s.state == "running" and s.detail["connection"] == "connected", timeout=3)


def test_the_tenant_token_is_cached_and_fetched_again_after_feishu_refuses_it(feishu_world):
    sim = feishu_world.sim
    bot = feishu_world.robot(feishu_world.agent(chunks=["ok"]))
    feishu_world.start(bot)
    for i in range(3):
        final_card(sim, sim.send_message(APP, f"cached {i}"))
    assert len(sim.api_calls(TOKEN_PATH)) == 1
    sim.revoke_tokens(APP)
    final_card(sim, sim.send_message(APP, "after revoke"))
    assert len(sim.api_calls(TOKEN_PATH)) == 2
    assert 99991663 in [c.code for c in sim.api_calls("/open-apis/cardkit/v1/cards")]


def test_check_connection_says_ok_refused_or_unreachable(feishu_sim):
    def check(**config):
        return asyncio.run(check_connection({"advanced": {"httpTimeoutSeconds": 2}, **config}))

    good = check(appId=APP, appSecret="demo-feishu-secret", domain=feishu_sim.base_url)
    assert good.ok and good.identity == APP and feishu_sim.base_url in good.message
    bad = check(appId=APP, appSecret="wrong", domain=feishu_sim.base_url)
    assert (bad.ok, bad.step, bad.message) == (False, "credentials", "app credentials refused (code 10014: app secret invalid)")
    gone = check(appId=APP, appSecret="demo-feishu-secret", domain="http://127.0.0.1:9")
    assert (gone.ok, gone.step) == (False, "network") and "cannot connect to 127.0.0.1:9" in gone.message
    assert feishu_sim.connections() == []


def test_a_robot_connects_and_answers_through_an_http_proxy(feishu_world):
    from urllib.parse import urlsplit

    from ..connect_proxy import ConnectProxy

    sim = feishu_world.sim
    with ConnectProxy() as proxy:
        bot = feishu_world.robot(feishu_world.agent(chunks=["proxied"]), proxy=proxy.url)
        feishu_world.start(bot)
        msg = sim.send_message(APP, "via proxy")
        assert answer_text(final_card(sim, msg).latest) == "proxied"
        assert len(proxy.tunnels) >= 2 and set(proxy.tunnels) == {urlsplit(sim.base_url).netloc}  # the API calls and the WebSocket
        feishu_world.supervisor.stop(bot)
