"""The answer journal, the API call count and the batched writes on both engines: a later attempt
updates the journal row, one replica wins a claim, counts add up across saves, and a failing
write in a batch fails alone."""
from __future__ import annotations

import asyncio
import dataclasses
from concurrent.futures import ThreadPoolExecutor

from element_studio.elements.imRobots.Meta import answer_journal as journal
from element_studio.elements.imRobots.Meta.api_usage import ApiUsage, add_calls, stored_calls
from element_studio.elements.imRobots.Meta.batched_writes import BatchedWrites
from element_studio.elements.imRobots.Meta.incoming import TEXT, Incoming
from element_studio.elements.imRobots.Meta.answering import _begin_all
from element_studio.elements.imRobots.Meta.message_log import log_received, outcomes
from element_studio.runtime.app import App

ROBOT = "imRobots.bot"
ASKED = Incoming(msg_id="m1", kind=TEXT, question="Où est ma carte ?", msgtype="text", conversation_id="cid", in_group=True,
                 sender="staff1", sender_name="Zoë", reply_to={"webhook": "w"}, reply_until=1_900_000_000.0)


def test_a_journal_row_is_begun_attempted_again_claimed_by_one_live_replica_when_its_own_dies_and_ended(app_dir, database):
    storage = App(app_dir, database_url=database).storage
    journal.begin_all(storage, [journal.Beginning(ROBOT, "replica-a", ASKED, '{"webhook": "w"}', "card-1")])
    journal.begin_again(storage, ROBOT, "replica-a", "m1", "card-1")
    [entry] = journal.unfinished(storage, ROBOT, lambda text: text)
    assert (entry.incoming, entry.card_id, entry.replica, entry.attempts) == (
        dataclasses.replace(ASKED, reply_to='{"webhook": "w"}'), "card-1", "replica-a", 2)

    journal.begin_all(storage, [journal.Beginning(ROBOT, "replica-c", dataclasses.replace(ASKED, msg_id="m2"), '{"webhook": "w"}', "card-3")])
    assert journal.claim_orphans(storage, {ROBOT: str}, {"replica-a", "replica-b", "replica-c"}, "replica-b") == {}  # all alive
    journal.begin_all(storage, [journal.Beginning("imRobots.other", "replica-a", ASKED, "{}", "card-9")])
    claimed = journal.claim_orphans(storage, {ROBOT: str, "imRobots.other": str}, {"replica-b", "replica-c"}, "replica-b")  # a died
    assert [(e.incoming.msg_id, e.replica, e.card_id) for e in claimed[ROBOT]] == [("m1", "replica-b", "card-1")]
    assert [e.card_id for e in claimed["imRobots.other"]] == ["card-9"]  # every robot of the process in one UPDATE
    assert journal.claim_orphans(storage, {ROBOT: str}, {"replica-b", "replica-c"}, "replica-c") == {}  # b was first
    journal.end(storage, ROBOT, "m2")
    journal.set_card(storage, ROBOT, "m1", "card-2")
    [entry] = journal.unfinished(storage, ROBOT, lambda text: text)
    assert (entry.replica, entry.card_id) == ("replica-b", "card-2")
    journal.end(storage, ROBOT, "m1")
    assert journal.unfinished(storage, ROBOT, lambda text: text) == []


def test_api_calls_add_up_per_app_and_month(app_dir, database):
    storage = App(app_dir, database_url=database).storage
    assert add_calls(storage, "dingone", "2026-11", 3) == 3
    assert add_calls(storage, "dingone", "2026-11", 4) == 7  # the total, other replicas' calls included
    add_calls(storage, "dingone", "2026-12", 1)
    assert (stored_calls(storage, "dingone", "2026-11"), stored_calls(storage, "dingone", "2026-12"),
            stored_calls(storage, "dingtwo", "2026-11")) == (7, 1, 0)


def test_a_new_month_starts_from_zero_and_the_old_months_calls_are_kept(app_dir, database):
    storage = App(app_dir, database_url=database).storage
    now = [1_796_083_199.0]  # 2026-11-30 23:59:59 UTC

    async def over_midnight():
        usage = ApiUsage(storage, "dingmonth", clock=lambda: now[0])
        usage.count(3)
        before = usage.calls
        now[0] += 2.0  # 2026-12-01 00:00:01
        after = usage.calls
        usage.count()
        await usage.save()
        return before, after, usage.calls

    assert asyncio.run(over_midnight()) == (3, 0, 1)
    assert (stored_calls(storage, "dingmonth", "2026-11"), stored_calls(storage, "dingmonth", "2026-12")) == (3, 1)


