"""Replicas: every `run`/`serve` process on the same database and app folder is one replica of
one cluster. The database is the truth, no other coordination service:

- each replica has a row it rewrites every HEARTBEAT_SECONDS; one not rewritten for
  EXPIRY_SECONDS is dead (its single-owner instances are taken over, and work it left
  unfinished, such as an answer journal's rows, can be claimed by a live replica);
- a Type whose platform needs one connection per app (`cluster_mode` ONE_OWNER, the default)
  runs on the replica holding its lease; every change of owner raises the lease's fencing
  generation, and an owner that finds its lease gone stops at once;
- start, stop and restart are commands in `desired_state`, numbered so every replica applies
  each once; on PostgreSQL a NOTIFY wakes the replicas early, otherwise they look every second.

Every method blocks on the database: the supervisor calls them through `asyncio.to_thread`.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import case, delete, func, or_, select, update

from .cluster_tables import desired_state, instance_leases, replicas
from .storage import Storage

HEARTBEAT_SECONDS = 1.0
EXPIRY_SECONDS = 5.0
FORGET_DEAD_AFTER = 600.0  # a dead replica's row stays this long, for the editor's cluster view
CHANNEL = "element_studio_desired"
START, STOP, RESTART = "start", "stop", "restart"
IN_FLIGHT_DETAIL = "answersInFlight"  # the status detail the cluster view adds up per replica

log = logging.getLogger("element_studio.cluster")


class ClusterMode(StrEnum):
    """What a Type's platform allows when several replicas run the same app (hook `cluster_mode`)."""

    EVERY_REPLICA = "every_replica"  # several connections share one app; the platform hands each event to one
    ONE_OWNER = "one_owner"  # one connection per app: one replica runs the instance, another takes over


@dataclass(frozen=True)
class Replica:
    """One replica as the cluster view shows it."""

    id: str
    host: str
    pid: int
    started_at: float
    heartbeat_at: float
    running: dict[str, dict[str, Any]]
    alive: bool
    this: bool

    @property
    def answers_in_flight(self) -> int:
        return sum(int(item.get(IN_FLIGHT_DETAIL) or 0) for item in self.running.values())


@dataclass(frozen=True)
class Lease:
    owner: str
    generation: int
    renewed_at: float


@dataclass(frozen=True)
class Command:
    action: str  # START, STOP or RESTART
    version: int


