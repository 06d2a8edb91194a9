"""The stream gateway: login, frames the SDK can parse, ACKs, redelivery, drop, freeze."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import quote_plus

import dingtalk_stream
import pytest
import websockets

from element_studio.elements.imRobots.dingTalkStreamType.simulator import DEMO_CLIENT_ID
from element_studio.elements.imRobots.dingTalkStreamType.simulator.frames import TOPIC_ROBOT_MESSAGE

OPEN = "/v1.0/gateway/connections/open"


async def test_wrong_credentials_get_a_dingtalk_style_401(sim, http):
    async with http.post(sim.base_url + OPEN, json={
            "clientId": DEMO_CLIENT_ID, "clientSecret": "not-the-secret",
            "subscriptions": [], "ua": "t", "localIp": ""}) as response:
        assert response.status == 401
        assert response.content_type == "application/json"
        body = await response.json()
    assert body["code"] == "InvalidAuthentication"
    assert body["message"] and body["requestid"]
    assert sim.connections() == []


async def test_a_ticket_opens_one_connection_only(sim, http):
    async with http.post(sim.base_url + OPEN, json={
            "clientId": DEMO_CLIENT_ID, "clientSecret": "demo-secret",
            "subscriptions": [{"type": "CALLBACK", "topic": TOPIC_ROBOT_MESSAGE}]}) as response:
        opened = await response.json()
    assert opened["endpoint"] == f"ws://127.0.0.1:{sim.port}/connect"
    uri = f"{opened['endpoint']}?ticket={quote_plus(opened['ticket'])}"
    async with websockets.connect(uri, proxy=None):
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(uri, proxy=None)
        assert refused.value.response.status_code == 401
    assert len(sim.connections()) == 1


async def test_group_message_parses_with_the_sdk_like_real_dingtalk(sim, connect):
    client = await connect()
    msg_id = await sim.send_message(DEMO_CLIENT_ID, "what is new?", conversation_type="2",
                                    sender_nick="Li Lei", sender_staff_id="staff42",
                                    conversation_title="Team")
    frame = await client.recv_frame()

    callback = dingtalk_stream.CallbackMessage.from_dict(frame)
    assert callback.headers.topic == dingtalk_stream.ChatbotMessage.TOPIC
    assert callback.headers.app_id == DEMO_CLIENT_ID
    assert callback.headers.connection_id == sim.connections()[0].connection_id
    assert callback.headers.time > 0  # a millisecond string the SDK int()s
    message = dingtalk_stream.ChatbotMessage.from_dict(callback.data)
    assert message.message_id == msg_id
    assert message.text.content == " what is new?"  # the @mention's space stays, as in DingTalk
    assert message.conversation_type == "2" and message.conversation_title == "Team"
    assert message.sender_nick == "Li Lei" and message.sender_staff_id == "staff42"
    assert message.is_in_at_list is True and len(message.at_users) == 1
    assert message.robot_code == DEMO_CLIENT_ID
    assert message.session_webhook.startswith(sim.base_url + "/robot/sendBySession?session=")
    assert message.session_webhook_expired_time > message.create_at


async def test_non_text_messages_parse_with_the_sdk(sim, connect):
    client = await connect()
    await sim.send_message(DEMO_CLIENT_ID, "", msgtype="picture")
    picture = dingtalk_stream.ChatbotMessage.from_dict(json.loads((await client.recv_frame())["data"]))
    assert picture.message_type == "picture" and picture.get_image_list()[0].startswith("sim-dl-")

    await sim.send_message(DEMO_CLIENT_ID, "see the chart", msgtype="richText")
    rich = dingtalk_stream.ChatbotMessage.from_dict(json.loads((await client.recv_frame())["data"]))
    assert rich.get_text_list() == ["see the chart"]


async def test_unacked_message_is_redelivered_with_the_same_ids(sim, connect):
    client = await connect()
    msg_id = await sim.send_message(DEMO_CLIENT_ID, "hello")
    first = await client.recv_frame()
    again = await client.recv_frame(timeout=2)  # redeliver_after is 0.3 s in the fixture

    assert again["headers"]["messageId"] == first["headers"]["messageId"]
    assert json.loads(again["data"])["msgId"] == json.loads(first["data"])["msgId"] == msg_id
    await client.ack(again)
    await sim.wait_for(lambda: sim.acked(msg_id))
    with pytest.raises(TimeoutError):  # acked now: no third delivery
        await client.recv_frame(timeout=1.0)
    assert len(sim.deliveries_of(msg_id)) == 2


async def test_acked_message_is_not_redelivered(sim, connect):
    client = await connect()
    msg_id = await sim.send_message(DEMO_CLIENT_ID, "hello")
    await client.ack(await client.recv_frame(), response={"ok": True})
    with pytest.raises(TimeoutError):
        await client.recv_frame(timeout=1.0)
    assert len(sim.deliveries_of(msg_id)) == 1
    ack = sim.acks(DEMO_CLIENT_ID)[0]
    assert ack.code == 200 and ack.data == {"response": {"ok": True}}


async def test_redelivery_gives_up_after_max_deliveries(sim, connect):
    client = await connect()
    msg_id = await sim.send_message(DEMO_CLIENT_ID, "nobody answers")
    for _ in range(4):  # max_deliveries=4 in the fixture
        await client.recv_frame(timeout=2)
    with pytest.raises(TimeoutError):
        await client.recv_frame(timeout=0.8)
    message = sim.recorder.message(msg_id)
    assert sim.delivery_state(message.message_id).gave_up


async def test_forced_redelivery_reaches_the_robot_even_after_an_ack(sim, connect):
    client = await connect()
    msg_id = await sim.send_message(DEMO_CLIENT_ID, "hello")
    first = await client.recv_frame()
    await client.ack(first)
    assert await sim.redeliver(msg_id)
    again = await client.recv_frame()
    assert again["headers"]["messageId"] == first["headers"]["messageId"]
    assert sim.deliveries_of(msg_id)[-1].redelivery


async def test_message_sent_while_offline_arrives_when_the_robot_connects(sim, connect):
    msg_id = await sim.send_message(DEMO_CLIENT_ID, "are you there?")
    client = await connect()
    frame = await client.recv_frame()
    assert json.loads(frame["data"])["msgId"] == msg_id


async def test_frames_go_only_to_subscribed_topics(sim, connect):
    client = await connect(subscriptions=[{"type": "EVENT", "topic": "*"}])
    await sim.send_message(DEMO_CLIENT_ID, "not subscribed")
    await sim.send_event(DEMO_CLIENT_ID, "chat_update_title", {"title": "new"})
    frame = await client.recv_frame()
    event = dingtalk_stream.EventMessage.from_dict(frame)
    assert event.headers.event_type == "chat_update_title" and event.data == {"title": "new"}
    await client.ack(frame)
    with pytest.raises(TimeoutError):  # the robot message waits for a subscriber
        await client.recv_frame(timeout=0.5)


async def test_system_ping_is_acked_with_its_opaque_echoed(sim, connect):
    client = await connect()
    [message_id] = await sim.ping(DEMO_CLIENT_ID)
    frame = await client.recv_frame()
    ping = dingtalk_stream.SystemMessage.from_dict(frame)
    assert ping.headers.topic == "ping" and "opaque" in ping.data
    await client.ws.send(json.dumps({"code": 200, "headers": frame["headers"], "message": "OK",
                                     "data": frame["data"]}))
    await sim.wait_for(lambda: sim.acks(message_id=message_id))
    assert sim.acks(message_id=message_id)[0].data == ping.data


async def test_system_disconnect_then_close(sim, connect):
    client = await connect()
    await sim.send_system_disconnect(DEMO_CLIENT_ID, close_after=0.2)
    frame = await client.recv_frame()
    assert frame["type"] == "SYSTEM" and frame["headers"]["topic"] == "disconnect"
    await asyncio.wait_for(client.ws.wait_closed(), 3)
    assert client.ws.close_code == 1000
    record = sim.connections()[0]
    assert not record.live and record.closed_by == "server"


async def test_drop_closes_abruptly_and_the_message_follows_the_reconnect(sim, connect):
    client = await connect()
    msg_id = await sim.send_message(DEMO_CLIENT_ID, "hello")
    await client.recv_frame()  # not ACKed
    assert await sim.drop_connection(DEMO_CLIENT_ID) == 1
    with pytest.raises(websockets.ConnectionClosedError) as closed:
        await client.recv_frame()
    assert closed.value.rcvd is None  # no close frame: the client sees 1006
    await sim.wait_for(lambda: sim.live_connection_count(DEMO_CLIENT_ID) == 0)
    assert sim.connections()[0].closed_by == "drop"

    second = await connect()
    frame = await second.recv_frame(timeout=2)
    assert json.loads(frame["data"])["msgId"] == msg_id
    assert sim.max_live_connections(DEMO_CLIENT_ID) == 1


async def test_frozen_connection_goes_silent_and_stops_answering_pings(sim, connect):
    client = await connect(ping_interval=0.2, ping_timeout=0.4, close_timeout=0.3)
    await asyncio.wait_for(await client.ws.ping(), 1)  # alive: pings are answered
    assert await sim.freeze(DEMO_CLIENT_ID) == 1
    msg_id = await sim.send_message(DEMO_CLIENT_ID, "into the void")

    with pytest.raises(websockets.ConnectionClosedError):  # keepalive ping timeout
        await client.recv_frame(timeout=3)
    assert sim.deliveries_of(msg_id) == []  # nothing went out on the frozen socket

    fresh = await connect()  # a new connection is not frozen and gets the message
    frame = await fresh.recv_frame(timeout=2)
    assert json.loads(frame["data"])["msgId"] == msg_id
    await sim.wait_for(lambda: sim.live_connection_count(DEMO_CLIENT_ID) == 1, timeout=3)


async def test_an_app_with_three_connections_gets_each_message_on_one_of_them_taken_in_turn(sim, connect):
    clients = [await connect() for _ in range(3)]
    msg_ids = [await sim.send_message(DEMO_CLIENT_ID, f"question {i}") for i in range(12)]
    received: dict[int, list[str]] = {index: [] for index in range(3)}
    for index, client in enumerate(clients):
        for _ in range(4):
            frame = await client.recv_frame()
            await client.ack(frame)
            received[index].append(json.loads(frame["data"])["msgId"])
    for client in clients:  # ACKed: nothing more arrives anywhere
        with pytest.raises(TimeoutError):
            await client.recv_frame(timeout=0.5)
    assert sorted(sum(received.values(), [])) == sorted(msg_ids)  # each message on exactly one connection
    assert all(len(got) == 4 for got in received.values())
