"""Demo replay: posts signed citizen messages to the real ingestor endpoints and prints where each went.

Run by `make run` after the services started: python -m services.demo
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path

import aiohttp
import yaml
from aiokafka import AIOKafkaConsumer

from services.common import codec, topics
from services.common.departments import load_departments
from services.common.settings import DemoSettings
from services.common.signatures import hex_signature
from services.demo.payloads import signed_json, whatsapp_message, whatsapp_status, whatsapp_webhook

MESSAGES_FILE = Path(__file__).with_name("messages.yaml")


def say(line: str) -> None:
    print(line, flush=True)


async def wait_ready(session: aiohttp.ClientSession, urls: list[str], timeout: float = 180) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    for url in urls:
        while True:
            try:
                async with session.get(url + "/readyz") as response:
                    if response.status == 200:
                        break
            except aiohttp.ClientError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{url} did not become ready")
            await asyncio.sleep(0.5)


def describe(routed: codec.RoutedMessage) -> str:
    decision = routed.decision
    where = "TRIAGE" if decision.triage else decision.department
    latency_ms = (codec.epoch_seconds(routed.routed_at) - codec.epoch_seconds(routed.message.received_at)) * 1000
    text = " ".join(routed.message.text.split())
    excerpt = (text[:57] + "...") if len(text) > 60 else text
    why = "; ".join(decision.reasons[:3])
    return (
        f"  {codec.channel_label(routed.message.channel):<9} → {where:<12} "
        f"confidence {decision.confidence:.2f}  {codec.method_label(decision.method):<5} "
        f"{latency_ms:6.0f} ms  “{excerpt}”  ({why})"
    )


class Replay:
    def __init__(self, settings: DemoSettings) -> None:
        self.settings = settings
        self.expected: set[str] = set()

    async def post(self, session: aiohttp.ClientSession, url: str, body: bytes, headers: dict) -> int:
        async with session.post(url, data=body, headers=headers) as response:
            return response.status

    async def post_whatsapp(self, session: aiohttp.ClientSession, document: dict) -> int:
        body, signature = signed_json(document, self.settings.meta_app_secret.get_secret_value().encode())
        return await self.post(
            session,
            self.settings.whatsapp_url + "/webhooks/whatsapp",
            body,
            {"Content-Type": "application/json", "X-Hub-Signature-256": signature},
        )

    async def post_webform(self, session: aiohttp.ClientSession, fields: dict) -> int:
        body, _ = signed_json(fields, b"")
        signature = hex_signature(self.settings.webform_secret.get_secret_value().encode(), body)
        return await self.post(
            session,
            self.settings.webform_url + "/webhooks/webform",
            body,
            {"Content-Type": "application/json", "X-Webform-Signature-256": signature},
        )

    async def send_all(self, session: aiohttp.ClientSession) -> None:
        entries = yaml.safe_load(MESSAGES_FILE.read_text(encoding="utf-8"))
        first_whatsapp: dict | None = None
        for entry in entries:
            if entry["channel"] == "whatsapp":
                extra = {k: entry[k] for k in ("latitude", "longitude", "place", "address") if k in entry}
                message = whatsapp_message(entry["from"], entry.get("type", "text"), entry.get("text", ""), **extra)
                document = whatsapp_webhook([message], names={entry["from"]: entry.get("name", "")})
                first_whatsapp = first_whatsapp or document
                self.expected.add(codec.message_id(codec.Channel.CHANNEL_WHATSAPP, message["id"]))
                status = await self.post_whatsapp(session, document)
            else:
                submission_id = "demo-" + uuid.uuid4().hex[:12]
                fields = {
                    "submission_id": submission_id,
                    "name": entry.get("name", ""),
                    "email": entry.get("email", ""),
                    "subject": entry.get("subject", ""),
                    "message": entry["text"],
                }
                self.expected.add(codec.message_id(codec.Channel.CHANNEL_WEBFORM, submission_id))
                status = await self.post_webform(session, fields)
            if status != 200:
                say(f"  ! {entry['channel']} webhook answered {status}")
            await asyncio.sleep(0.3)
        if first_whatsapp is not None:
            # Meta redelivers a webhook it did not see acknowledged: it must not be published twice.
            status = await self.post_whatsapp(session, first_whatsapp)
            say(f"  (redelivered the first WhatsApp webhook: answered {status}, not published again)")
            receipt = whatsapp_webhook(statuses=[whatsapp_status("wamid.DEMO", "delivered", "31600000001")])
            status = await self.post_whatsapp(session, receipt)
            say(f"  (a WhatsApp delivery receipt: answered {status}, counted, not published)")
            forged, _ = signed_json(first_whatsapp, b"not-the-app-secret")
            status = await self.post(
                session,
                self.settings.whatsapp_url + "/webhooks/whatsapp",
                forged,
                {"Content-Type": "application/json", "X-Hub-Signature-256": "sha256=" + "0" * 64},
            )
            say(f"  (a webhook with a forged signature: answered {status}, nothing published)")


async def run(settings: DemoSettings) -> None:
    departments = load_departments(settings.departments_file)
    decided_topics = [topics.TRIAGE, *(topics.routed_topic(d.id) for d in departments)]
    consumer = AIOKafkaConsumer(
        *decided_topics, bootstrap_servers=settings.kafka_bootstrap_servers, group_id=None,
        auto_offset_reset="latest",
    )
    replay = Replay(settings)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        say("demo: waiting for the ingestors to be ready ...")
        await wait_ready(
            session, [settings.whatsapp_url, settings.webform_url, settings.router_url, settings.metrics_url]
        )
        await consumer.start()
        try:
            # Fix the starting positions before sending, so no routed message is missed.
            while not consumer.assignment():
                await asyncio.sleep(0.1)
            for partition in consumer.assignment():
                await consumer.position(partition)
            say("demo: replaying citizen messages through the real webhooks; where each one went:")
            sender = asyncio.create_task(replay.send_all(session))
            seen: set[str] = set()
            announced = False
            while True:
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    for record in records:
                        routed = codec.decode_routed(record.value)
                        seen.add(routed.message.id)
                        say(describe(routed))
                if not announced and sender.done() and replay.expected <= seen:
                    announced = True
                    sender.result()
                    say(f"demo: all {len(replay.expected)} messages routed.")
                    say(f"demo: metrics for Prometheus: {settings.metrics_url}/metrics")
                    say("demo: following the department topics; Ctrl-C stops everything.")
                    if settings.demo_exit_when_done:
                        return
        finally:
            await consumer.stop()


def main() -> None:
    try:
        asyncio.run(run(DemoSettings()))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