@dataclass
class Cluster:
    """This process as one replica of the app's cluster."""

    storage: Callable[[], Storage]
    expiry: float = EXPIRY_SECONDS
    replica_id: str = field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}")
    started_at: float = field(default_factory=time.time)
    touched: bool = False  # whether this replica wrote anything (then `leave` cleans up)
    _live: tuple[float, frozenset[str]] | None = field(default=None, repr=False)  # (monotonic time, ids) of the last heartbeat

    def _connect(self):
        self.touched = True
        return self.storage().connect()

    # heartbeat ---------------------------------------------------------------------------
    def heartbeat(self, running: dict[str, dict[str, Any]]) -> dict[str, Lease]:
        """Say this replica is alive and what it runs; renew its leases; returns every lease."""
        now = time.time()
        storage = self.storage()
        with self._connect() as conn:
            values = {"heartbeat_at": now, "running": json.dumps(running, sort_keys=True)}
            written = conn.execute(update(replicas).where(replicas.c.id == self.replica_id).values(values)).rowcount
            if not written:
                conn.execute(storage.insert_new(replicas).values(id=self.replica_id, host=socket.gethostname(), pid=os.getpid(),
                                                                 started_at=self.started_at, **values))
            conn.execute(update(instance_leases).where(instance_leases.c.owner == self.replica_id).values(renewed_at=now))
            conn.execute(delete(replicas).where(replicas.c.heartbeat_at < now - FORGET_DEAD_AFTER))
            rows = conn.execute(select(instance_leases)).all()
            live = conn.execute(select(replicas.c.id).where(replicas.c.heartbeat_at >= now - self.expiry)).scalars().all()
        self._live = (time.monotonic(), frozenset(live))
        return {row.instance: Lease(row.owner, row.generation, row.renewed_at) for row in rows}

    def leave(self) -> None:
        """A clean exit: give up every lease now (another replica takes over at its next beat)."""
        if not self.touched:
            return
        with self._connect() as conn:
            conn.execute(delete(instance_leases).where(instance_leases.c.owner == self.replica_id))
            conn.execute(delete(replicas).where(replicas.c.id == self.replica_id))

    def replicas(self) -> list[Replica]:
        """Every replica seen in the last FORGET_DEAD_AFTER seconds, this one first."""
        now = time.time()
        with self.storage().connect() as conn:
            rows = conn.execute(select(replicas).order_by(replicas.c.started_at)).all()
        found = [Replica(row.id, row.host, row.pid, row.started_at, row.heartbeat_at, json.loads(row.running or "{}"),
                         row.heartbeat_at >= now - self.expiry, row.id == self.replica_id) for row in rows]
        return sorted(found, key=lambda r: not r.this)

    def live_replicas(self, fresh: bool = False) -> set[str]:
        """Ids of the replicas whose heartbeat is fresh: work owned by any other replica is orphaned.

        As this replica's last heartbeat saw them (at most HEARTBEAT_SECONDS old: a service may
        look every second without a query), or read now when `fresh` or no heartbeat ran lately:
        read fresh before taking another replica's work."""
        if not fresh and self._live is not None and time.monotonic() - self._live[0] < 2 * HEARTBEAT_SECONDS:
            return set(self._live[1])
        with self.storage().connect() as conn:
            live = set(conn.execute(select(replicas.c.id).where(replicas.c.heartbeat_at >= time.time() - self.expiry)).scalars())
        self._live = (time.monotonic(), frozenset(live))  # 1,000 robots asking in the same second read it once
        return live

    # leases ------------------------------------------------------------------------------
    def acquire(self, instance: str) -> int | None:
        """Take the instance's lease when it is free, expired or already ours; returns its
        fencing generation, or None while another live replica holds it."""
        now = time.time()
        storage = self.storage()
        with self._connect() as conn:
            if conn.execute(storage.insert_new(instance_leases).values(instance=instance, owner=self.replica_id, generation=1,
                                                                       renewed_at=now)).first():
                return 1
            mine = instance_leases.c.owner == self.replica_id
            taken = conn.execute(
                update(instance_leases)
                .where(instance_leases.c.instance == instance, or_(mine, instance_leases.c.renewed_at < now - self.expiry))
                .values(owner=self.replica_id, renewed_at=now,
                        generation=case((mine, instance_leases.c.generation), else_=instance_leases.c.generation + 1))
                .returning(instance_leases.c.generation)).first()
            return taken.generation if taken else None

    def release(self, instance: str) -> None:
        with self._connect() as conn:
            conn.execute(delete(instance_leases).where(instance_leases.c.instance == instance,
                                                       instance_leases.c.owner == self.replica_id))

    def owns(self, instance: str, generation: int | None = None) -> bool:
        """Whether this replica still holds the instance's lease (at `generation`): check it
        before a side effect only the owner may cause."""
        with self.storage().connect() as conn:
            row = conn.execute(select(instance_leases).where(instance_leases.c.instance == instance)).first()
        return bool(row) and row.owner == self.replica_id and generation in (None, row.generation)

    # desired state -----------------------------------------------------------------------
    def command(self, instance: str, action: str) -> int:
        """Record an operator's start, stop or restart for every replica; returns its number."""
        now = time.time()
        storage = self.storage()
        with self._connect() as conn:
            conn.execute(storage.insert_new(desired_state).values(instance=instance, action=action, version=0, changed_at=now,
                                                                  changed_by=self.replica_id))
            version = conn.execute(
                update(desired_state).where(desired_state.c.instance == instance)
                .values(action=action, version=desired_state.c.version + 1, changed_at=now, changed_by=self.replica_id)
                .returning(desired_state.c.version)).scalar_one()
            if storage.dialect == "postgresql":
                conn.execute(select(func.pg_notify(CHANNEL, instance)))
        return version

    def commands(self) -> dict[str, Command]:
        """The last command per instance."""
        with self._connect() as conn:
            rows = conn.execute(select(desired_state.c.instance, desired_state.c.action, desired_state.c.version)).all()
        return {row.instance: Command(row.action, row.version) for row in rows}


class Wakeup:
    """On PostgreSQL: a thread LISTENing for commands, calling `wake` as soon as one is recorded,
    so replicas apply it well before their next look at the table."""

    def __init__(self, storage: Storage, wake: Callable[[], None]) -> None:
        self._conninfo = storage.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._wake = wake
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._listen, name="element-studio-listen", daemon=True)
        self._thread.start()

    def _listen(self) -> None:
        import psycopg

        while not self._stopping.is_set():
            try:
                with psycopg.connect(self._conninfo, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    while not self._stopping.is_set():
                        for _ in conn.notifies(timeout=0.5, stop_after=1):
                            self._wake()
            except psycopg.Error as exc:
                log.warning("listening for commands failed (polling the table meanwhile): %s", type(exc).__name__)
                self._stopping.wait(HEARTBEAT_SECONDS)

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(2.0)
