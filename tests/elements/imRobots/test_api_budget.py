"""The API budget: one rate limit per DingTalk app, this month's calls counted, kept and shown,
and `monthlyApiBudget` changing how a robot answers (and saying so in its log)."""
from __future__ import annotations

import time

import pytest

from element_studio.elements.imRobots.Meta.api_budget import AnswerForm, answer_form
from element_studio.elements.imRobots.Meta.api_usage import month_of
from element_studio.elements.imRobots.dingTalkStreamType.rate_limit import AppRateLimit, of_app
from element_studio.elements.imRobots.dingTalkStreamType.simulator.frames import iter_buttons
from tests.elements.imRobots.test_answers import final_of
from tests.support.waiting import wait_until


def test_the_rate_limit_lets_20_calls_of_an_api_through_each_second_and_is_one_per_app():
    now = [100.0]
    limit = AppRateLimit(clock=lambda: now[0])
    assert [limit.reserve("update card") for _ in range(20)] == [0.0] * 20
    assert limit.reserve("update card") == pytest.approx(1.0)  # the 21st waits for the first to leave the window
    assert limit.reserve("send card") == 0.0  # each API has its own 20
    now[0] += 1.5
    assert limit.reserve("update card") == pytest.approx(0.0)
    assert of_app("dingshared") is of_app("dingshared") and of_app("dingshared") is not of_app("dingother")


def test_an_organisation_that_allows_more_calls_a_second_gets_them(world):
    bot = world.robot(world.agent(chunks=["fast"]), client_id="dingforty", apiCallsPerSecond=40)  # an app no other test calls for
    world.start(bot, connected=False)
    limit = of_app("dingforty")
    assert [limit.reserve("send card") for _ in range(40)] == [0.0] * 40  # a professional edition's 40, not 20
    assert limit.reserve("send card") > 0.9
    assert of_app("dingforty", 20) is limit and limit.reserve("update card") == 0.0  # the robot started last sets it
    assert [limit.reserve("update card") for _ in range(19)] == [0.0] * 19 and limit.reserve("update card") > 0.9


def test_a_moment_given_back_is_taken_again_where_every_window_keeps_to_the_limit():
    now = [100.0]
    limit = AppRateLimit(per_window=2, clock=lambda: now[0])
    assert [limit.reserve("send card") for _ in range(4)] == [0.0, 0.0, 1.0, 1.0]
    now[0] += 1.0
    limit._give_back("send card", 101.0)  # a call held at its turn
    now[0] += 0.2
    assert limit.reserve("send card") == 0.0  # it comes back: [100.2, 101.2] has one call
    assert limit.reserve("send card") == pytest.approx(0.8)  # 101 and 101.2 fill the window up to 102
    assert [limit.reserve("update card") for _ in range(4)] == [0.0, 0.0, pytest.approx(1.0), pytest.approx(1.0)]
    limit._give_back("update card", 102.2)
    assert limit.reserve("update card") == pytest.approx(1.0)  # the next call takes the moment given back


def test_streaming_updates_leave_room_for_the_final_cards_that_young_cards_owe():
    now = [100.0]
    limit = AppRateLimit(per_window=3, clock=lambda: now[0])
    limit.owe("update card", "a")
    limit.owe("update card", "b")
    assert limit.reserve_now("update card")  # 1 streaming update + 2 owed finals fill the window
    assert not limit.reserve_now("update card")  # the finals keep their room
    assert limit.reserve("update card") == 0.0  # a final takes its turn at once
    now[0] += 1.5  # the window passed; the cards are 1.5 s old: their answers may still end any moment
    assert limit.reserve_now("update card") and not limit.reserve_now("update card")
    now[0] += 1.0  # 2.5 s old: long answers, which stream as room allows
    assert [limit.reserve_now("update card") for _ in range(4)] == [True, True, True, False]
    limit.settle("update card", "a")
    assert not limit.reserve_now("send card", "update card")  # all or nothing:
    assert [limit.reserve_now("send card") for _ in range(4)] == [True, True, True, False]  # the refused pair took none


def test_cards_that_wait_for_their_turn_go_out_with_the_whole_answer_in_one_call(world):
    sim = world.sim
    sim.register_app("dingtwopersec", "two-secret")
    chunks = ["w0 ", "w1 ", "w2"]
    answer = "".join(chunks)
    bot = world.robot(world.agent(chunks=chunks, delaySeconds=0.05), client_id="dingtwopersec", secret="two-secret",
                      apiCallsPerSecond=2, updateEveryChunks=1)
    world.start(bot)
    asked = [sim.send_message("dingtwopersec", f"question {i}", sender_staff_id=f"asker{i}") for i in range(5)]
    for msg in asked:
        world.wait_log(bot, f"answered msgId {msg}", timeout=10)
    cards = [sim.cards(msg_id=msg)[0] for msg in asked]
    first_ones = [c for c in cards if [v.kind for v in c.versions] == ["send", "update"]]
    waited = [c for c in cards if [v.kind for v in c.versions] == ["send"]]
    assert len(first_ones) == 2 and len(waited) == 3, [[v.kind for v in c.versions] for c in cards]
    for card in cards:  # thinking, no streaming update while the app's 2 calls a second are owed to the finals
        final = card.versions[-1].card_data
        assert final["contents"][0]["text"] == answer and iter_buttons(final)
    for card in first_ones:
        assert card.versions[0].card_data["contents"][0]["text"] != answer
    assert not sim.webhook_replies()  # one copy of each answer
    sends = sorted(c.at for c in sim.api_calls() if c.client_id == "dingtwopersec" and c.path.endswith("/interactiveCards/send"))
    assert all(later - earlier >= 0.99 for earlier, later in zip(sends, sends[2:]))  # never 3 within a second


