"""OpenAPI (tokens, cards), session webhooks and card button callbacks."""

from __future__ import annotations

import json

import dingtalk_stream
import pytest

from element_studio.elements.imRobots.dingTalkStreamType.simulator import DEMO_CLIENT_ID, DingTalkSimulator
from element_studio.elements.imRobots.dingTalkStreamType.simulator.frames import TOPIC_CARD_CALLBACK

from .conftest import get_token, standard_card

TOKEN = "/v1.0/oauth2/accessToken"
SEND = "/v1.0/im/v1.0/robot/interactiveCards/send"
UPDATE = "/v1.0/im/robots/interactiveCards"


def card_body(biz: str, card: dict, **target: str) -> dict:
    """A card send body the way the SDK's reply_card builds it."""
    body = {"cardTemplateId": "StandardCard", "robotCode": DEMO_CLIENT_ID, "cardBizId": biz,
            "cardData": json.dumps(card), "sendOptions": {"atAll": False}}
    body.update(target or {"singleChatReceiver": json.dumps({"userId": "demo-user"})})
    return body


async def test_token_wrong_credentials_are_refused(sim, http):
    async with http.post(sim.base_url + TOKEN, json={"appKey": DEMO_CLIENT_ID,
                                                     "appSecret": "nope"}) as r:
        assert r.status == 401
        assert (await r.json())["code"] == "InvalidAuthentication"


async def test_token_lifetime_is_configurable(http):
    async with DingTalkSimulator(token_expire_in=120) as short:
        async with http.post(short.base_url + TOKEN, json={"appKey": DEMO_CLIENT_ID,
                                                           "appSecret": "demo-secret"}) as r:
            assert (await r.json())["expireIn"] == 120


async def test_card_versions_are_recorded_against_the_message(sim, http):
    msg_id = await sim.send_message(DEMO_CLIENT_ID, "hi")  # no robot online: it just waits
    headers = {"x-acs-dingtalk-access-token": await get_token(http, sim)}
    async with http.post(sim.base_url + SEND, json=card_body("biz1", standard_card("Thinking")),
                         headers=headers) as r:
        assert r.status == 200 and (await r.json())["processQueryKey"]
    async with http.put(sim.base_url + UPDATE, headers=headers, json={
            "cardBizId": "biz1", "cardData": json.dumps(standard_card("Done"))}) as r:
        assert r.status == 200 and "processQueryKey" in await r.json()

    [card] = sim.cards(msg_id=msg_id)
    assert card.card_biz_id == "biz1" and card.conversation_type == "1"
    assert card.receiver_user_id == "demo-user"
    assert [v.card_data["contents"][0]["text"] for v in card.versions] == ["Thinking", "Done"]
    assert [v.kind for v in card.versions] == ["send", "update"]
    assert card.versions[0].at <= card.versions[1].at
    assert sim.card_versions("biz1")[-1]["contents"][0]["text"] == "Done"


async def test_group_cards_land_in_the_group_conversation(sim, http):
    msg_id = await sim.send_message(DEMO_CLIENT_ID, "hi", conversation_type="2")
    conversation = sim.recorder.message(msg_id).conversation_id
    headers = {"x-acs-dingtalk-access-token": await get_token(http, sim)}
    async with http.post(sim.base_url + SEND, headers=headers, json=card_body(
            "biz-g", standard_card("x"), openConversationId=conversation)) as r:
        assert r.status == 200
    assert [c.card_biz_id for c in sim.cards(conversation_id=conversation)] == ["biz-g"]


async def test_card_permission_off_gives_403(sim, http):
    await sim.set_card_permission(DEMO_CLIENT_ID, False)
    headers = {"x-acs-dingtalk-access-token": await get_token(http, sim)}
    async with http.post(sim.base_url + SEND, json=card_body("biz2", standard_card("x")),
                         headers=headers) as r:
        assert r.status == 403
        assert "Forbidden" in (await r.json())["code"]
    assert sim.cards() == []


async def test_revoked_token_gets_401_and_a_new_token_works(sim, http):
    old = {"x-acs-dingtalk-access-token": await get_token(http, sim)}
    assert await sim.revoke_tokens(DEMO_CLIENT_ID) == 1
    async with http.post(sim.base_url + SEND, json=card_body("biz3", standard_card("x")),
                         headers=old) as r:
        assert r.status == 401
        assert (await r.json())["code"] == "InvalidAuthentication"
    new = {"x-acs-dingtalk-access-token": await get_token(http, sim)}
    async with http.post(sim.base_url + SEND, json=card_body("biz3", standard_card("x")),
                         headers=new) as r:
        assert r.status == 200
    assert [c.status for c in sim.api_calls(SEND)] == [401, 200]


