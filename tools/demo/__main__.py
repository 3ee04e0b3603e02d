"""Demo replay: sends citizen messages over every channel's real protocol and prints where each went.

Signed webhooks for WhatsApp, Messenger, Instagram, X and the web form; mail over SMTP; KCC contacts
over gRPC. Run by `make run` after the services started: python -m tools.demo
"""

from __future__ import annotations

import asyncio
import random
import smtplib
import sys
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

import aiohttp
import grpc
import yaml
from aiokafka import AIOKafkaConsumer
from gemeente.contact.v1 import (
    handling_pb2,
    handling_pb2_grpc,
    ingest_pb2,
    ingest_pb2_grpc,
    replies_pb2,
    replies_pb2_grpc,
    routing_pb2,
    routing_pb2_grpc,
)

from services.contract import codec, topics
from services.contract.access import bearer, parse_department_tokens
from services.contract.departments import load_departments
from services.contract.vocabulary import TRIAGE
from services.ingest.channels import channel_of_conversation
from services.ingest.signatures import base64_signature, hex_signature
from services.metrics.config import load_kpi_config
from services.metrics.office_hours import epoch_to_datetime
from services.runtime.routed_consumer import BadRecord, decoded, log_bad_record
from tools.demo import payloads
from tools.demo.payloads import signed_json
from tools.demo.settings import DemoSettings

MESSAGES_FILE = Path(__file__).with_name("messages.yaml")
Channel = codec.Channel


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
    where = "triage" if decision.triage else decision.department
    latency_ms = (codec.epoch_seconds(routed.routed_at) - codec.epoch_seconds(routed.message.received_at)) * 1000
    text = " ".join(routed.message.text.split())
    excerpt = (text[:87] + "...") if len(text) > 90 else text
    why = "; ".join(decision.reasons[:3])
    priority = codec.priority_label(decision.priority)
    flag = f" [{priority.upper()}]" if priority not in ("normal", "unspecified") else ""
    if decision.triage:
        # The confidence of a triaged message is that of "no department" or of a guess too weak to route:
        # what webcare needs are the suggestions.
        suggestions = ", ".join(f"{c.department} {c.score:.2f}" for c in decision.candidates[:3]) or "none"
        certainty = f"suggestions {suggestions}"
    else:
        certainty = f"confidence {decision.confidence:.2f}"
    if decision.category:
        certainty += f"  [{decision.category}]"
    return (
        f"  {codec.channel_label(routed.message.channel):<9} → {where:<15}{flag} "
        f"{certainty}  {codec.method_label(decision.method):<5} "
        f"{latency_ms:6.0f} ms  “{excerpt}”  ({why})"
    )


