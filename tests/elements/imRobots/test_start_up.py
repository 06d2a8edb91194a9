"""Starting many robots: each fetches its access token a moment after connecting (not while the
others still connect), or at its first answer when that comes first."""
from __future__ import annotations

from element_studio.elements.imRobots.dingTalkStreamType import robot as robot_module
from element_studio.elements.imRobots.dingTalkStreamType.simulator.openapi import TOKEN_PATH
from tests.support.waiting import wait_until

from .test_answers import final_of


def tokens_of(sim, client_id: str) -> int:
    return len([call for call in sim.api_calls(TOKEN_PATH) if call.client_id == client_id])


def test_a_robot_fetches_its_access_token_soon_after_connecting_without_a_question(world, monkeypatch):
    monkeypatch.setattr(robot_module, "TOKEN_WARM_AFTER", 0.2)
    bot = world.robot(world.agent(chunks=["ok"]))
    world.start(bot)
    wait_until(lambda: tokens_of(world.sim, "dingdemo") == 1, timeout=3, message="no access token fetched after connecting")
    card = world.sim.wait_for_card(world.sim.send_message("dingdemo", "first question"))
    final_of(world.sim, card.card_biz_id)
    assert tokens_of(world.sim, "dingdemo") == 1  # the first answer used the token fetched before


def test_a_question_before_the_token_is_warmed_fetches_it_once_for_both(world, monkeypatch):
    monkeypatch.setattr(robot_module, "TOKEN_WARM_AFTER", 0.5)
    bot = world.robot(world.agent(chunks=["ok"]))
    world.start(bot)
    card = world.sim.wait_for_card(world.sim.send_message("dingdemo", "right after connecting"))
    final_of(world.sim, card.card_biz_id)
    warming = world.supervisor.app.getElement(bot)._warming
    wait_until(lambda: warming.done(), timeout=3, message="the token warm-up never ended")
    assert tokens_of(world.sim, "dingdemo") == 1  # the warm-up found the answer's token fresh
