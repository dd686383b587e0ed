"""The block a start prints once the server is ready: where the API, its docs and the admin UI are,
and where the admin token is. Why a block of its own: a new user's first question after `vexil
serve` is "where do I click, and with what token?", and log lines with timestamps bury it."""

from __future__ import annotations

from vexil import __version__
from vexil.config import Settings

# Addresses that mean "every interface": a browser reaches them as localhost.
_ANY_INTERFACE = frozenset({"", "0.0.0.0", "::", "[::]"})


def base_url(settings: Settings) -> str:
    host = "localhost" if settings.host in _ANY_INTERFACE else settings.host
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{settings.port}"


def token_whereabouts(settings: Settings) -> str:
    """Where the admin token is, without ever showing it (a new one is printed once, on creation)."""
    if settings.admin_token:
        return "the VEXIL_ADMIN_TOKEN environment variable"
    if settings.admin_token_file.is_file():
        return f"{settings.admin_token_file} (the CLI reads it there)"
    return "not on this machine (tokens were created earlier, elsewhere): ask an admin, or see `vexil token --help`"


def startup_block(settings: Settings, flags: int) -> str:
    url = base_url(settings)
    lines = [
        f"vexil {__version__} ready, {flags} flag{'' if flags == 1 else 's'}",
        f"  API          {url}/   (docs: {url}/docs)",
        f"  admin UI     {url}/ui/",
        f"  admin token  {token_whereabouts(settings)}",
    ]
    if settings.oidc is not None:
        # The callback is what the provider must have registered: the first thing to check when SSO fails.
        callback = settings.oidc.redirect_url or f"{url}/sso/callback"
        lines.append(f"  sign-on      {settings.oidc.issuer}   (callback: {callback})")
    return "\n".join(lines)