def test_a_failing_write_in_a_batch_fails_alone(app_dir, database):
    storage = App(app_dir, database_url=database).storage

    def broken(batch):
        with batch.connect() as conn:
            conn.exec_driver_sql("INSERT INTO no_such_table VALUES (1)")

    async def three_writes():
        writes = BatchedWrites(storage)
        return await asyncio.gather(writes.write(lambda batch: add_calls(batch, "dingone", "2026-11", 2)), writes.write(broken),
                                    writes.write(lambda batch: add_calls(batch, "dingone", "2026-11", 5)), return_exceptions=True)

    first, second, third = asyncio.run(three_writes())
    assert (first, third) == (2, 7) and isinstance(second, Exception)
    assert stored_calls(storage, "dingone", "2026-11") == 7


def test_a_batch_with_a_message_logged_twice_keeps_the_first_and_every_other_write(app_dir, database):
    storage = App(app_dir, database_url=database).storage

    async def batch():
        writes = BatchedWrites(storage)
        return await asyncio.gather(
            writes.write(lambda batch: log_received(batch, ROBOT, ASKED)),
            writes.write(lambda batch: log_received(batch, ROBOT, dataclasses.replace(ASKED, question="again"))),
            writes.write(lambda batch: add_calls(batch, "dingone", "2026-11", 2)))

    assert asyncio.run(batch()) == [True, False, 2]
    assert outcomes(storage, ROBOT, ["m1"])["m1"].outcome == "answering"
    assert stored_calls(storage, "dingone", "2026-11") == 2


def test_replicas_claiming_a_dead_replicas_answers_at_the_same_time_take_each_exactly_once(app_dir, database):
    storage = App(app_dir, database_url=database).storage
    for index in range(50):
        journal.begin_all(storage, [journal.Beginning(ROBOT, "replica-dead", dataclasses.replace(ASKED, msg_id=f"m{index}"), "{}", f"card-{index}")])
    live = {f"replica-{index}" for index in range(4)}
    with ThreadPoolExecutor(4) as pool:
        claims = list(pool.map(lambda me: journal.claim_orphans(storage, {ROBOT: str}, live, me), sorted(live)))
    taken = [entry.incoming.msg_id for claimed in claims for entry in claimed.get(ROBOT, [])]
    assert sorted(taken) == sorted(f"m{index}" for index in range(50))  # every answer once, none twice
    assert {entry.replica for entry in journal.unfinished(storage, ROBOT, str)} <= live


def test_questions_of_many_robots_are_logged_and_journaled_together_and_a_repeat_is_refused(app_dir, database):
    storage = App(app_dir, database_url=database).storage
    calls = []

    def begin_all(batch, beginnings):
        calls.append(len(beginnings))
        return _begin_all(batch, beginnings)

    def beginning(robot, msg_id):
        return journal.Beginning(robot, "replica-a", dataclasses.replace(ASKED, msg_id=msg_id), "{}", f"card-{msg_id}")

    async def burst():
        writes = BatchedWrites(storage)
        return await asyncio.gather(*(writes.write_together(begin_all, beginning(f"imRobots.r{n}", f"m{n}")) for n in range(50)),
                                    writes.write_together(begin_all, beginning("imRobots.r7", "m7")),  # the same message again
                                    writes.write(lambda batch: add_calls(batch, "dingone", "2026-11", 2)))

    *begun, again, counted = asyncio.run(burst())
    assert begun == [True] * 50 and again is False and counted == 2
    assert sum(calls) == 51 and max(calls) >= 25  # what arrived while a batch was written went in one statement
    assert [e.card_id for e in journal.unfinished(storage, "imRobots.r7", str)] == ["card-m7"]
    assert outcomes(storage, "imRobots.r49", ["m49"])["m49"].outcome == "answering"


def test_a_write_together_that_fails_fails_its_items_and_no_other_write(app_dir, database):
    storage = App(app_dir, database_url=database).storage

    def broken(batch, items):
        raise RuntimeError("disk full")

    async def batch():
        writes = BatchedWrites(storage)
        return await asyncio.gather(writes.write_together(broken, 1), writes.write_together(broken, 2),
                                    writes.write(lambda batch: add_calls(batch, "dingone", "2026-11", 3)), return_exceptions=True)

    first, second, counted = asyncio.run(batch())
    assert isinstance(first, RuntimeError) and isinstance(second, RuntimeError) and counted == 3
    assert stored_calls(storage, "dingone", "2026-11") == 3
