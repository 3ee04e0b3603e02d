"""Entry point: python -m services.replies"""

import asyncio
import signal

from services.replies.settings import ReplySettings
from services.replies.worker import ReplyWorker
from services.runtime.kafka import wait_for_port
from services.runtime.logs import configure_logging


async def main(settings: ReplySettings) -> None:
    worker = ReplyWorker(settings)
    loop = asyncio.get_running_loop()
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(stop_signal, worker.stop)
    await worker.run()


if __name__ == "__main__":
    settings = ReplySettings()
    configure_logging(settings.log_level)
    wait_for_port(settings.kafka_bootstrap_servers, timeout_seconds=120)
    asyncio.run(main(settings))
