"""Fixtures for the simulator's tests: a simulator on the test's loop and bare stream clients.

The clients here speak the wire protocol by hand (aiohttp + websockets) so a test controls
exactly when it ACKs, how it pings, and when it hangs up; the unmodified SDK is exercised
separately in a subprocess (test_sim_sdk.py).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, AsyncIterator, Awaitable, Callable
from urllib.parse import quote_plus

import aiohttp
import pytest
import websockets

from element_studio.elements.imRobots.dingTalkStreamType.simulator import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DingTalkSimulator
from element_studio.elements.imRobots.dingTalkStreamType.simulator.frames import TOPIC_CARD_CALLBACK, TOPIC_ROBOT_MESSAGE

ALL_TOPICS = [{"type": "CALLBACK", "topic": TOPIC_ROBOT_MESSAGE},
              {"type": "CALLBACK", "topic": TOPIC_CARD_CALLBACK}]


class StreamTestClient:
    """One stream connection opened the way the SDK opens it, driven by the test."""

    def __init__(self, base_url: str, client_id: str = DEMO_CLIENT_ID,
                 client_secret: str = DEMO_CLIENT_SECRET,
                 subscriptions: list[dict[str, str]] | None = None) -> None:
        self.base_url = base_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.subscriptions = ALL_TOPICS if subscriptions is None else subscriptions
        self.ws: websockets.ClientConnection | None = None

    async def open(self, **ws_options: Any) -> StreamTestClient:
        """POST the open-connection request, then connect to the endpoint with the ticket."""
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{self.base_url}/v1.0/gateway/connections/open", json={
                "clientId": self.client_id, "clientSecret": self.client_secret,
                "subscriptions": self.subscriptions, "ua": "tests/1.0", "localIp": "127.0.0.1",
            }) as response:
                assert response.status == 200, await response.text()
                opened = await response.json()
        uri = f"{opened['endpoint']}?ticket={quote_plus(opened['ticket'])}"
        self.ws = await websockets.connect(uri, proxy=None, **ws_options)
        return self

    async def recv_frame(self, timeout: float = 3.0) -> dict[str, Any]:
        """The next server frame (raises TimeoutError when none comes)."""
        assert self.ws is not None
        return json.loads(await asyncio.wait_for(self.ws.recv(), timeout))

    async def recv_topic(self, topic: str, timeout: float = 3.0) -> dict[str, Any]:
        """The next frame on a topic, skipping others."""
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.recv_frame(timeout)
                if frame["headers"]["topic"] == topic:
                    return frame

    async def ack(self, frame: dict[str, Any], code: int = 200, response: Any = None) -> None:
        """Answer a frame the way the SDK's CallbackHandler does."""
        assert self.ws is not None
        await self.ws.send(json.dumps({
            "code": code,
            "headers": {"messageId": frame["headers"]["messageId"],
                        "contentType": "application/json"},
            "message": "",
            "data": json.dumps({"response": response}),
        }))

    async def close(self) -> None:
        """Close cleanly if still open."""
        if self.ws is not None:
            await self.ws.close()


@pytest.fixture
async def sim() -> AsyncIterator[DingTalkSimulator]:
    """A running simulator with the demo app and a short redelivery time."""
    async with DingTalkSimulator(redeliver_after=0.3, max_deliveries=4) as simulator:
        yield simulator


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client (no proxies: aiohttp ignores the environment by default)."""
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def connect(sim: DingTalkSimulator) -> AsyncIterator[Callable[..., Awaitable[StreamTestClient]]]:
    """``await connect(**ws_options)``: an open stream client of the demo app, closed after."""
    clients: list[StreamTestClient] = []

    async def open_client(subscriptions: list[dict[str, str]] | None = None,
                          **ws_options: Any) -> StreamTestClient:
        client = StreamTestClient(sim.base_url, subscriptions=subscriptions)
        clients.append(client)
        return await client.open(**ws_options)

    yield open_client
    for client in clients:
        try:
            await asyncio.wait_for(client.close(), 2)
        except (asyncio.TimeoutError, websockets.ConnectionClosed, OSError):
            pass


async def get_token(http: aiohttp.ClientSession, sim: DingTalkSimulator) -> str:
    """A fresh access token of the demo app."""
    async with http.post(f"{sim.base_url}/v1.0/oauth2/accessToken",
                         json={"appKey": DEMO_CLIENT_ID, "appSecret": DEMO_CLIENT_SECRET}) as r:
        assert r.status == 200
        return (await r.json())["accessToken"]


def standard_card(text: str, buttons: list[tuple[str, str, dict[str, Any]]] = ()) -> dict[str, Any]:
    """A StandardCard like our robot sends: a markdown block, then (id, label, value) buttons."""
    contents: list[dict[str, Any]] = [{"type": "markdown", "text": text, "id": "answer_1"}]
    if buttons:
        contents.append({"type": "action", "id": "action_1", "actions": [
            {"type": "button", "label": {"type": "text", "text": label, "id": f"text_{bid}"},
             "actionType": "request", "status": "normal", "id": bid, "value": json.dumps(value)}
            for bid, label, value in buttons]})
    return {"config": {"autoLayout": True, "enableForward": True},
            "header": {"title": {"type": "text", "text": "Question"}}, "contents": contents}


@pytest.fixture
async def card_robot(sim: DingTalkSimulator, http: aiohttp.ClientSession):
    """Start a minimal robot: ACK, "thinking" card, final card with two feedback buttons."""
    tasks: list[asyncio.Task[None]] = []
    state: dict[str, Any] = {"presses": []}

    async def run(client: StreamTestClient) -> None:
        token = await get_token(http, sim)
        headers = {"x-acs-dingtalk-access-token": token}
        while True:
            frame = await client.recv_frame(timeout=60)
            await client.ack(frame)
            data = json.loads(frame["data"])
            if frame["headers"]["topic"] == TOPIC_CARD_CALLBACK:
                state["presses"].append(data)
                continue
            if frame["headers"]["topic"] != TOPIC_ROBOT_MESSAGE:
                continue
            biz = "card-" + data["msgId"]
            question = data["text"]["content"].strip()
            body = {"cardTemplateId": "StandardCard", "robotCode": DEMO_CLIENT_ID,
                    "cardBizId": biz, "cardData": json.dumps(standard_card("Thinking...")),
                    "sendOptions": {}, "singleChatReceiver": json.dumps(
                        {"userId": data["senderStaffId"]})}
            async with http.post(f"{sim.base_url}/v1.0/im/v1.0/robot/interactiveCards/send",
                                 json=body, headers=headers) as r:
                assert r.status == 200
            final = standard_card(f"Answer to {question}", [
                ("btn_up", "Helpful", {"type": "helpful", "message_id": data["msgId"]}),
                ("btn_down", "Not Helpful", {"type": "unhelpful", "message_id": data["msgId"]})])
            async with http.put(f"{sim.base_url}/v1.0/im/robots/interactiveCards",
                                json={"cardBizId": biz, "cardData": json.dumps(final)},
                                headers=headers) as r:
                assert r.status == 200

    async def start() -> dict[str, Any]:
        client = await StreamTestClient(sim.base_url).open()
        tasks.append(asyncio.create_task(run(client)))
        state["client"] = client
        return state

    yield start
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    if "client" in state:
        try:
            await asyncio.wait_for(state["client"].close(), 2)
        except (asyncio.TimeoutError, websockets.ConnectionClosed, OSError):
            pass
