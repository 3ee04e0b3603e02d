"""Report what a department did with a conversation, from a shell or a department's script.

    gemeente-handling first_reply --conversation CONV --department afval --handler team-afval-2
    gemeente-handling handed_over --conversation CONV --department verkeer --to-department openbare_ruimte

Publishes one HandledEvent to contact.handled and prints its event id once Kafka has it. Exit status 2
for an invalid event, 1 when Kafka did not acknowledge it.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp
from kafka import KafkaProducer
from kafka.errors import KafkaError

from services.contract import codec, topics
from services.contract.departments import load_departments
from services.contract.handling import (
    InvalidHandledEvent,
    complete_handled_event,
    parse_action,
)
from services.runtime.kafka import kafka_python_security
from services.runtime.settings import CommonSettings


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="gemeente-handling", description=__doc__.split("\n")[0])
    parser.add_argument("action", help="first_reply, closed or handed_over")
    parser.add_argument("--conversation", required=True, help="RoutedMessage.message.conversation_id")
    parser.add_argument("--department", required=True, help="the department that acted (or 'triage')")
    parser.add_argument("--to-department", default="", help="for handed_over: who takes over")
    parser.add_argument("--message-id", default="", help="ContactMessage.id of the message answered")
    parser.add_argument("--handler", default="", help="pseudonymous staff or team id")
    parser.add_argument("--at", default="", help="when it happened (ISO 8601; default: now)")
    parser.add_argument("--event-id", default="", help="to re-send an event: the id it had")
    return parser.parse_args(argv)


def event_from_args(args: argparse.Namespace) -> codec.HandledEvent:
    event = codec.HandledEvent(
        event_id=args.event_id,
        conversation_id=args.conversation,
        message_id=args.message_id,
        department=args.department,
        action=parse_action(args.action),
        to_department=args.to_department,
        handler_id=args.handler,
    )
    if args.at:
        moment = datetime.fromisoformat(args.at)
        event.occurred_at.CopyFrom(codec.timestamp(moment if moment.tzinfo else moment.astimezone()))
    return event


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    settings = CommonSettings()
    args = parse_args(argv)
    now = Timestamp()
    now.GetCurrentTime()
    try:
        departments = [d.id for d in load_departments(settings.departments_file)]
        event = complete_handled_event(event_from_args(args), departments, now)
    except (InvalidHandledEvent, ValueError) as exc:
        print(f"invalid: {exc}", file=sys.stderr)
        return 2
    try:
        producer = KafkaProducer(
            bootstrap_servers=settings.kafka_bootstrap_servers, acks="all", **kafka_python_security(settings)
        )
        producer.send(topics.HANDLED, key=event.conversation_id.encode(), value=event.SerializeToString()).get(30)
        producer.close()
    except KafkaError as exc:
        print(f"not published: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(event.event_id)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
