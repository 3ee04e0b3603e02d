"""What faust costs: the router's former faust set-up (the same app settings as the metrics service,
`take_events` batches, sends awaited per batch) doing no work at all: no decoding, no routing, no Redis.
Kept in `make bench` beside the bare relay and the router (which left faust: docs/adr/0011).

python -m tools.bench.faust_relay, with BENCH_RELAY_SOURCE and BENCH_RELAY_TARGET and the router's
variables (KAFKA_BOOTSTRAP_SERVERS, ROUTER_PORT) in the environment.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

import faust

from services.router.settings import RouterSettings
from services.runtime.stream import create_stream_app, run_stream_worker


def create_relay(settings: RouterSettings, source: str, target: str) -> faust.App:
    app = create_stream_app("bench-faust-relay", settings, web_host=settings.router_host,
                            web_port=settings.router_port, data_dir=Path(tempfile.mkdtemp(prefix="bench-faust-")))

    @app.agent(app.topic(source, key_type=bytes, value_type=bytes))
    async def forward(stream: faust.StreamT) -> None:
        async for events in stream.take_events(settings.router_batch_size, within=settings.router_batch_seconds):
            pending = [await app.producer.send(target, e.message.key, e.message.value, None, None, None)
                       for e in events]
            await asyncio.gather(*pending)

    return app


if __name__ == "__main__":
    router_settings = RouterSettings()
    run_stream_worker(
        create_relay(router_settings, os.environ["BENCH_RELAY_SOURCE"], os.environ["BENCH_RELAY_TARGET"]),
        router_settings,
    )
