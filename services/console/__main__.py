"""Entry point: python -m services.console"""

import asyncio
import signal

from services.console.settings import ConsoleSettings
from services.console.worker import ConsoleWorker
from services.runtime.kafka import wait_for_port
from services.runtime.logs import configure_logging


async def main(settings: ConsoleSettings) -> None:
    worker = ConsoleWorker(settings)
    loop = asyncio.get_running_loop()
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(stop_signal, worker.stop)
    await worker.run()


if __name__ == "__main__":
    settings = ConsoleSettings()
    configure_logging(settings.log_level)
    wait_for_port(settings.kafka_bootstrap_servers, timeout_seconds=120)
    asyncio.run(main(settings))
