"""Other replicas' writes, the part of `FlagService` that `vexil.bus.Replicator` calls."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping

from vexil.core._service_base import Doc, ServiceBase
from vexil.store.errors import NotFound


class ReplicaSync(ServiceBase):
    """Other replicas' writes brought in: what the bus names, or everything after an outage."""

    async def sync_from_store(self, flags: Iterable[str] = (), *, segments: bool = False, tokens: bool = False) -> None:
        """Reload what another process changed, and publish on the hub whatever that changes here."""
        if tokens:
            await self.reload_tokens()
        async with self._lock:
            if segments:
                # The version check may see this process's own write before the write has refreshed
                # them: nothing to tell anyone twice.
                await self._refresh_segments(only_if_changed=True)
            docs: dict[str, Doc | None] = {}
            for name in flags:
                try:
                    docs[name] = await self.store.get_flag(name)
                except NotFound:
                    docs[name] = None
            await self._apply_docs(docs)

    async def resync(self) -> None:
        """Reload everything (after an outage, a bus reconnect, an import elsewhere); publish what differs.

        Read and compared a page at a time, and a large change compiled in a worker thread, so that
        evaluations go on meanwhile (after an import, every replica reloads every flag).
        """
        await self.reload_tokens()
        async with self._lock:
            await self._refresh_segments(only_if_changed=True)
            gone = set(self.snapshot.names())
            changed: dict[str, Doc | None] = {}
            async with contextlib.aclosing(self.store.flag_pages()) as pages:
                async for page in pages:
                    for name, doc in self._servable({doc["name"]: doc for doc in page}).items():
                        gone.discard(name)
                        if doc != self.snapshot.get_doc(name):
                            changed[name] = doc
            changed.update(dict.fromkeys(gone))
            await self._apply_changed(changed)

    async def _apply_docs(self, docs: Mapping[str, Doc | None]) -> None:
        served = self._servable(docs)
        await self._apply_changed({name: doc for name, doc in served.items() if doc != self.snapshot.get_doc(name)})

    def _servable(self, docs: Mapping[str, Doc | None]) -> dict[str, Doc | None]:
        """Stored documents (None: deleted) as the snapshot is to hold them: a quarantined one as None."""
        kept = {doc["name"] for doc in self._storable("flag", (d for d in docs.values() if d is not None))}
        for name, doc in docs.items():
            if doc is None:
                self.quarantined.pop(f"flag {name}", None)
        return {name: doc if name in kept else None for name, doc in docs.items()}
