"""The flag service: every write goes through here to the store, and the in-memory snapshot
that serves evaluations is brought in step with what was committed.

Writes are serialized by one lock per process, so the checks made against the snapshot
(prerequisite cycles, segments in use) see the state the write will land on.

With several replicas (or `--workers`) on one database, each process has its own lock and
snapshot, kept in step by `vexil.bus.Replicator` (`on_commit` announces this process's writes,
`sync_from_store`/`resync` apply the others'). A flag's read-modify-write stays atomic (the store
locks its row, and `expected_version` catches a stale client), but checks that span several flags
see this replica's snapshot, which lags the others by the propagation delay: two replicas that,
within those milliseconds, make `a` require `b` and `b` require `a` both succeed, and so may a
delete of a flag that another replica just made a prerequisite. Evaluation stays safe (a cycle or a
missing prerequisite makes the dependent flag fail closed, reason `prerequisite_failed`), and the
next write to either flag is checked against the whole, by then consistent, graph.
"""

from __future__ import annotations

from vexil.core._collector import collector_paused
from vexil.core._environment_writes import EnvironmentWrites
from vexil.core._import_writes import ImportWrites, prepare_import
from vexil.core._replica_sync import ReplicaSync
from vexil.core._schedule_writes import ScheduleWrites
from vexil.core._segment_writes import SegmentWrites
from vexil.core._service_base import Committed, flag_from_input
from vexil.core._token_writes import TokenWrites

__all__ = ["Committed", "FlagService", "collector_paused", "flag_from_input", "prepare_import"]


class FlagService(ScheduleWrites, SegmentWrites, EnvironmentWrites, TokenWrites, ImportWrites, ReplicaSync):
    """Every write, its checks, and the snapshot kept in step, joined from its parts over
    `ServiceBase` (`_service_base.py`): flags (`_flag_writes.py`), change requests
    (`_request_writes.py`), schedules and release plans (`_schedule_writes.py`), segments
    (`_segment_writes.py`), environments (`_environment_writes.py`), tokens (`_token_writes.py`),
    imports (`_import_writes.py`) and other replicas' writes (`_replica_sync.py`).

    >>> service = FlagService(store, TokenCache())
    >>> await service.load()
    >>> await service.create_flag({"name": "new_checkout"}, actor="admin")
    """
