"""Token writes, the part of `FlagService` that docs/spec.md (Token) describes."""

from __future__ import annotations

from vexil.core._service_base import Committed, Doc, ServiceBase
from vexil.core.auth import hash_secret, new_secret, reserved_name_message
from vexil.core.validation import InvalidInput


class TokenWrites(ServiceBase):
    """Tokens created and revoked, the token cache reloaded after each."""

    async def create_token(
        self, name: str, role: str, *, actor: str, environment: str | None = None
    ) -> tuple[Doc, str]:
        """A new token and its secret, bound to `environment` if given; `InvalidInput` for a reserved
        name (`core/auth.py`)."""
        reserved = reserved_name_message(name)
        if reserved is not None:
            raise InvalidInput(reserved)
        secret = new_secret()
        token = await self.store.create_token(
            name=name,
            role=role,
            secret_hash=hash_secret(secret),
            prefix=secret[:8],
            actor=actor,
            environment=environment,
        )
        self._committed(Committed(tokens=True))
        await self.reload_tokens()
        return token, secret

    async def revoke_token(self, name: str, *, actor: str) -> Doc:
        token = await self.store.revoke_token(name, actor=actor, configured_admin=self._bootstrap_secret is not None)
        self._committed(Committed(tokens=True))
        await self.reload_tokens()
        return token
