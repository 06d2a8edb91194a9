"""The faults an independent DingTalk emulator found, each reproduced against the simulator:
a 503 on the final card, a gateway that answers no ping, a flapping link, an unreachable proxy,
an oversize frame, a lone surrogate, a 200,000-character question, a sender without a staff id."""
from __future__ import annotations

import re
import socket

from element_studio.elements.imRobots.dingTalkStreamType.simulator.frames import TOPIC_ROBOT_MESSAGE, iter_buttons
from tests.elements.imRobots.test_answers import final_of
from tests.support.waiting import wait_until


def test_a_503_on_the_final_card_is_sent_again_and_the_answer_is_shown_once(world):
    sim = world.sim
    bot = world.robot(world.agent(chunks=["the ", "answer"]), maxCardUpdates=1)  # the final card is the only update
    world.start(bot)
    sim.fail_card_updates("dingdemo", 1)
    msg = sim.send_message("dingdemo", "one 503 please")
    final = final_of(sim, sim.wait_for_card(msg).card_biz_id)
    assert final["contents"][0]["text"] == "the answer" and iter_buttons(final)
    assert "final card for msgId %s failed (update card: HTTP 503" % msg in world.wait_log(bot, "sending it again in 0.5 s")
    world.wait_log(bot, f"answered msgId {msg}")
    assert sim.webhook_replies(msg_id=msg) == []  # no markdown copy


def test_a_final_card_that_keeps_failing_goes_out_once_as_markdown(world):
    sim = world.sim
    bot = world.robot(world.agent(chunks=["only ", "once"]), maxCardUpdates=1)
    world.start(bot)
    sim.fail_card_updates("dingdemo", 4)  # the first try and its three retries
    msg = sim.send_message("dingdemo", "503 forever")
    reply = sim.wait_for_reply(msg, timeout=8)
    assert reply.body["markdown"]["text"] == "only once"
    world.wait_log(bot, f"answered msgId {msg}")
    assert len(sim.webhook_replies(msg_id=msg)) == 1
    assert [v["contents"][0]["text"] for v in sim.card_versions(sim.wait_for_card(msg).card_biz_id)] == ["Thinking…"]


def test_a_gateway_that_keeps_sending_frames_but_answers_no_ping_is_found_dead(world):
    sim = world.sim
    bot = world.robot(world.agent(chunks=["ok"]))  # heartbeat 0.6 s: the pong must come within 0.3 s of a ping
    world.start(bot)
    sim.ignore_pings("dingdemo")

    def reconnected_while_frames_flow():
        sim.ping("dingdemo")  # a SYSTEM frame: before, any frame counted as a sign of life
        status = world.status(bot)
        return status.detail["reconnects"] == 1 and status.detail["connection"] == "connected"

    wait_until(reconnected_while_frames_flow, timeout=4, interval=0.1, message=lambda: str(world.status(bot)))
    assert "no pong within 0.3 s of a ping" in world.status(bot).detail["lastError"]


def test_the_backoff_starts_again_once_a_connection_delivered_a_frame(world):
    sim = world.sim
    bot = world.robot(world.agent(chunks=["ok"]), advanced={"reconnectMinSeconds": 0.2, "reconnectMaxSeconds": 5, "heartbeatSeconds": 20})
    world.start(bot)

    def drop_and_reconnect(times: int) -> None:
        for _ in range(times):
            reconnects = world.status(bot).detail["reconnects"]
            sim.drop_connection("dingdemo")
            world.wait_status(bot, lambda s: s.detail["reconnects"] == reconnects + 1 and s.detail["connection"] == "connected")

    def delays() -> list[float]:
        return [float(d) for line in world.logs(bot) for d in re.findall(r"retrying in ([\d.]+) s", line)]

    drop_and_reconnect(3)  # links that deliver nothing: 0.2, 0.4, 0.8 s
    assert delays()[-1] >= 0.6
    sim.ping("dingdemo")
    wait_until(lambda: sim.acks("dingdemo"), message="the ping frame was never ACKed")
    drop_and_reconnect(1)
    assert delays()[-1] <= 0.25  # the first delay again (0.2 s, jittered)


