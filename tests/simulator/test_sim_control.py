"""The control API and the ``element-studio sim`` command, as another process uses them."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import pytest

from element_studio.elements.imRobots.dingTalkStreamType.simulator import DEMO_CLIENT_ID, cli

CONTROL_JSON = {"Content-Type": "application/json"}


async def test_control_api_round_trip(sim, http, card_robot):
    robot = await card_robot()
    base = sim.base_url + "/_sim"

    async with http.get(base + "/apps") as r:
        [app] = await r.json()
    assert app == {"clientId": DEMO_CLIENT_ID, "robotName": "Demo Robot",
                   "cardPermission": True, "liveConnections": 1}

    async with http.post(base + "/messages", json={"clientId": DEMO_CLIENT_ID, "text": "hi"}) as r:
        sent = await r.json()
    msg_id = sent["msgId"]
    await sim.wait_for(lambda: sim.cards(msg_id=msg_id) and
                       len(sim.cards(msg_id=msg_id)[0].versions) == 2)

    async with http.get(base + "/cards", params={"msgId": msg_id}) as r:
        [card] = await r.json()
    assert card["conversationId"] == sent["conversationId"]
    assert [v["cardData"]["contents"][0]["text"] for v in card["versions"]] == [
        "Thinking...", "Answer to hi"]

    async with http.post(base + "/buttons", json={"cardBizId": card["cardBizId"],
                                                  "label": "Not Helpful"}) as r:
        assert r.status == 200
    await sim.wait_for(lambda: robot["presses"])
    assert robot["presses"][0]["outTrackId"] == card["cardBizId"]

    async with http.get(base + "/acks", params={"clientId": DEMO_CLIENT_ID}) as r:
        assert len(await r.json()) >= 2  # the message and the button press
    async with http.get(base + "/messages") as r:
        assert [m["msgId"] for m in await r.json()] == [msg_id]

    async with http.post(base + f"/connections/{DEMO_CLIENT_ID}/drop", json={}) as r:
        assert (await r.json())["count"] == 1
    await sim.wait_for(lambda: sim.live_connection_count(DEMO_CLIENT_ID) == 0)
    async with http.get(base + "/connections") as r:
        [connection] = await r.json()
    assert connection["closedBy"] == "drop" and connection["live"] is False


async def test_control_api_refuses_bad_requests(sim, http):
    base = sim.base_url + "/_sim"
    async with http.post(base + "/messages", data='{"clientId": "dingdemo", "text": "x"}',
                         headers={"Content-Type": "text/plain"}) as r:
        assert r.status == 415  # a web page cannot drive the simulator with a simple form
    async with http.post(base + "/messages", json={"clientId": "nobody", "text": "x"}) as r:
        assert r.status == 404 and "nobody" in (await r.json())["error"]
    async with http.post(base + "/messages", json={"clientId": DEMO_CLIENT_ID}) as r:
        assert r.status == 400 and "text" in (await r.json())["error"]
    async with http.get(base + "/") as r:
        routes = (await r.json())["routes"]
    assert any("/_sim/buttons" in line for line in routes)


async def test_control_api_switches(sim, http, connect):
    base = sim.base_url + "/_sim"
    async with http.post(base + "/apps", json={"clientId": "dingother",
                                               "clientSecret": "other-secret"}) as r:
        assert r.status == 200
    assert sim.apps.authenticate("dingother", "other-secret") is not None
    async with http.post(base + f"/apps/{DEMO_CLIENT_ID}/card-permission",
                         json={"allowed": False}) as r:
        assert r.status == 200
    assert sim.apps.get(DEMO_CLIENT_ID).card_permission is False

    client = await connect()
    async with http.post(base + f"/connections/{DEMO_CLIENT_ID}/ping", json={}) as r:
        assert len((await r.json())["messageIds"]) == 1
    assert (await client.recv_frame())["headers"]["topic"] == "ping"
    async with http.post(base + f"/connections/{DEMO_CLIENT_ID}/freeze", json={}) as r:
        assert (await r.json())["count"] == 1
    assert sim.connections()[0].frozen
    await sim.freeze(DEMO_CLIENT_ID, False)
    async with http.post(base + "/tokens/revoke", json={}) as r:
        assert (await r.json())["count"] == 0


async def test_cli_send_prints_the_final_card(sim, card_robot, capsys):
    await card_robot()
    status = await asyncio.to_thread(cli.main, [
        "send", "--url", sim.base_url, "--client-id", DEMO_CLIENT_ID, "--wait", "10",
        "what is Element Studio?"])
    out = capsys.readouterr().out
    assert status == 0
    assert "Thinking..." in out
    assert "Answer to what is Element Studio?" in out
    assert "[Helpful]  [Not Helpful]" in out


async def test_cli_send_without_an_answer_fails(sim, capsys):
    status = await asyncio.to_thread(cli.main, [
        "send", "--url", sim.base_url, "--wait", "0.5", "anyone?"])
    captured = capsys.readouterr()
    assert status == 1
    assert "no robot is connected" in captured.err and "no answer" in captured.err


def test_cli_help_lists_the_send_command(capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["--help"])
    assert done.value.code == 0
    assert "send" in capsys.readouterr().out


def test_foreground_simulator_prints_how_to_use_it_and_stops_on_ctrl_c():
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "element_studio", "sim", "--port", "0"], env=env,
                            text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        lines = [proc.stdout.readline() for _ in range(9)]
        assert lines[0].startswith("DingTalk simulator listening on http://127.0.0.1:")
        base_url = lines[0].split()[-1]
        text = "".join(lines)
        assert "clientId:     dingdemo" in text and "clientSecret: demo-secret" in text
        assert f"export DINGTALK_OPENAPI_ENDPOINT={base_url}" in text
        assert cli.ControlClient(base_url).get("/apps")[0]["clientId"] == DEMO_CLIENT_ID
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
