"""Persistence: flags, environments, segments, tokens and the audit log.

>>> from vexil.store import SqlStore, sqlite_url
>>> store = await SqlStore.open(sqlite_url(Path("vexil-data")))  # or a postgresql:// URL
"""

from __future__ import annotations

from vexil.store._change_requests import Step
from vexil.store._docs import FLAG_KEYS, OVERRIDE_KEYS, format_time, utcnow
from vexil.store._engine import sqlite_url
from vexil.store._environments import check_known
from vexil.store._files import private_directory
from vexil.store._flag_writer import By
from vexil.store._queries import check_version
from vexil.store._sdks import merge_usage
from vexil.store._state import MAX_APPROVALS
from vexil.store._usage import UsageRow
from vexil.store._values import MAX_DEPTH, check_text, document_problem, scalar_problem, text_problem
from vexil.store._versions import StoredVersions, differing
from vexil.store.errors import Conflict, InvalidValue, NotFound, StoreError, StoreUnavailable
from vexil.store.migrate import migrate
from vexil.store.sql import DEFAULT_ENVIRONMENTS, SqlStore

__all__ = [
    "DEFAULT_ENVIRONMENTS",
    "FLAG_KEYS",
    "MAX_APPROVALS",
    "MAX_DEPTH",
    "OVERRIDE_KEYS",
    "By",
    "Conflict",
    "InvalidValue",
    "NotFound",
    "SqlStore",
    "Step",
    "StoreError",
    "StoreUnavailable",
    "StoredVersions",
    "UsageRow",
    "check_known",
    "check_text",
    "check_version",
    "differing",
    "document_problem",
    "format_time",
    "merge_usage",
    "migrate",
    "private_directory",
    "scalar_problem",
    "sqlite_url",
    "text_problem",
    "utcnow",
]