class Replay:
    """Sends each demo entry over its channel; remembers the message ids it expects to see routed."""

    def __init__(self, settings: DemoSettings, session: aiohttp.ClientSession) -> None:
        self.settings = settings
        self.session = session
        self.expected: set[str] = set()
        self.meta_secret = settings.meta_app_secret.get_secret_value().encode()

    async def post(self, url: str, body: bytes, headers: dict) -> int:
        async with self.session.post(url, data=body, headers={"Content-Type": "application/json", **headers}) as response:
            return response.status

    async def post_meta(self, base: str, channel: str, document: dict) -> int:
        body, signature = signed_json(document, self.meta_secret)
        return await self.post(f"{base}/webhooks/{channel}", body, {"X-Hub-Signature-256": signature})

    async def post_twitter(self, document: dict) -> int:
        body, _ = signed_json(document, b"")
        secret = self.settings.twitter_consumer_secret.get_secret_value().encode()
        return await self.post(
            self.settings.twitter_url + "/webhooks/twitter", body,
            {"x-twitter-webhooks-signature": base64_signature(secret, body)},
        )

    def expect(self, channel: int, channel_message_id: str) -> None:
        self.expected.add(codec.message_id(channel, channel_message_id))

    async def send(self, entry: dict) -> object:
        s, kind = self.settings, entry["channel"]
        if kind == "whatsapp":
            extra = {k: entry[k] for k in ("latitude", "longitude", "place", "address") if k in entry}
            message = payloads.whatsapp_message(entry["from"], entry.get("type", "text"), entry.get("text", ""), **extra)
            self.expect(Channel.CHANNEL_WHATSAPP, message["id"])
            document = payloads.whatsapp_webhook([message], names={entry["from"]: entry.get("name", "")})
            return await self.post_meta(s.whatsapp_url, "whatsapp", document)
        if kind in ("messenger", "facebook_comment"):
            if kind == "messenger":
                document = payloads.messenger_webhook(entry["from"], entry["text"])
                self.expect(Channel.CHANNEL_FACEBOOK, document["entry"][0]["messaging"][0]["message"]["mid"])
            else:
                document = payloads.facebook_comment_webhook(entry["from"], entry.get("name", ""), entry["text"])
                self.expect(Channel.CHANNEL_FACEBOOK, document["entry"][0]["changes"][0]["value"]["comment_id"])
            return await self.post_meta(s.facebook_url, "facebook", document)
        if kind in ("instagram", "instagram_comment"):
            if kind == "instagram":
                document = payloads.instagram_message_webhook(entry["from"], entry["text"])
                self.expect(Channel.CHANNEL_INSTAGRAM, document["entry"][0]["messaging"][0]["message"]["mid"])
            else:
                document = payloads.instagram_comment_webhook(entry["from"], entry.get("username", ""), entry["text"])
                self.expect(Channel.CHANNEL_INSTAGRAM, document["entry"][0]["changes"][0]["value"]["id"])
            return await self.post_meta(s.instagram_url, "instagram", document)
        if kind == "twitter":
            document = payloads.tweet_webhook(entry["user"], entry.get("name", ""), entry["text"])
            self.expect(Channel.CHANNEL_TWITTER, document["tweet_create_events"][0]["id_str"])
            return await self.post_twitter(document)
        if kind == "twitter_dm":
            document = payloads.twitter_dm_webhook(entry["user"], entry.get("name", ""), entry["text"])
            self.expect(Channel.CHANNEL_TWITTER, document["direct_message_events"][0]["id"])
            return await self.post_twitter(document)
        if kind == "webform":
            submission_id = "demo-" + uuid.uuid4().hex[:12]
            fields = {"submission_id": submission_id, "message": entry["text"],
                      **{k: entry[k] for k in ("name", "email", "subject") if k in entry}}
            self.expect(Channel.CHANNEL_WEBFORM, submission_id)
            body, _ = signed_json(fields, b"")
            signature = hex_signature(s.webform_secret.get_secret_value().encode(), body)
            return await self.post(s.webform_url + "/webhooks/webform", body, {"X-Webform-Signature-256": signature})
        if kind == "email":
            mail = EmailMessage()
            mail["From"], mail["To"], mail["Subject"] = entry["from"], s.demo_mailbox, entry.get("subject", "")
            mail["Message-ID"] = f"<{uuid.uuid4().hex}@demo.example>"
            mail.set_content(entry["text"])
            self.expect(Channel.CHANNEL_EMAIL, mail["Message-ID"])
            host, port = s.smtp_address.rsplit(":", 1)

            def deliver() -> str:
                with smtplib.SMTP(host, int(port), timeout=10) as client:
                    client.send_message(mail)
                return "250"

            return await asyncio.to_thread(deliver)
        if kind == "kcc":
            request_id = f"kcc-demo-{uuid.uuid4().hex[:10]}"
            self.expect(Channel.CHANNEL_KCC, request_id)
            async with grpc.aio.insecure_channel(s.kcc_grpc_address) as channel:
                await ingest_pb2_grpc.IngestServiceStub(channel).Submit(
                    ingest_pb2.SubmitRequest(
                        request_id=request_id,
                        kind=ingest_pb2.KccContactKind.Value("KCC_CONTACT_KIND_" + entry["kind"].upper()),
                        agent_id=entry["agent"], summary=entry["text"],
                    ),
                    timeout=10, metadata=bearer(s.kcc_api_token.get_secret_value()),
                )
            return "OK"
        raise ValueError(f"unknown demo channel {kind}")

    async def send_all(self) -> None:
        entries = yaml.safe_load(MESSAGES_FILE.read_text(encoding="utf-8"))
        for entry in entries:
            status = await self.send(entry)
            if status not in (200, "250", "OK"):
                say(f"  ! {entry['channel']} answered {status}")
            await asyncio.sleep(0.3)
        await self.show_refusals(entries[0])

    async def show_refusals(self, whatsapp_entry: dict) -> None:
        """What a platform's retry, a receipt and a forgery get: acknowledged or refused, never published."""
        message = payloads.whatsapp_message(whatsapp_entry["from"], text=whatsapp_entry["text"])
        document = payloads.whatsapp_webhook([message])
        await self.post_meta(self.settings.whatsapp_url, "whatsapp", document)
        self.expect(Channel.CHANNEL_WHATSAPP, message["id"])
        status = await self.post_meta(self.settings.whatsapp_url, "whatsapp", document)
        say(f"  (the same WhatsApp webhook delivered again: answered {status}, published once)")
        receipt = payloads.whatsapp_webhook(statuses=[payloads.whatsapp_status("wamid.DEMO", "delivered", "31600000001")])
        status = await self.post_meta(self.settings.whatsapp_url, "whatsapp", receipt)
        say(f"  (a WhatsApp delivery receipt: answered {status}, counted, not published)")
        body, _ = signed_json(document, b"")
        status = await self.post(
            self.settings.whatsapp_url + "/webhooks/whatsapp", body, {"X-Hub-Signature-256": "sha256=" + "0" * 64}
        )
        say(f"  (a webhook with a forged signature: answered {status}, nothing published)")