async def test_card_calls_need_a_token_and_a_known_card(sim, http):
    async with http.post(sim.base_url + SEND, json=card_body("b", standard_card("x"))) as r:
        assert r.status == 401
    headers = {"x-acs-dingtalk-access-token": await get_token(http, sim)}
    async with http.put(sim.base_url + UPDATE, headers=headers, json={
            "cardBizId": "never-sent", "cardData": json.dumps(standard_card("x"))}) as r:
        assert r.status == 400
    async with http.post(sim.base_url + "/v1.0/card/templates", headers=headers, json={}) as r:
        assert r.status == 404 and "does not implement" in (await r.json())["message"]


async def test_webhook_reply_is_recorded_and_expired_session_refused(sim, connect, http):
    client = await connect()
    msg_id = await sim.send_message(DEMO_CLIENT_ID, "hi")
    webhook = json.loads((await client.recv_frame())["data"])["sessionWebhook"]

    reply = {"msgtype": "markdown", "markdown": {"title": "t", "text": "**hello**"},
             "at": {"atUserIds": ["demo-user"]}}
    async with http.post(webhook, json=reply) as r:
        assert r.status == 200 and await r.json() == {"errcode": 0, "errmsg": "ok"}
    [recorded] = sim.webhook_replies(msg_id=msg_id)
    assert recorded.msgtype == "markdown" and recorded.text == "**hello**"

    assert await sim.expire_session(msg_id)
    async with http.post(webhook, json={"msgtype": "text", "text": {"content": "late"}}) as r:
        assert r.status == 200
        assert await r.json() == {"errcode": 300001, "errmsg": "session 不存在"}


async def test_webhook_refuses_a_malformed_message(sim, connect, http):
    client = await connect()
    await sim.send_message(DEMO_CLIENT_ID, "hi")
    webhook = json.loads((await client.recv_frame())["data"])["sessionWebhook"]
    async with http.post(webhook, json={"msgtype": "text", "text": {}}) as r:
        assert (await r.json())["errcode"] == 40035


async def test_button_press_sends_a_card_callback_the_sdk_parses(sim, connect, http):
    client = await connect()
    msg_id = await sim.send_message(DEMO_CLIENT_ID, "hi", sender_staff_id="staff7")
    await client.ack(await client.recv_frame())
    headers = {"x-acs-dingtalk-access-token": await get_token(http, sim)}
    value = {"action": "feedback", "type": "helpful", "message_id": msg_id}
    card = standard_card("Answer", [("button_helpful_1", "Helpful", value),
                                    ("button_unhelpful_1", "Not Helpful", {"type": "unhelpful"})])
    async with http.post(sim.base_url + SEND, headers=headers, json=card_body(
            "biz-btn", card, singleChatReceiver=json.dumps({"userId": "staff7"}))) as r:
        assert r.status == 200

    message_id = await sim.press_button("biz-btn", label="Helpful")
    frame = await client.recv_topic(TOPIC_CARD_CALLBACK)
    assert frame["headers"]["messageId"] == message_id
    callback = dingtalk_stream.CallbackMessage.from_dict(frame)
    pressed = dingtalk_stream.CardCallbackMessage.from_dict(callback.data)
    assert pressed.card_instance_id == "biz-btn"
    assert pressed.user_id == "staff7"
    assert pressed.corp_id == sim.apps.get(DEMO_CLIENT_ID).corp_id
    assert pressed.content == {"cardPrivateData": {"actionIds": ["button_helpful_1"],
                                                   "params": value}}
    assert pressed.extension == {}
    assert callback.data["spaceType"] == "IM_ROBOT" and callback.data["userIdType"] == 1

    await sim.press_button("biz-btn", button_id="button_unhelpful_1", user_id="staff8")
    second = dingtalk_stream.CardCallbackMessage.from_dict(
        json.loads((await client.recv_topic(TOPIC_CARD_CALLBACK))["data"]))
    assert second.user_id == "staff8" and second.content["cardPrivateData"]["params"] == {
        "type": "unhelpful"}


async def test_pressing_what_is_not_there_is_an_error(sim, http):
    headers = {"x-acs-dingtalk-access-token": await get_token(http, sim)}
    link = standard_card("x")
    link["contents"].append({"type": "action", "actions": [
        {"type": "button", "id": "open", "label": {"text": "Open"}, "actionType": "openLink",
         "url": {"all": "https://example.invalid"}}]})
    async with http.post(sim.base_url + SEND, json=card_body("b", link), headers=headers) as r:
        assert r.status == 200
    with pytest.raises(KeyError):
        await sim.press_button("unknown-card", label="Helpful")
    with pytest.raises(ValueError, match="no button"):
        await sim.press_button("b", label="Helpful")
    with pytest.raises(ValueError, match="opens a link"):
        await sim.press_button("b", label="Open")
