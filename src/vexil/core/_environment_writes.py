"""Environment writes, the part of `FlagService` that docs/environments.md describes (comparing and
promoting environments, and the rules of deleting one: `core/environments.py`)."""

from __future__ import annotations

from collections.abc import Callable

from vexil.core._service_base import Doc, ServiceBase


class EnvironmentWrites(ServiceBase):
    """Environment-wide writes: protecting one, deleting or renaming one with its overrides."""

    async def protect_environment(
        self, name: str, *, protected: bool | None, required_approvals: int | None, actor: str
    ) -> Doc:
        return await self.store.protect_environment(
            name, protected=protected, required_approvals=required_approvals, actor=actor
        )

    async def delete_environment(self, name: str, *, actor: str, may_delete: Callable[[Doc], None]) -> list[str]:
        """Delete an environment with its overrides (`SqlStore.delete_environment`); the flags written."""
        async with self._lock:
            written = await self.store.delete_environment(name, actor=actor, may_delete=may_delete)
            await self._written(written)
        return list(written)

    async def rename_environment(self, name: str, new: str, *, actor: str) -> list[str]:
        """Rename an environment with its overrides (`SqlStore.rename_environment`); the flags written."""
        async with self._lock:
            written = await self.store.rename_environment(name, new, actor=actor)
            await self._written(written, tokens=True)
        return list(written)