def office_hours_note(settings: DemoSettings, departments: list) -> str:
    """Whether response times in office hours move now: outside office hours their clock stands still."""
    office_hours = load_kpi_config(settings.kpi_config_file, departments).office_hours
    if office_hours.is_open(epoch_to_datetime(time.time())):
        return "demo: the gemeente is open now (deploy/config/kpi.yaml): office-hours response times move."
    return ("demo: the gemeente is closed now (deploy/config/kpi.yaml): response times in office hours stand "
            "still until it opens; wall-clock times, volumes and backlog move.")


# Below this score webcare in the demo treats the top suggestion as no real candidate.
PLAUSIBLE_SUGGESTION = 0.1
# What the demo's departments answer, in the citizen's own channel (Dutch: the citizen reads it).
DEMO_ANSWERS = {
    "afval": "Dank voor uw melding. De inzameldienst komt uw container binnen twee werkdagen alsnog legen.",
    "verkeer": "Dank u wel. We hebben de melding doorgezet naar de wegbeheerder; die kijkt er deze week naar.",
    "openbare_ruimte": "Bedankt voor uw melding. Een medewerker van de buitendienst komt het bekijken.",
    "*": "Dank voor uw bericht. We hebben het doorgestuurd naar de juiste afdeling; u hoort binnenkort van ons.",
}


