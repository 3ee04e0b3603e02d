"""A department's consume-and-reply loop: read the department's topic, and report the first reply.

Runs as is against `make run` (defaults below) and, with the environment set, against any cluster:

    .venv/bin/python docs/examples/department_consumer.py afval

It prints one line per message (the conversation id is what `gemeente-handling` needs) and reports a
first reply for each over the router's HandlingService, as a department's case system would after
answering the citizen. A new consumer group takes some seconds to join before the first line appears.
"""

from __future__ import annotations

import argparse
import os
import sys

import grpc
from gemeente.contact.v1.handling_pb2 import (
    HandledAction,
    HandledEvent,
    ReportHandledRequest,
)
from gemeente.contact.v1.handling_pb2_grpc import HandlingServiceStub
from kafka import KafkaConsumer

from services.contract import codec
from services.runtime.routed_consumer import follow_routed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("department", help="the department id, e.g. afval (deploy/config/departments.yaml)")
    parser.add_argument("--max-messages", type=int, default=0, help="stop after this many records (0: run on)")
    args = parser.parse_args()

    handling = HandlingServiceStub(grpc.insecure_channel(os.environ.get("ROUTER_GRPC_ADDRESS", "127.0.0.1:50052")))
    # The department's own token (one of DEPARTMENT_API_TOKENS): it may report for this department only.
    credentials = (("authorization", f"Bearer {os.environ['DEPARTMENT_API_TOKEN']}"),)
    consumer = KafkaConsumer(
        f"contact.routed.{args.department}",
        bootstrap_servers=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
        group_id=f"{args.department}-zaaksysteem",  # one group per consuming application
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    # A new consumer group takes some seconds to join before the first record arrives: say so, on stderr.
    print(f"reading {consumer.subscription()} as group {args.department}-zaaksysteem; the first line can take "
          "~20 s while a new group joins", file=sys.stderr, flush=True)

    def handle(routed) -> None:  # noqa: ANN001 - a RoutedMessage
        message, decision = routed.message, routed.decision
        print(f"{message.conversation_id}  {codec.channel_label(message.channel)}  "
              f"{codec.priority_label(decision.priority)}  {message.text[:60]!r}", flush=True)
        # Here the department's own system creates or updates its case, idempotently on message.id,
        # and answers the citizen. Then it reports the first reply, so response times are measured:
        handling.ReportHandled(ReportHandledRequest(event=HandledEvent(
            conversation_id=message.conversation_id, message_id=message.id, department=args.department,
            action=HandledAction.HANDLED_ACTION_FIRST_REPLY, handler_id=f"team-{args.department}",
        )), timeout=10, metadata=credentials)

    # Commits after each record; a record that is not a RoutedMessage is skipped and logged, not a crash.
    handled, skipped = follow_routed(consumer, handle, max_records=args.max_messages)
    print(f"handled {handled}, skipped {skipped} unreadable", file=sys.stderr)
    consumer.close()


if __name__ == "__main__":
    main()
