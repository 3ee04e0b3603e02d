"""The console's reading of the topics: triage, corrections, handled events, reply statuses and the
departments' routed topics, from the beginning of their retention, without a consumer group (every replica reads everything,
so every replica shows the same queue; nothing is committed because nothing is consumed away)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client import Counter

from services.console.board import DepartmentBoard
from services.console.queue import (
    ConversationHistory,
    TriageQueue,
    closes_triage,
    triage_item,
)
from services.contract import codec, topics

log = logging.getLogger(__name__)

UNREADABLE = Counter("console_unreadable_records_total", "Records the console could not decode (skipped: a view, not a consumer).",
                     ["topic"])

# change kind ("add" | "remove" in triage; "departments": their lists changed) and its payload (a
# TriageItem, message ids, or department ids)
OnChange = Callable[[str, object], None]


def read_topics(department_ids: list[str]) -> list[str]:
    """What the console reads (its KafkaUser's ACLs are generated from this)."""
    return [topics.TRIAGE, topics.CORRECTIONS, topics.HANDLED, topics.REPLY_STATUS,
            *(topics.routed_topic(d) for d in department_ids)]


class ConsoleFeed:
    def __init__(self, consumer: AIOKafkaConsumer, department_ids: list[str], queue: TriageQueue,
                 history: ConversationHistory, board: DepartmentBoard, on_change: OnChange) -> None:
        self.consumer = consumer
        self.topics = read_topics(department_ids)
        self.queue, self.history, self.board, self.on_change = queue, history, board, on_change
        self.caught_up = False  # ready once what was on the topics at start is read
        self._stopping = False

    async def _assign(self) -> dict[TopicPartition, int]:
        """Assign every partition from its beginning; the end offsets of those that hold records."""
        while True:
            partitions = []
            for topic in self.topics:
                numbers = self.consumer.partitions_for_topic(topic)
                if not numbers:
                    break
                partitions += [TopicPartition(topic, n) for n in numbers]
            else:
                self.consumer.assign(partitions)
                await self.consumer.seek_to_beginning(*partitions)
                ends = await self.consumer.end_offsets(partitions)
                beginnings = await self.consumer.beginning_offsets(partitions)
                # A partition whose records all passed retention has nothing to read, whatever its end.
                return {tp: end for tp, end in ends.items() if end > beginnings.get(tp, 0)}
            log.info("waiting for topic %s to exist", topic)
            await self.consumer.topics()  # refreshes the metadata
            await asyncio.sleep(1.0)

    async def run(self) -> None:
        pending = await self._assign()
        self.caught_up = not pending
        while not self._stopping:
            batches = await self.consumer.getmany(timeout_ms=500, max_records=2000)
            for tp, records in batches.items():
                for record in records:
                    self.apply(record.topic, record.value)
                if tp in pending and records[-1].offset + 1 >= pending[tp]:
                    del pending[tp]
            if not self.caught_up and not pending:
                self.caught_up = True
                log.info("console caught up: %d triaged messages waiting", len(self.queue))

    def stop(self) -> None:
        self._stopping = True

    def apply(self, topic: str, value: bytes) -> None:
        try:
            if topic == topics.CORRECTIONS:
                correction = codec.Correction.FromString(value)
                if self.queue.place(correction.message_id):
                    self.on_change("remove", [correction.message_id])
            elif topic == topics.REPLY_STATUS:
                self.on_change("departments", self.board.reply_status(codec.decode_reply_status(value)))
            elif topic == topics.HANDLED:
                event = codec.decode_handled(value)
                self.on_change("departments", self.board.handled(event))
                if closes_triage(event):
                    closed = self.queue.close_conversation(event.conversation_id)
                    if closed:
                        self.on_change("remove", closed)
            else:
                routed = codec.decode_routed(value)
                self.history.add(routed)
                self.on_change("departments", self.board.routed(routed))
                if topic == topics.TRIAGE:
                    item = triage_item(routed)
                    if self.queue.add(item):
                        self.on_change("add", item)
        except Exception:  # noqa: BLE001 - a record we cannot read must not stop the view
            UNREADABLE.labels(topic).inc()  # only the topics assigned above: a closed set
            log.warning("unreadable record on %s skipped", topic)
