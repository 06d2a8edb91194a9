"""One process vs three replicas on one PostgreSQL database, and the failover time.

    .venv/bin/python bench/replicas.py                       # 300 questions, a 1 s agent
    .venv/bin/python bench/replicas.py --questions 600 --answer-seconds 2

Each scenario is real subprocesses, as deployed: a throwaway PostgreSQL server (Debian's binaries,
scripts/install-postgresql.sh), a standalone `element-studio sim` and N `element-studio run
--database postgresql://...` replicas of one app with one DingTalk robot whose agent streams
its answer over `--answer-seconds`. All questions are sent at once (one conversation each);
the simulator hands each to one of the robot's connections, in turn.

- answers/s: questions / (last answer ended - first question sent), the simulator's clock;
- ACK p50/p99: frame pushed -> the robot's ACK (the robot journals the question first);
- failover (3 replicas, one killed with `kill -9` once half the questions are sent): from the
  kill to the moment live replicas had claimed every answer it had journaled, and to the last of
  those ended (answered again, or the apology); and whether every question still ended exactly
  once (one card, one end).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.postgres import ThrowawayServer  # noqa: E402
from tests.support.replica_cluster import ReplicaCluster, summary, write_app  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def scenario(server: ThrowawayServer, replicas: int, questions: int, answer_seconds: float, kill: bool) -> dict:
    database = server.create_database()
    with tempfile.TemporaryDirectory(prefix="element-studio-replicas-") as folder:
        app_dir = Path(folder)
        answer = write_app(app_dir, answer_seconds)
        engine = create_engine(database.replace("postgresql://", "postgresql+psycopg://"))
        with ReplicaCluster(app_dir, database, count=replicas) as cluster:
            sim = cluster.sim
            asked: dict[str, str] = {}
            first_sent = time.time()
            killed_at, orphaned = 0.0, set()
            for index in range(questions):
                message = sim.send(f"question {index}", f"asker{index}")
                asked[message["msgId"]] = message["conversationId"]
                if kill and index == questions // 2:
                    cluster.kill(replicas - 1)
                    killed_at = time.time()
                    with engine.connect() as conn:
                        orphaned = set(conn.execute(text("SELECT msg_id FROM answer_journal WHERE replica = :r"),
                                                    {"r": cluster.ids[-1]}).scalars())
            claimed_s = None
            if kill:
                def left() -> int:
                    with engine.connect() as conn:
                        return conn.execute(text("SELECT count(*) FROM answer_journal WHERE replica = :r"), {"r": cluster.ids[-1]}).scalar()

                while left():
                    time.sleep(0.05)
                claimed_s = time.time() - killed_at
            found = cluster.ended(asked, answer, timeout=120 + questions * answer_seconds)
            pushed = {m["messageId"]: m["at"] for m in sim.messages()}
            acked: dict[str, float] = {}
            for ack in sim.acks():
                acked.setdefault(ack["messageId"], ack["at"])
            ack_seconds = [acked[m] - at for m, at in pushed.items() if m in acked]
        engine.dispose()
    server.drop_database(database)
    counts = summary(found)
    last_end = max(o.ended_at for o in found.values())
    return {
        "replicas": replicas, "kill": kill, "questions": questions,
        "answers_per_s": questions / (last_end - first_sent),
        "ack_p50_ms": statistics.median(ack_seconds) * 1000, "ack_p99_ms": percentile(ack_seconds, 0.99) * 1000,
        "orphaned": len(orphaned), "claimed_s": claimed_s,
        "failover_s": max((found[m].ended_at for m in orphaned), default=killed_at) - killed_at if kill else None,
        "answered": counts["answered"], "apologised": counts["apologised"],
        "wrong": counts["no end"] + counts["several ends"] + counts["several cards"] + counts["other end"],
    }


def table(rows: list[dict]) -> str:
    lines = ["replicas  kill -9  questions  answers/s  ACK p50 ms  ACK p99 ms  journaled by the killed  claimed after s  all ended after s"
             "  answered  apologised  wrong"]
    for r in rows:
        claimed = f"{r['claimed_s']:15.1f}" if r["claimed_s"] is not None else f"{'-':>15}"
        failover = f"{r['failover_s']:17.1f}" if r["failover_s"] is not None else f"{'-':>17}"
        lines.append(f"{r['replicas']:8}  {'yes' if r['kill'] else 'no':>7}  {r['questions']:9}  {r['answers_per_s']:9.1f}  "
                     f"{r['ack_p50_ms']:10.1f}  {r['ack_p99_ms']:10.1f}  {r['orphaned'] if r['kill'] else '-':>23}  {claimed}  {failover}  "
                     f"{r['answered']:8}  {r['apologised']:10}  {r['wrong']:5}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--answer-seconds", type=float, default=1.0, help="how long the agent takes per answer")
    args = parser.parse_args()
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy", "ELEMENT_STUDIO_DATABASE_URL"):
        os.environ.pop(var, None)
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    server = ThrowawayServer()
    try:
        rows = [scenario(server, 1, args.questions, args.answer_seconds, kill=False),
                scenario(server, 3, args.questions, args.answer_seconds, kill=False),
                scenario(server, 3, args.questions, args.answer_seconds, kill=True)]
    finally:
        server.stop()
    print(f"{args.questions} questions sent at once, agent answers in {args.answer_seconds:g} s, one PostgreSQL database")
    print(table(rows))


if __name__ == "__main__":
    main()
