"""Logs: per robot, with connect and answer timings, and never a secret, ticket or access token."""
from __future__ import annotations

from element_studio.elements.imRobots.dingTalkStreamType.openapi import DingTalkApi
from element_studio.runtime.logs import ring_buffer

from .test_answers import final_of


def test_no_secret_ticket_or_access_token_reaches_any_log_line(world, monkeypatch):
    sim = world.sim
    seen: list[str] = []
    open_stream, fetch_token = DingTalkApi.open_stream, DingTalkApi._fetch_token

    async def recording_open(self, *args):
        endpoint, ticket = await open_stream(self, *args)
        seen.append(ticket)
        return endpoint, ticket

    async def recording_token(self):
        token, expires = await fetch_token(self)
        seen.append(token)
        return token, expires

    monkeypatch.setattr(DingTalkApi, "open_stream", recording_open)
    monkeypatch.setattr(DingTalkApi, "_fetch_token", recording_token)
    agent = world.agent(chunks=["part "], raiseAfter=1)
    good = world.robot(agent)
    refused = world.robot(agent, client_id="dingtwo", secret="wrong-secret-value")
    world.start(good)
    world.start(refused, connected=False)
    final_of(sim, sim.wait_for_card(sim.send_message("dingdemo", "first")).card_biz_id)
    sim.revoke_tokens()
    sim.drop_connection("dingdemo")
    world.wait_status(good, lambda s: s.detail["reconnects"] == 1 and s.detail["connection"] == "connected")
    final_of(sim, sim.wait_for_card(sim.send_message("dingdemo", "second")).card_biz_id)
    world.wait_status(refused, lambda s: s.state == "error")
    world.supervisor.restart(good)
    world.wait_status(good, lambda s: s.detail.get("connection") == "connected")
    world.supervisor.stop(refused)

    assert len(seen) >= 5  # 3 tickets of the good robot, 2+ access tokens (first, after the 401, after the restart)
    secrets = [*seen, "demo-secret", "wrong-secret-value"]
    lines = [e.message for name in (good, refused) for e in ring_buffer().recent(name)] + [e.message for e in ring_buffer().recent("")]
    assert any("connected to DingTalk in" in line for line in world.logs(good))
    assert any(line.startswith("answered msgId") or "ended (failed)" in line for line in world.logs(good))
    assert any("credentials refused (HTTP 401" in line for line in world.logs(refused))
    leaks = [line for line in lines for secret in secrets if secret in line]
    assert leaks == []
    statuses = [world.status(good), world.status(refused)]
    assert not [s for s in statuses for secret in secrets if secret in repr(s)]
