"""The webcare team's triage queue from a shell: follow contact.triage, and place a message with Reroute.

Runs as is against `make run` (defaults below) and, with the environment set, against any cluster:

    .venv/bin/python docs/examples/triage_queue.py                          # follow the queue (Ctrl-C stops)
    .venv/bin/python docs/examples/triage_queue.py --place MESSAGE_ID verkeer --category verkeerslicht --staff wc-07

Each queued message is one line: its id (what Reroute needs), priority, the suggestions and the reasons.
A triaged message's confidence is that of "no department" or of a guess too weak to route, so it is not
shown; the suggestions are what to choose from.
"""

from __future__ import annotations

import argparse
import os
import sys

import grpc
from gemeente.contact.v1 import routing_pb2, routing_pb2_grpc
from kafka import KafkaConsumer

from services.contract import codec, topics
from services.runtime.routed_consumer import follow_routed


def follow(max_messages: int) -> None:
    consumer = KafkaConsumer(
        topics.TRIAGE,
        bootstrap_servers=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"),
        group_id="webcare-triage-example",  # webcare's groups start with "webcare-" (its Kafka ACL)
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    print(f"following {topics.TRIAGE}; the first line can take ~20 s while a new consumer group joins",
          file=sys.stderr, flush=True)
    def show(routed) -> None:  # noqa: ANN001 - a RoutedMessage
        decision = routed.decision
        suggestions = ", ".join(f"{c.department}/{c.category} {c.score:.2f}" for c in decision.candidates[:3]) or "geen"
        print(f"{routed.message.id}  {codec.priority_label(decision.priority)}  "
              f"{codec.channel_label(routed.message.channel)}  suggesties: {suggestions}  "
              f"({'; '.join(decision.reasons[:2])})", flush=True)

    # Commits after each record; one that is not a RoutedMessage is skipped and logged, not a crash.
    follow_routed(consumer, show, max_records=max_messages)
    consumer.close()


def place(message_id: str, department: str, staff_id: str, note: str, category: str = "") -> None:
    address = os.environ.get("ROUTER_GRPC_ADDRESS", "127.0.0.1:50052")
    with grpc.insecure_channel(address) as channel:
        answer = routing_pb2_grpc.RoutingServiceStub(channel).Reroute(routing_pb2.RerouteRequest(
            message_id=message_id, department=department, category=category, staff_id=staff_id, note=note),
            timeout=10, metadata=(("authorization", f"Bearer {os.environ['WEBCARE_API_TOKEN']}"),))
    decision = answer.routed.decision
    print(f"{message_id}: {answer.previous_destination} → {decision.department}"
          + (f" ({decision.category})" if decision.category else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--place", nargs=2, metavar=("MESSAGE_ID", "DEPARTMENT"), help="place one message")
    parser.add_argument("--staff", default="", help="your staff or team id (not a name), for --place")
    parser.add_argument("--note", default="", help="why, for --place (goes to the department and training)")
    parser.add_argument("--category", default="", help="for --place: the right category of that department")
    parser.add_argument("--max-messages", type=int, default=0, help="stop after this many (0: follow on)")
    args = parser.parse_args()
    if args.place:
        place(*args.place, args.staff, args.note, args.category)
    else:
        follow(args.max_messages)


if __name__ == "__main__":
    main()
