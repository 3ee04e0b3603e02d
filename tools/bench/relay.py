"""The bare aiokafka relay the router is compared with: consume, produce without waiting, commit.

python -m tools.bench.relay BOOTSTRAP SOURCE_TOPIC TARGET_TOPIC
"""

from __future__ import annotations

import asyncio
import sys

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer


async def relay(bootstrap: str, source: str, target: str) -> None:
    consumer = AIOKafkaConsumer(
        source, bootstrap_servers=bootstrap, group_id="bench-relay", auto_offset_reset="earliest",
        enable_auto_commit=False, rebalance_timeout_ms=3000, session_timeout_ms=10000,
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=2)
    await consumer.start()
    await producer.start()
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=100, max_records=500)
            pending = [
                await producer.send(target, value=record.value, key=record.key)
                for records in batches.values()
                for record in records
            ]
            if pending:
                await asyncio.gather(*pending)
                await consumer.commit()
    finally:
        await producer.stop()
        await consumer.stop()


if __name__ == "__main__":
    try:
        asyncio.run(relay(*sys.argv[1:4]))
    except KeyboardInterrupt:
        pass
