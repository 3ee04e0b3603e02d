"""Entry point: python -m services.router"""

import asyncio
import signal

from services.router.settings import RouterSettings
from services.router.worker import RouterWorker
from services.runtime.kafka import wait_for_port
from services.runtime.logs import configure_logging


async def main(settings: RouterSettings) -> None:
    worker = RouterWorker(settings)
    loop = asyncio.get_running_loop()
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        # A rolling update: finish the batch in hand, commit, leave the group, close.
        loop.add_signal_handler(stop_signal, worker.stop)
    await worker.run()


if __name__ == "__main__":
    settings = RouterSettings()
    configure_logging(settings.log_level)
    wait_for_port(settings.kafka_bootstrap_servers, timeout_seconds=120)
    asyncio.run(main(settings))
