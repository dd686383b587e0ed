"""Every endpoint of the raw layer, from each surface's own table: Vexil's native evaluation and
streams (`api/surface.py`), OFREP (`api/ofrep.py`), Unleash's client API (`api/unleash_client.py`),
its frontend API (`api/unleash_frontend.py`) and SDK register and metrics posts
(`api/unleash_usage.py`). The raw ASGI layer (`api/fastpath.py`) answers them through `ROUTER`, and
`api/routes/hot.py` documents them in OpenAPI from `ENDPOINTS`."""

from __future__ import annotations

from vexil.api.ofrep import OFREP
from vexil.api.surface import NATIVE, Endpoint, Router
from vexil.api.unleash_client import UNLEASH_CLIENT
from vexil.api.unleash_frontend import UNLEASH_FRONTEND
from vexil.api.unleash_usage import UNLEASH_USAGE

ENDPOINTS: tuple[Endpoint, ...] = NATIVE + OFREP + UNLEASH_CLIENT + UNLEASH_FRONTEND + UNLEASH_USAGE
ROUTER = Router(ENDPOINTS)