class Departments:
    """Simulated departments and webcare: departments answer what reaches them in the citizen's channel
    through ReplyService (by phone over the HandlingService where the channel has no way back), like a
    department's own system would, and webcare places triaged messages with the RoutingService's
    Reroute, so the response-time KPIs move."""

    def __init__(self, settings: DemoSettings) -> None:
        self.settings = settings
        # Each department reports with its own token; webcare (for triage) with its own.
        self.department_tokens = parse_department_tokens(
            settings.department_api_tokens.get_secret_value(),
            frozenset(d.id for d in load_departments(settings.departments_file)),
        )
        self.random = random.Random(7)
        self.tasks: set[asyncio.Task] = set()

    def handle(self, routed: codec.RoutedMessage) -> None:
        task = asyncio.create_task(self._answer(routed))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _answer(self, routed: codec.RoutedMessage) -> None:
        within = self.settings.demo_answer_within_seconds
        conversation = routed.message.conversation_id
        department = routed.decision.department
        if routed.decision.triage:
            if self.random.random() < self.settings.demo_console_share:
                return  # left in the triage queue for a person in the webcare console
            # Webcare places a triaged message with Reroute: the department receives it on its topic (and
            # answers it there, below); handed_over is for a department passing on what it already has.
            await asyncio.sleep(self.random.uniform(0.1, 0.3) * within)
            best = routed.decision.candidates[0] if routed.decision.candidates else None
            if best is None or best.score < PLAUSIBLE_SUGGESTION:
                # No department fits (a thank-you, an address alone): webcare answers and closes it.
                await self._report(conversation, TRIAGE, codec.HandledAction.HANDLED_ACTION_CLOSED)
                say(f"  webcare closed conversation {conversation[:8]}… (no department; HandledEvent closed)")
            else:
                await self._place(routed.message.id, best.department)
            return
        await asyncio.sleep(self.random.uniform(0.1, 1.0) * within)
        channel = channel_of_conversation(conversation)
        if channel is not None and channel.replies.can_reply:
            await self._reply(routed)
            return
        # No outbound channel (KCC): the answer was a phone call, reported as handled.
        await self._report(conversation, department, codec.HandledAction.HANDLED_ACTION_FIRST_REPLY)
        say(f"  {department} answered conversation {conversation[:8]}… "
            f"({codec.channel_label(routed.message.channel)}: by phone, HandledEvent first_reply)")

    async def _reply(self, routed: codec.RoutedMessage) -> None:
        """Answer in the citizen's own channel through ReplyService, then say what the citizen received."""
        department = routed.decision.department
        text = DEMO_ANSWERS.get(department, DEMO_ANSWERS["*"])
        reply = codec.Reply(reply_id=f"demo-{routed.message.id}", conversation_id=routed.message.conversation_id,
                            in_reply_to=routed.message.id, department=department, staff_id=f"demo-{department}",
                            text=text)
        token = self.department_tokens.get(department) or self.settings.webcare_api_token.get_secret_value()
        channel_name = codec.channel_label(routed.message.channel)
        try:
            async with grpc.aio.insecure_channel(self.settings.router_grpc_address) as channel:
                stub = replies_pb2_grpc.ReplyServiceStub(channel)
                await stub.Send(replies_pb2.SendReplyRequest(reply=reply), timeout=10, metadata=bearer(token))
                status = None
                for _ in range(40):
                    await asyncio.sleep(0.25)
                    status = await stub.Status(replies_pb2.ReplyStatusRequest(reply_id=reply.reply_id), timeout=10,
                                               metadata=bearer(token))
                    if status.state not in (codec.ReplyState.REPLY_STATE_UNSPECIFIED, codec.ReplyState.REPLY_STATE_QUEUED):
                        break
        except grpc.aio.AioRpcError as exc:
            say(f"  ! {department} could not answer on {channel_name}: {exc.code().name} {exc.details()}")
            return
        state = codec.reply_state_label(status.state) if status else "queued"
        outcome = (f"the citizen received on {channel_name}: “{text[:60]}”" if state in ("sent", "delivered", "read")
                   else f"not sent ({codec.reply_failure_label(status.failure)}: {status.explanation})")
        say(f"  {department} answered conversation {routed.message.conversation_id[:8]}… through ReplyService; "
            f"{outcome} [{state}]")

    async def _place(self, message_id: str, department: str) -> None:
        try:
            async with grpc.aio.insecure_channel(self.settings.router_grpc_address) as channel:
                await routing_pb2_grpc.RoutingServiceStub(channel).Reroute(routing_pb2.RerouteRequest(
                    message_id=message_id, department=department, staff_id="demo-webcare"), timeout=10,
                    metadata=bearer(self.settings.webcare_api_token.get_secret_value()))
            say(f"  webcare placed a triaged message with {department} (RoutingService Reroute)")
        except grpc.aio.AioRpcError as exc:
            say(f"  ! placing a triaged message failed: {exc.code().name}")

    async def _report(self, conversation: str, department: str, action: int) -> None:
        event = codec.HandledEvent(conversation_id=conversation, department=department, action=action,
                                   handler_id=f"demo-{department}")
        try:
            async with grpc.aio.insecure_channel(self.settings.router_grpc_address) as channel:
                await handling_pb2_grpc.HandlingServiceStub(channel).ReportHandled(
                    handling_pb2.ReportHandledRequest(event=event), timeout=10,
                    metadata=bearer(self.department_tokens.get(department)
                                    or self.settings.webcare_api_token.get_secret_value()),
                )
        except grpc.aio.AioRpcError as exc:
            say(f"  ! reporting {codec.action_label(action)} failed: {exc.code().name}")


