"""Dead letters: list them, and replay them once their cause is fixed.

    gemeente-deadletters list
    gemeente-deadletters replay --stage router.decide [--dry-run]
    gemeente-deadletters replay --stage whatsapp.normalise --ingestor whatsapp=http://gemeente-ingest-whatsapp:8081

A replay publishes a stream record to the topic it came from, so the router sees it again; a webhook
body that a normaliser failed on is posted again to the (fixed) ingestor with the signature it came
with, so it goes through the whole ingest path (dedup included). Each dead letter is replayed at most
once (a marker per dead-letter offset in Redis), so running the command twice doubles nothing. Lines
show stage, source, offset and reason, never the content. Exit status 1 when a replay failed.
"""

from __future__ import annotations

import argparse
import sys
import urllib.error
import urllib.request

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from redis import Redis

from services.contract import codec, topics
from services.runtime.kafka import kafka_python_security
from services.runtime.settings import CommonSettings
from tools.deadletters.replay import (
    Replay,
    WebhookReplay,
    describe,
    ingestor_urls,
    replay_of,
)

MARKER_TTL_SECONDS = 30 * 24 * 3600


def read_dead_letters(settings: CommonSettings) -> list[tuple[int, int, codec.DeadLetter]]:
    consumer = KafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False, consumer_timeout_ms=2000,
        **kafka_python_security(settings),
    )
    try:
        partitions = [TopicPartition(topics.DEADLETTER, p) for p in sorted(consumer.partitions_for_topic(topics.DEADLETTER) or ())]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        letters = []
        for record in consumer:
            letter = codec.DeadLetter()
            try:
                letter.ParseFromString(record.value)
            except Exception:  # noqa: BLE001 - an unreadable dead letter is listed, not fatal
                letter = codec.DeadLetter(stage="?", error="unreadable dead letter")
            letters.append((record.partition, record.offset, letter))
        return letters
    finally:
        consumer.close()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="gemeente-deadletters", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=["list", "replay"])
    parser.add_argument("--stage", action="append", help="only these stages (repeatable); default: all")
    parser.add_argument("--dry-run", action="store_true", help="show what would be replayed")
    parser.add_argument("--ingestor", action="append", metavar="CHANNEL=URL",
                        help="base URL of a channel's ingestor, for dead-lettered webhook bodies (repeatable)")
    args = parser.parse_args(argv)
    try:
        ingestors = ingestor_urls(args.ingestor)
    except ValueError as exc:
        parser.error(str(exc))
    settings = CommonSettings()
    letters = read_dead_letters(settings)
    if args.command == "list":
        for partition, offset, letter in letters:
            print(f"{partition}:{offset:<8} {describe(letter)}")
        print(f"{len(letters)} dead letter(s)")
        return 0
    stages = frozenset(args.stage) if args.stage else None
    redis = Redis.from_url(settings.redis_url.get_secret_value())
    producer = None if args.dry_run else KafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers, acks="all", **kafka_python_security(settings)
    )
    replayed = skipped = failed = 0
    for partition, offset, letter in letters:
        plan = replay_of(letter, stages, ingestors)
        if isinstance(plan, str):
            if stages is None or letter.stage in stages:
                print(f"skip   {partition}:{offset} {describe(letter)} ({plan})")
            skipped += 1
            continue
        marker = f"deadletter:replayed:{partition}:{offset}"
        if args.dry_run:
            if not redis.exists(marker):
                print(f"would  {partition}:{offset} {describe(letter)} → {target(plan)}")
                replayed += 1
            continue
        # Claim first: a second run, or two operators at once, replay each dead letter once.
        if not redis.set(marker, "claimed", nx=True, ex=MARKER_TTL_SECONDS):
            continue
        if isinstance(plan, WebhookReplay):
            status, problem = post_webhook(plan)
            if problem:
                if status != 202:
                    redis.delete(marker)  # not taken: the next run tries again (a 202 left a new dead letter)
                print(f"FAILED {partition}:{offset} {describe(letter)} → {target(plan)}: {problem}")
                failed += 1
                continue
            print(f"replay {partition}:{offset} {describe(letter)} → {target(plan)}: {status}")
        else:
            try:
                producer.send(plan.topic, key=plan.key or None, value=plan.value).get(30)
            except Exception:
                redis.delete(marker)
                raise
            print(f"replay {partition}:{offset} {describe(letter)} → {target(plan)}")
        replayed += 1
    if producer is not None:
        producer.close()
    print(f"{replayed} {'to replay' if args.dry_run else 'replayed'}, {skipped} skipped"
          + (f", {failed} failed" if failed else ""))
    return 1 if failed else 0


def target(plan: Replay | WebhookReplay) -> str:
    return plan.url if isinstance(plan, WebhookReplay) else plan.topic


def post_webhook(plan: WebhookReplay) -> tuple[int | None, str]:
    """Post a kept body as it was received: (the ingestor's status, None if not reached; the problem if
    it was not taken, else "")."""
    request = urllib.request.Request(plan.url, data=plan.body, headers=plan.headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        return exc.code, f"answered {exc.code} {exc.reason}"
    except OSError as exc:
        return None, f"not reached ({type(exc).__name__})"
    if status == 202:
        # The normaliser failed again: the ingestor kept it as a new dead letter, for the next fix.
        return status, "the normaliser still fails on it (kept again as a new dead letter)"
    return status, ""


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
