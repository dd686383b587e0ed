"""Segment writes, the part of `FlagService` that docs/model.md describes."""

from __future__ import annotations

from vexil.core._service_base import Committed, Doc, ServiceBase
from vexil.core.validation import check_segment


class SegmentWrites(ServiceBase):
    """Segments: created, updated and deleted, every flag that uses one told; and a segment as a
    proposed change would make it, unwritten."""

    async def create_segment(self, fields: Doc, *, actor: str, reverts: int | None = None) -> Doc:
        async with self._lock:
            check_segment(fields)
            created = await self.store.create_segment(fields, actor=actor, reverts=reverts)
            self._committed(Committed(segments=True))
            await self._refresh_segments()
        return created

    async def update_segment(
        self, name: str, fields: Doc, *, actor: str, expected_version: int | None, reverts: int | None = None
    ) -> Doc:
        def mutate(doc: Doc) -> Doc:
            doc.update(fields)
            check_segment(doc)
            return doc

        async with self._lock:
            updated = await self.store.update_segment(
                name, mutate, actor=actor, expected_version=expected_version, reverts=reverts
            )
            self._committed(Committed(segments=True))
            await self._refresh_segments()
        return updated

    async def delete_segment(
        self, name: str, *, actor: str, expected_version: int | None = None, reverts: int | None = None
    ) -> Doc:
        async with self._lock:
            deleted = await self.store.delete_segment(
                name, actor=actor, expected_version=expected_version, reverts=reverts
            )
            self._committed(Committed(segments=True))
            await self._refresh_segments()
        return deleted

    async def proposed_segment(self, name: str, fields: Doc) -> Doc:
        """The document segment `name` would have after `PATCH /segments/{name}` with `fields`,
        checked as that write checks it; nothing is written."""
        doc = {**await self.store.get_segment(name), **fields}
        check_segment(doc)
        return doc