async def trickle(replay: Replay, every: float) -> None:
    """Keep the dashboards alive: one demo message at a time, forever."""
    entries = yaml.safe_load(MESSAGES_FILE.read_text(encoding="utf-8"))
    rng = random.Random(11)
    loop = asyncio.get_running_loop()
    # Scheduled, not slept after each send: the pace stays one per `every` on average however long a send
    # takes (`make soak` relies on the rate it asked for).
    due = loop.time()
    while True:
        due += every * rng.uniform(0.5, 1.5)
        await asyncio.sleep(max(due - loop.time(), 0))
        await replay.send(rng.choice(entries))


async def run(settings: DemoSettings) -> None:
    departments = load_departments(settings.departments_file)
    consumer = AIOKafkaConsumer(
        topics.TRIAGE, *(topics.routed_topic(d.id) for d in departments),
        bootstrap_servers=settings.kafka_bootstrap_servers, group_id=None, auto_offset_reset="latest",
    )
    services = [settings.whatsapp_url, settings.webform_url, settings.facebook_url, settings.instagram_url,
                settings.twitter_url, settings.email_url, settings.kcc_url, settings.router_url, settings.metrics_url]
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        say("demo: waiting for the services to be ready ...")
        await wait_ready(session, services)
        await consumer.start()
        try:
            # Fix the starting positions before sending, so no routed message is missed.
            while not consumer.assignment():
                await asyncio.sleep(0.1)
            for partition in consumer.assignment():
                await consumer.position(partition)
            say("demo: replaying citizen messages over all seven channels; where each one went:")
            replay = Replay(settings, session)
            departments_answer = Departments(settings)
            sender = asyncio.create_task(replay.send_all())
            more: asyncio.Task | None = None
            seen: set[str] = set()
            announced = False
            while True:
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    for record in records:
                        routed = decoded(record)
                        if isinstance(routed, BadRecord):  # one bad record must not stop the demo
                            log_bad_record(routed)
                            continue
                        seen.add(routed.message.id)
                        say(describe(routed))
                        if routed.decision.method != codec.RoutingMethod.ROUTING_METHOD_MANUAL:
                            departments_answer.handle(routed)
                if not announced and sender.done() and replay.expected <= seen:
                    announced = True
                    sender.result()
                    say(f"demo: all {len(replay.expected)} messages routed.")
                    say(f"demo: metrics for Prometheus: {settings.metrics_url}/metrics")
                    if settings.demo_exit_when_done:
                        return
                    say(office_hours_note(settings, departments))
                    say("demo: departments answer within a minute in the citizen's channel (ReplyService); "
                        + (f"a new message every ~{settings.demo_trickle_seconds:.0f} s; "
                           if settings.demo_trickle_seconds else "")
                        + "Ctrl-C stops everything.")
                    if settings.demo_trickle_seconds:
                        more = asyncio.create_task(trickle(replay, settings.demo_trickle_seconds))
                if more is not None and more.done():
                    more.result()  # a failure of the trickle is the demo's failure
        finally:
            await consumer.stop()


def main() -> None:
    try:
        asyncio.run(run(DemoSettings()))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
