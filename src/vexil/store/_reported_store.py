"""What clients and scanners report, in the database: connected SDKs (`_sdks.py`), code references
(`_code_refs.py`) and flag usage (`_usage.py`, `_usage_days.py`): the part of `SqlStore` that
docs/sdks.md, docs/code-refs.md and docs/usage.md describe."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from vexil.store._base import StoreBase
from vexil.store._code_refs import code_ref_counts, code_ref_summaries, flag_code_refs, put_code_refs
from vexil.store._docs import (
    Doc,
    utcnow,
)
from vexil.store._engine import db_errors
from vexil.store._sdks import check_batch, forget_before, instance_docs, merge_batch
from vexil.store._usage import UsageRow, add_counts, append_counts, flag_usage, merge_log, overview, prune
from vexil.store._usage_days import daily_counts
from vexil.store._values import check_instant
from vexil.store.errors import InvalidValue


class ReportedStore(StoreBase):
    # --- connected SDKs (`_sdks.py`) -----------------------------------------------------------

    async def record_sdk_instances(self, batch: Sequence[Mapping[str, Any]], *, forget: datetime) -> None:
        """Merge a batch of reported SDK instances into the stored ones, and delete those not seen
        since `forget`, in one transaction (not audited: SDKs report, nobody changes anything)."""
        check_batch(batch)
        async with self._write() as session, db_errors():
            await merge_batch(session, batch, postgres=self._postgres)
            await forget_before(session, forget)
            await session.commit()

    async def list_sdk_instances(self, *, usage: bool = False) -> list[Doc]:
        """Every stored SDK instance (`_sdks.instance_doc`), with its counts when `usage`."""
        async with self._read() as session:
            return await instance_docs(session, usage=usage)

    # --- code references (`_code_refs.py`) ------------------------------------------------------

    async def put_code_refs(self, upload: Mapping[str, Any], *, at: datetime | None = None) -> Doc:
        """Keep `upload` as the latest scan of its repository and branch (not audited: a scanner
        reports what it found, nobody changes a flag); its summary."""
        async with self._write() as session, db_errors():
            summary = await put_code_refs(session, upload, at or utcnow(), postgres=self._postgres)
            await session.commit()
            return summary

    async def list_code_refs(self) -> list[Doc]:
        """Every repository and branch uploaded, with its commit, time and flag count."""
        async with self._read() as session:
            return await code_ref_summaries(session)

    async def flag_code_refs(self, flag: str) -> list[Doc]:
        """The repositories and branches whose latest scan references `flag`, with the lines."""
        async with self._read() as session:
            return await flag_code_refs(session, flag)

    async def code_ref_counts(self) -> dict[str, int] | None:
        """Per flag: in how many repositories and branches the latest scans name it (absent: none);
        None while no scan was ever uploaded."""
        async with self._read() as session:
            return await code_ref_counts(session)

    # --- flag usage (`_usage.py`) ---------------------------------------------------------------

    async def add_usage(self, rows: Sequence[UsageRow]) -> None:
        """Add counted evaluations to the stored ones (not audited: nobody changed anything). On
        PostgreSQL they are appended to the usage log, which `merge_usage` folds in (`_usage.py`)."""
        if not rows:
            return
        async with self._write() as session, db_errors():
            if self._postgres:
                await append_counts(session, rows)
            else:
                await add_counts(session, rows)
            await session.commit()

    async def merge_usage_log(
        self, *, hourly_before: datetime | None = None, daily_before: datetime | None = None
    ) -> None:
        """Fold the usage log into the hour and day rows, and delete hourly rows older than
        `hourly_before` and daily ones older than `daily_before` (when given), in one transaction."""
        async with self._write() as session, db_errors():
            if self._postgres:
                await merge_log(session)
            if hourly_before is not None and daily_before is not None:
                await prune(session, hourly_before=hourly_before, daily_before=daily_before)
            await session.commit()

    async def flag_usage(
        self, flag: str, *, since: datetime, until: datetime, environment: str | None, app: str | None
    ) -> Doc:
        """One flag's usage document (`_usage.flag_usage`)."""
        since, until = check_instant(since, "since"), check_instant(until, "until")
        if since >= until:
            raise InvalidValue("since: give an instant before until")
        if self._postgres:
            await self.merge_usage_log()
        async with self._read() as session:
            return await flag_usage(session, flag, since=since, until=until, environment=environment, app=app)

    async def usage_overview(self, *, until: datetime, days: int, daily: bool = False) -> dict[str, Doc]:
        """Per flag counted: its total from the start of the day `days` days before `until` and when
        it was last seen (`_usage.overview`); with `daily`, also its count on each of the last `days`
        days, `until`'s last (`_usage_days.py`). One merge of the log, one read transaction."""
        if self._postgres:
            await self.merge_usage_log()
        async with self._read() as session:
            found = await overview(session, since=until - timedelta(days=days))
            if daily:
                counts = await daily_counts(session, until=until, days=days)
                for flag, doc in found.items():
                    doc["daily"] = counts.get(flag, [0] * days)
            return found
