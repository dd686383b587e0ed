"""Every endpoint of the raw layer, from each surface's own table: Vexil's native evaluation and
streams (`api/surface.py`). The raw ASGI layer (`api/fastpath.py`) answers them through `ROUTER`,
and `api/routes/hot.py` documents them in OpenAPI from `ENDPOINTS`."""

from __future__ import annotations

from vexil.api.surface import NATIVE, Endpoint, Router
from vexil.api.unleash_client import UNLEASH_CLIENT

ENDPOINTS: tuple[Endpoint, ...] = NATIVE + UNLEASH_CLIENT
ROUTER = Router(ENDPOINTS)
