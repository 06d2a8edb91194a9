"""The runtime's own tables: the replicas of one app on one database, who owns which
single-owner instance, and which instances the operators want running.

The database is the truth; a replica only ever acts on what these rows say.
"""
from __future__ import annotations

from sqlalchemy import Column, Float, Integer, MetaData, Table, Text

from .storage import Migrations

metadata = MetaData()

# One row per live (or recently dead) replica, rewritten by its heartbeat.
replicas = Table(
    "replicas", metadata,
    Column("id", Text, primary_key=True),  # random per process start
    Column("host", Text, nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", Float, nullable=False),
    Column("heartbeat_at", Float, nullable=False),
    Column("running", Text, nullable=False, default="{}"),  # JSON: fullName -> {"state", "answersInFlight"}
)

# One row per single-owner instance that some replica runs: the lease with its fencing generation.
instance_leases = Table(
    "instance_leases", metadata,
    Column("instance", Text, primary_key=True),
    Column("owner", Text, nullable=False),  # replicas.id
    Column("generation", Integer, nullable=False),  # +1 on every change of owner
    Column("renewed_at", Float, nullable=False),
)

# The operators' last command per instance (start, stop, restart), numbered so every replica
# applies each command once.
desired_state = Table(
    "desired_state", metadata,
    Column("instance", Text, primary_key=True),
    Column("action", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("changed_at", Float, nullable=False),
    Column("changed_by", Text, nullable=False),  # the replica that took the command
)

migrations = Migrations(metadata)
