"""The web endpoints every worker serves beside its work: /healthz (the process lives), /readyz (it can do
its work now) and /metrics (Prometheus' text format)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest


def probe_app(is_ready: Callable[[], Awaitable[bool]]) -> web.Application:
    async def healthz(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def readyz(request: web.Request) -> web.Response:
        ready = await is_ready()
        return web.Response(text="ready" if ready else "not ready", status=200 if ready else 503)

    async def metrics(request: web.Request) -> web.Response:
        # aiohttp refuses a charset inside content_type=, so the full value goes in as a header.
        return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    return app
