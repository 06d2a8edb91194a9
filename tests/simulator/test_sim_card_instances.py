"""Card instances (AI cards): create and deliver, update, streaming; the SDK's own AI card runs
against them unmodified, and what DingTalk would refuse is refused."""

from __future__ import annotations

import json

import pytest
import requests
from dingtalk_stream import AIMarkdownCardInstance, ChatbotMessage, card_replier

from element_studio.elements.imRobots.dingTalkStreamType.simulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from element_studio.elements.imRobots.dingTalkStreamType.simulator.cli import is_final_card, render_card
from element_studio.elements.imRobots.dingTalkStreamType.simulator.thread import SimulatorThread

from .conftest import get_token

CREATE_AND_DELIVER = "/v1.0/card/instances/createAndDeliver"
INSTANCES = "/v1.0/card/instances"
STREAMING = "/v1.0/card/streaming"


class SdkClient:
    """What the SDK's card repliers need of a DingTalkStreamClient: a token and the credential."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.credential = type("Credential", (), {"client_id": DEMO_CLIENT_ID})()

    def get_access_token(self) -> str:
        answer = requests.post(self.base_url + "/v1.0/oauth2/accessToken", json={"appKey": DEMO_CLIENT_ID, "appSecret": DEMO_CLIENT_SECRET}, timeout=5)
        return answer.json()["accessToken"]


def test_the_sdks_ai_markdown_card_streams_and_finishes_against_the_simulator(monkeypatch):
    with SimulatorThread() as sim:
        monkeypatch.setattr(card_replier, "DINGTALK_OPENAPI_ENDPOINT", sim.base_url)
        msg_id = sim.send_message(DEMO_CLIENT_ID, "stream to me", conversation_type="2")  # no robot online: it just waits
        incoming = ChatbotMessage.from_dict(sim.messages()[0].data)
        card = AIMarkdownCardInstance(SdkClient(sim.base_url), incoming)
        card.ai_start()
        card.ai_streaming("Hel")
        card.ai_streaming("Hello")
        card.ai_finish("Hello world", button_list=[{"text": "Good", "color": "blue", "id": "good", "request": True}])

        assert all(call.status == 200 for call in sim.api_calls()), sim.api_calls()
        [record] = sim.cards(msg_id=msg_id)
        assert record.card_biz_id == card.card_instance_id and record.conversation_type == "2"
        assert record.card_template_id == "382e4302-551d-4880-bf29-a30acfab2e71.schema"
        assert [v.kind for v in record.versions] == ["create", "update", "stream", "stream", "update"]
        assert [v.card_data["cardParamMap"].get("flowStatus") for v in record.versions] == ["1", "2", "2", "2", "3"]
        assert [v.card_data["cardParamMap"]["msgContent"] for v in record.versions[2:]] == ["Hel", "Hello", "Hello world"]

        sim.press_button(record.card_biz_id, label="Good")  # no robot online: the callback waits for one
        [press] = sim.button_presses()
        assert (press.button_id, press.params) == ("good", {})


def instance_body(track_id: str, **extra) -> dict:
    return {"cardTemplateId": "tpl.schema", "outTrackId": track_id, "cardData": {"cardParamMap": {"flowStatus": "1", "msgContent": ""}},
            "callbackType": "STREAM", "openSpaceId": "dtv1.card//IM_ROBOT.demo-user", "imRobotOpenDeliverModel": {"spaceType": "IM_ROBOT"}, **extra}


async def test_what_dingtalk_refuses_is_refused_and_a_repeated_guid_types_nothing_twice(sim, http):
    headers = {"x-acs-dingtalk-access-token": await get_token(http, sim)}

    async def call(method, path, body):
        async with http.request(method, sim.base_url + path, json=body, headers=headers) as r:
            return r.status, await r.json()

    status, answer = await call("POST", CREATE_AND_DELIVER, instance_body("t1"))
    assert status == 200 and answer["result"]["outTrackId"] == "t1"
    assert (await call("POST", CREATE_AND_DELIVER, instance_body("t1")))[0] == 400  # an outTrackId is used once
    numbers = instance_body("t2", cardData={"cardParamMap": {"flowStatus": 1}})
    assert "strings" in (await call("POST", CREATE_AND_DELIVER, numbers))[1]["message"]
    group = instance_body("t3", openSpaceId="dtv1.card//IM_GROUP.cidX", imGroupOpenDeliverModel={})
    assert "robotCode" in (await call("POST", CREATE_AND_DELIVER, group))[1]["message"]
    assert (await call("PUT", STREAMING, {"outTrackId": "nope", "guid": "g", "key": "msgContent", "content": "x"}))[0] == 400
    assert (await call("PUT", STREAMING, {"outTrackId": "t1", "key": "msgContent", "content": "x"}))[0] == 400  # no guid

    for guid, content, full in (("g1", "Hel", True), ("g2", "lo", False), ("g2", "lo", False)):
        body = {"outTrackId": "t1", "guid": guid, "key": "msgContent", "content": content, "isFull": full, "isFinalize": False, "isError": False}
        assert (await call("PUT", STREAMING, body))[0] == 200
    assert sim.card("t1").latest["cardParamMap"]["msgContent"] == "Hello"
    assert [v.kind for v in sim.card("t1").versions] == ["create", "stream", "stream"]

    by_key = {"outTrackId": "t1", "cardData": {"cardParamMap": {"flowStatus": "3"}}, "cardUpdateOptions": {"updateCardDataByKey": True}}
    assert (await call("PUT", INSTANCES, by_key))[0] == 200
    assert sim.card("t1").latest["cardParamMap"] == {"flowStatus": "3", "msgContent": "Hello"}
    assert (await call("PUT", INSTANCES, {"outTrackId": "t1", "cardData": {"cardParamMap": {"flowStatus": "5"}}}))[0] == 200
    assert sim.card("t1").latest["cardParamMap"] == {"flowStatus": "5"}  # without byKey: replaced whole


async def test_a_card_with_http_callbacks_sends_no_press_over_the_stream(sim, http):
    headers = {"x-acs-dingtalk-access-token": await get_token(http, sim)}
    buttons = json.dumps({"msgButtons": [{"text": "Go", "id": "go", "request": True}]})
    body = instance_body("h1", callbackType="HTTP", cardData={"cardParamMap": {"flowStatus": "3", "sys_full_json_obj": buttons}})
    async with http.post(sim.base_url + CREATE_AND_DELIVER, json=body, headers=headers) as r:
        assert r.status == 200
    with pytest.raises(ValueError, match="callbackType HTTP"):
        await sim.press_button("h1", label="Go")


def test_sim_send_prints_an_ai_cards_state_text_and_buttons_and_knows_when_it_ended():
    buttons = json.dumps({"msgButtons": [{"text": "😊 Helpful", "id": "feedback_helpful", "request": True}]})
    finished = {"cardParamMap": {"flowStatus": "3", "msgContent": "All done.", "sys_full_json_obj": buttons}}
    assert render_card(finished) == "(finished)\nAll done.\n[😊 Helpful]" and is_final_card(finished)
    thinking = {"cardParamMap": {"flowStatus": "1", "msgContent": "Thinking…"}}
    assert render_card(thinking) == "(processing)\nThinking…" and not is_final_card(thinking)