def test_a_card_whose_turn_comes_just_before_its_answer_ends_waits_for_it_and_goes_out_finished(world):
    sim = world.sim
    sim.register_app("dingonepersec", "one-secret")
    bot = world.robot(world.agent(chunks=["slow ", "answer"], delaySeconds=0.6), client_id="dingonepersec", secret="one-secret",
                      apiCallsPerSecond=1)
    world.start(bot)
    first, second = (sim.send_message("dingonepersec", f"question {i}", sender_staff_id=f"asker{i}") for i in range(2))
    world.wait_log(bot, f"answered msgId {second}", timeout=10)
    [early], [late] = sim.cards(msg_id=first), sim.cards(msg_id=second)
    assert [v.kind for v in early.versions] == ["send", "update"]  # its turn came at once: thinking, then the answer
    [sent] = late.versions  # its turn came after a second, 0.2 s before its answer ended: one call, finished
    assert sent.card_data["contents"][0]["text"] == "slow answer" and iter_buttons(sent.card_data)
    assert sent.at - early.versions[0].at >= 0.99


def test_answer_forms_by_budget_share():
    assert answer_form(True, 0, 10**6) is AnswerForm.STREAMING  # no budget
    assert [answer_form(True, 100, calls) for calls in (69, 70, 89, 90, 150)] == [
        AnswerForm.STREAMING, AnswerForm.THINKING_AND_FINAL, AnswerForm.THINKING_AND_FINAL, AnswerForm.WEBHOOK, AnswerForm.WEBHOOK]
    assert answer_form(False, 0, 0) is AnswerForm.WEBHOOK  # markdown robots never use cards


def stored_calls(world, client_id="dingdemo"):
    rows = world.rows("SELECT calls FROM api_usage WHERE app_id = ? AND month = ?", client_id, month_of(time.time()))
    return rows[0]["calls"] if rows else 0


def test_this_months_calls_are_counted_shown_on_the_robot_and_kept_across_a_restart(world):
    sim = world.sim
    bot = world.robot(world.agent(chunks=["one", "two"]))
    world.start(bot)
    msg = sim.send_message("dingdemo", "count me")
    final_of(sim, sim.wait_for_card(msg).card_biz_id)
    world.wait_log(bot, f"answered msgId {msg}")
    made = len([c for c in sim.api_calls() if c.client_id == "dingdemo" and "/gateway/" not in c.path])  # token, send, update
    assert made >= 3
    assert world.wait_status(bot, lambda s: s.detail["apiCallsThisMonth"] == made).detail["answerForm"] == "streaming card"
    world.supervisor.stop(bot)
    assert stored_calls(world) == made
    world.start(bot)
    assert world.status(bot).detail["apiCallsThisMonth"] >= made  # read back from the database


def test_as_the_budget_runs_out_cards_stop_streaming_then_answers_go_through_the_webhook(world):
    sim = world.sim
    world.execute("INSERT INTO api_usage (app_id, month, calls) VALUES (?, ?, ?)", "dingdemo", month_of(time.time()), 84)
    bot = world.robot(world.agent(chunks=[f"w{i} " for i in range(10)]), monthlyApiBudget=100, updateEveryChunks=1)
    world.start(bot)
    cards_seen, webhook_at = [], None
    for i in range(6):
        msg = sim.send_message("dingdemo", f"question {i}")
        reply = wait_until(lambda: sim.webhook_replies(msg_id=msg) or sim.cards(msg_id=msg))
        if sim.webhook_replies(msg_id=msg):
            webhook_at = i
            assert reply[0].body["markdown"]["text"] == "".join(f"w{i} " for i in range(10))
            break
        final_of(sim, reply[0].card_biz_id)
        cards_seen.append(len(sim.card_versions(reply[0].card_biz_id)))
        world.wait_log(bot, f"answered msgId {msg}")
    assert webhook_at is not None and cards_seen and set(cards_seen) == {2}  # thinking + final only, then the webhook
    logs = world.logs(bot)
    fewer = next(m for m in logs if "answering with thinking + final card now (was streaming card)" in m)
    assert "of the 100 API calls of this month's budget used" in fewer and "from 70%" in fewer
    assert any("answering with webhook reply now (was thinking + final card)" in m and "from 90%" in m for m in logs)
    assert world.status(bot).detail["answerForm"] == "webhook reply"