def test_an_unreachable_proxy_is_one_line_a_network_error(world):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    bot = world.robot(world.agent(chunks=["ok"]), proxy=f"socks5://127.0.0.1:{port}")
    world.start(bot, connected=False)
    line = world.wait_log(bot, "retrying in")
    assert line.startswith(f"open connection: proxy: [Errno 111] Couldn't connect to proxy 127.0.0.1:{port}")
    assert "\n" not in line and not any("unexpected" in m or "Traceback" in m for m in world.logs(bot))
    assert world.status(bot).detail["lastError"] == line.split("; retrying")[0]


def test_an_oversize_frame_is_refused_once_and_later_questions_are_answered(world):
    sim = world.sim
    # heartbeat 5 s: the pong queues behind 17 MB of frame, longer than the tests' usual 0.3 s
    bot = world.robot(world.agent(chunks=["still here"]), advanced={"heartbeatSeconds": 5, "reconnectMinSeconds": 0.05})
    world.start(bot)
    huge = sim.push_callback("dingdemo", TOPIC_ROBOT_MESSAGE, {"msgId": "huge", "msgtype": "text", "text": {"content": "x" * (17 << 20)}})
    ack = wait_until(lambda: sim.acks(message_id=huge), timeout=10)[0]  # one per delivery: the test redelivers after 0.5 s
    assert (ack.code, ack.message) == (400, "frame too large")
    msg = sim.send_message("dingdemo", "after the big one")
    final_of(sim, sim.wait_for_card(msg).card_biz_id)
    assert sim.delivery_state(huge).acked and world.status(bot).detail["reconnects"] == 0  # not resent on every connect
    assert len(sim.acks(message_id=huge)) == len(sim.deliveries_of(huge))  # each copy answered (the test's redelivery is 0.5 s)
    assert re.match(rf"refused a frame of 178\d{{5}} characters \(over the 16777216 limit\): messageId {huge}$",
                    world.wait_log(bot, "over the 16777216 limit"))


def test_a_lone_surrogate_is_answered_and_stored(world):
    sim = world.sim
    bot = world.robot(world.agent(chunks=["echo: {question}"]))
    world.start(bot)
    msg = sim.send_message("dingdemo", "why \ud800 this?")
    final = final_of(sim, sim.wait_for_card(msg).card_biz_id)
    assert final["contents"][0]["text"] == "echo: why \ufffd this?"
    [row] = wait_until(lambda: world.rows("SELECT * FROM message_log WHERE msg_id = ? AND outcome = 'answered'", msg))
    assert row["question"] == "why \ufffd this?"


def test_a_question_over_the_length_cap_gets_the_polite_reply_and_never_reaches_the_agent(world):
    sim = world.sim
    bot = world.robot(world.agent(chunks=["never"]), maxQuestionChars=1000, questionTooLongText="Too long, sorry.")
    world.start(bot)
    msg = sim.send_message("dingdemo", "word " * 40_000)
    assert sim.wait_for_reply(msg).body == {"msgtype": "text", "text": {"content": "Too long, sorry."}}
    [row] = wait_until(lambda: world.rows("SELECT * FROM message_log WHERE msg_id = ?", msg))
    assert (row["outcome"], len(row["question"])) == ("too_long", 1000)
    assert sim.cards() == []
    assert "has 199999 chars, over maxQuestionChars 1000" in world.wait_log(bot, "told the sender")


def test_a_single_chat_sender_without_a_staff_id_is_answered_through_the_session_webhook(world):
    sim = world.sim
    bot = world.robot(world.agent(chunks=["hello ", "outsider"]))
    world.start(bot)
    msg = sim.send_message("dingdemo", "I have no staff id", sender_staff_id="")
    reply = sim.wait_for_reply(msg)
    assert reply.body["markdown"]["text"] == "hello outsider" and "at" not in reply.body
    assert sim.cards() == []
    assert "no staff id" in world.wait_log(bot, "with markdown instead")
