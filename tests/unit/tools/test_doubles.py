import asyncio
import json
import smtplib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email.message import EmailMessage

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from services.ingest.signatures import SignatureCheck, check_hex_signature
from tools.doubles.__main__ import webhook_urls
from tools.doubles.faults import FAULTS, RECORDS, Faults, meta_error, smtp_error, x_error
from tools.doubles.meta import create_meta_double
from tools.doubles.smtp import SmtpSink, create_smtp_control
from tools.doubles.x import create_x_double

TOKEN = "test-token"
SECRET = "test-app-secret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TEXT = {"messaging_product": "whatsapp", "to": "+31 6 12345678", "type": "text", "text": {"body": "Goedemorgen"}}


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(app)) as client:
        yield client


@asynccontextmanager
async def webhook_receiver() -> AsyncIterator[tuple[str, asyncio.Queue]]:
    """A stand-in ingestor: every POST lands in the queue as (path, signature header, raw body)."""
    received: asyncio.Queue = asyncio.Queue()

    async def hook(request: web.Request) -> web.Response:
        received.put_nowait((request.path, request.headers.get("X-Hub-Signature-256"), await request.read()))
        return web.json_response({"published": 0})

    app = web.Application()
    app.router.add_post("/{path:.*}", hook)
    async with TestServer(app) as server:
        yield str(server.make_url("")).rstrip("/"), received


async def next_webhook(received: asyncio.Queue) -> tuple[str, dict]:
    path, signature, raw = await asyncio.wait_for(received.get(), timeout=5)
    assert check_hex_signature(SECRET.encode(), raw, signature) is SignatureCheck.VALID
    return path, json.loads(raw)


def meta(**options) -> web.Application:
    return create_meta_double({TOKEN}, SECRET, **options)


async def test_whatsapp_text_and_template_are_answered_as_the_cloud_api_does():
    template = {"messaging_product": "whatsapp", "to": "31612345678", "type": "template",
                "template": {"name": "antwoord", "language": {"code": "nl"},
                             "components": [{"type": "body", "parameters": [{"type": "text", "text": "x"}]}]}}
    async with serving(meta()) as client:
        for message in (TEXT, {**TEXT, "context": {"message_id": "wamid.citizen"}}, template):
            response = await client.post("/v26.0/106540352242922/messages", json=message, headers=AUTH)
            answer = await response.json()
            assert response.status == 200
            assert answer["messaging_product"] == "whatsapp"
            assert answer["contacts"] == [{"input": message["to"], "wa_id": "31612345678"}]
            assert answer["messages"][0]["id"].startswith("wamid.")
        records = client.app[RECORDS]
        assert [(r.api, r.outcome, r.status) for r in records] == [("whatsapp", "accepted", 200)] * 3
        assert records[0].body == TEXT and records[0].path == "/v26.0/106540352242922/messages"
        # Another Graph version in the path is the same API.
        assert (await client.post("/v23.0/1/messages", json=TEXT, headers=AUTH)).status == 200


async def test_a_missing_or_unknown_token_is_refused_with_code_190():
    async with serving(meta()) as client:
        for headers in ({}, {"Authorization": "Bearer someone-else"}):
            response = await client.post("/v26.0/1/messages", json=TEXT, headers=headers)
            error = (await response.json())["error"]
            assert response.status == 401
            assert (error["code"], error["type"]) == (190, "OAuthException") and error["fbtrace_id"]
        assert [r.outcome for r in client.app[RECORDS]] == ["refused", "refused"]


@pytest.mark.parametrize("message, parameter", [
    ({**TEXT, "text": {}}, "text['body']"),
    ({**TEXT, "to": ""}, "to"),
    ({**TEXT, "biz_opaque_callback_data": "x" * 513}, "biz_opaque_callback_data"),
    ({**TEXT, "context": {}}, "context['message_id']"),
    ({**TEXT, "type": "template", "template": {"name": "antwoord"}}, "template['language']['code']"),
])
async def test_a_malformed_whatsapp_message_is_refused_with_code_100_naming_the_parameter(message, parameter):
    async with serving(meta()) as client:
        response = await client.post("/v26.0/1/messages", json=message, headers=AUTH)
        error = (await response.json())["error"]
        assert response.status == 400 and error["code"] == 100
        assert parameter in error["error_data"]["details"]


async def test_messenger_and_instagram_messages_are_answered_as_the_send_api_does():
    async with serving(meta(instagram_account_ids={"17841400000000000"})) as client:
        message = {"recipient": {"id": "6543210"}, "messaging_type": "RESPONSE", "message": {"text": "Dag"}}
        for node in ("me", "17841400000000000"):
            response = await client.post(f"/v26.0/{node}/messages", json=message, headers=AUTH)
            answer = await response.json()
            assert response.status == 200
            assert answer["recipient_id"] == "6543210" and answer["message_id"].startswith("m_")
        # Graph also takes form fields (objects JSON-encoded) and the token as a parameter.
        form = {"recipient": json.dumps({"comment_id": "123_456"}), "message": json.dumps({"text": "Dag"})}
        response = await client.post(f"/v26.0/me/messages?access_token={TOKEN}", data=form)
        assert response.status == 200
        assert [r.api for r in client.app[RECORDS]] == ["messenger", "instagram", "messenger"]
        assert client.app[RECORDS][2].body == {"recipient": {"comment_id": "123_456"}, "message": {"text": "Dag"}}
        # A tag is needed with MESSAGE_TAG, and Instagram takes only HUMAN_AGENT.
        for node, tag in (("me", None), ("17841400000000000", "ACCOUNT_UPDATE")):
            tagged = {**message, "messaging_type": "MESSAGE_TAG", **({"tag": tag} if tag else {})}
            response = await client.post(f"/v26.0/{node}/messages", json=tagged, headers=AUTH)
            assert response.status == 400 and (await response.json())["error"]["code"] == 100
        human = {**message, "messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
        assert (await client.post("/v26.0/17841400000000000/messages", json=human, headers=AUTH)).status == 200


async def test_comment_replies_answer_the_new_comment_id():
    async with serving(meta()) as client:
        response = await client.post("/v26.0/123_456/comments", json={"message": "Dank u"}, headers=AUTH)
        assert response.status == 200 and (await response.json())["id"].startswith("123_")
        response = await client.post(f"/v26.0/17900000000000000/replies?message=Dank%20u&access_token={TOKEN}")
        assert response.status == 200 and (await response.json())["id"].isdigit()
        response = await client.post("/v26.0/123_456/comments", json={}, headers=AUTH)
        assert response.status == 400
        assert [(r.api, r.outcome) for r in client.app[RECORDS]] == [
            ("comment", "accepted"), ("comment", "accepted"), ("comment", "refused")]


async def test_a_fault_script_refuses_one_recipient_twice_then_accepts():
    details = "Cloud API message throughput has been reached."
    throughput = meta_error(130429, "(#130429) Rate limit hit", details=details)
    async with serving(meta()) as client:
        client.app[FAULTS].add([{"match": {"api": "whatsapp", "to": "31611111111"}, "times": 2, "fault": throughput}])
        other = await client.post("/v26.0/1/messages", json=TEXT, headers=AUTH)
        assert other.status == 200  # another recipient is not affected
        statuses = []
        for _ in range(3):
            response = await client.post("/v26.0/1/messages", json={**TEXT, "to": "31611111111"}, headers=AUTH)
            statuses.append(response.status)
            body = await response.json()
        assert statuses == [400, 400, 200] and "messages" in body
        records = [r for r in client.app[RECORDS] if r.body["to"] == "31611111111"]
        assert [r.outcome for r in records] == ["refused", "refused", "accepted"]
        assert records[0].response == throughput["body"]
        error = records[0].response["error"]
        assert error["code"] == 130429 and error["error_data"]["details"] == details


async def test_crash_after_accept_drops_the_connection_yet_the_message_counts_as_sent():
    async with serving(meta()) as client:
        client.app[FAULTS].add([{"fault": {"kind": "crash_after_accept"}}])
        with pytest.raises((aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError)):
            await client.post("/v26.0/1/messages", json=TEXT, headers=AUTH)
        [record] = client.app[RECORDS]
        assert (record.outcome, record.fault) == ("accepted", "crash_after_accept")
        assert record.response["messages"][0]["id"].startswith("wamid.")
        assert (await client.post("/v26.0/1/messages", json=TEXT, headers=AUTH)).status == 200  # used up


async def test_a_delay_answers_normally_later_and_down_answers_503():
    async with serving(meta()) as client:
        client.app[FAULTS].add([{"fault": {"kind": "delay", "seconds": 0.3}}, {"fault": {"kind": "down"}}])
        started = time.monotonic()
        assert (await client.post("/v26.0/1/messages", json=TEXT, headers=AUTH)).status == 200
        assert time.monotonic() - started >= 0.3
        assert (await client.post("/v26.0/1/messages", json=TEXT, headers=AUTH)).status == 503
        assert [r.outcome for r in client.app[RECORDS]] == ["accepted", "refused"]


@pytest.mark.parametrize("version, conversation", [("v26.0", False), ("v23.0", True)])
async def test_whatsapp_status_webhooks_arrive_signed_with_the_callback_data(version, conversation):
    async with webhook_receiver() as (base, received):
        double = meta(webhook_urls={"whatsapp": f"{base}/webhooks/whatsapp"}, version=version,
                      status_delay_seconds=0.01)
        async with serving(double) as client:
            response = await client.post("/v26.0/106540352242922/messages", headers=AUTH,
                                         json={**TEXT, "biz_opaque_callback_data": "reply-42"})
            wamid = (await response.json())["messages"][0]["id"]
            webhooks = [await next_webhook(received) for _ in range(3)]
    statuses = []
    for path, body in webhooks:
        assert path == "/webhooks/whatsapp" and body["object"] == "whatsapp_business_account"
        [change] = body["entry"][0]["changes"]
        assert change["field"] == "messages"
        assert change["value"]["metadata"]["phone_number_id"] == "106540352242922"
        [status] = change["value"]["statuses"]
        assert (status["id"], status["recipient_id"], status["biz_opaque_callback_data"]) == (
            wamid, "31612345678", "reply-42")
        assert status["timestamp"].isdigit()
        statuses.append(status)
    assert [s["status"] for s in statuses] == ["sent", "delivered", "read"]
    # Pricing comes with sent and one receipt; the conversation object only before v24.0.
    assert ["pricing" in s for s in statuses] == [True, True, False]
    assert ["conversation" in s for s in statuses] == [conversation, conversation, False]


async def test_messenger_receipts_and_instagram_seen_follow_a_message():
    async with webhook_receiver() as (base, received):
        double = meta(webhook_urls={"facebook": f"{base}/webhooks/facebook", "instagram": f"{base}/webhooks/instagram"},
                      instagram_account_ids={"17841400000000000"}, status_delay_seconds=0.01)
        message = {"recipient": {"id": "6543210"}, "messaging_type": "RESPONSE", "message": {"text": "Dag"}}
        async with serving(double) as client:
            response = await client.post("/v26.0/me/messages", json=message, headers=AUTH)
            mid = (await response.json())["message_id"]
            delivery, read = await next_webhook(received), await next_webhook(received)
            response = await client.post("/v26.0/17841400000000000/messages", json=message, headers=AUTH)
            ig_mid = (await response.json())["message_id"]
            seen = await next_webhook(received)
    assert delivery[0] == read[0] == "/webhooks/facebook"
    assert delivery[1]["object"] == "page"
    [event] = delivery[1]["entry"][0]["messaging"]
    assert event["sender"] == {"id": "6543210"} and event["delivery"]["mids"] == [mid]
    assert isinstance(event["delivery"]["watermark"], int)
    assert read[1]["entry"][0]["messaging"][0]["read"]["watermark"] >= event["delivery"]["watermark"]
    assert seen[0] == "/webhooks/instagram" and seen[1]["object"] == "instagram"
    assert seen[1]["entry"][0]["messaging"][0]["read"] == {"mid": ig_mid}
    assert received.empty()  # Instagram sends no delivery receipt


async def test_the_control_api_scripts_lists_and_resets():
    async with serving(meta()) as client:
        faults = [{"match": {"api": "whatsapp"}, "fault": meta_error(131047, "(#131047) Re-engagement message")}]
        assert (await client.post("/_double/faults", json=faults)).status == 204
        assert (await client.post("/v26.0/1/messages", json=TEXT, headers=AUTH)).status == 400
        assert (await client.post("/v26.0/1/messages", json=TEXT, headers=AUTH)).status == 200
        listed = await (await client.get("/_double/requests")).json()
        assert [(r["api"], r["outcome"], r["status"]) for r in listed] == [
            ("whatsapp", "refused", 400), ("whatsapp", "accepted", 200)]
        assert listed[1]["body"] == TEXT
        response = await client.post("/_double/faults", json=[{"fault": {"kind": "explode"}}])
        assert response.status == 400 and "kind" in (await response.json())["error"]
        await client.post("/_double/faults", json=[{"fault": {"kind": "down"}}])
        assert (await client.delete("/_double/requests")).status == 204
        assert await (await client.get("/_double/requests")).json() == []
        assert (await client.post("/v26.0/1/messages", json=TEXT, headers=AUTH)).status == 200  # fault gone too
        assert await (await client.get("/healthz")).text() == "ok"
        assert (await client.get("/readyz")).status == 200


def test_faults_are_checked_and_used_in_order():
    faults = Faults([{"match": {"to": "1"}, "fault": {"kind": "down"}},
                     {"times": 2, "fault": {"kind": "delay", "seconds": 1}}])
    assert faults.take({"to": "2"})["kind"] == "delay"
    assert faults.take({"to": "1"})["kind"] == "down"
    assert faults.take({"to": "1"})["kind"] == "delay"
    assert faults.take({"to": "1"}) is None
    for wrong in ({"fault": {"kind": "error"}}, {"fault": {"kind": "delay"}}, {"times": 0, "fault": {"kind": "down"}},
                  {"match": [], "fault": {"kind": "down"}}, {}):
        with pytest.raises(ValueError):
            faults.add([wrong])


async def test_x_dm_and_reply_tweet_are_answered_as_the_x_api_does():
    async with serving(create_x_double({TOKEN})) as client:
        response = await client.post("/2/dm_conversations/with/2244994945/messages", json={"text": "Dag"}, headers=AUTH)
        data = (await response.json())["data"]
        assert response.status == 201
        assert data["dm_conversation_id"] == "2244994945-1000000000000000001" and data["dm_event_id"].isdigit()
        reply = {"text": "We kijken ernaar", "reply": {"in_reply_to_tweet_id": "1346889436626259968"}}
        response = await client.post("/2/tweets", json=reply, headers=AUTH)
        data = (await response.json())["data"]
        assert response.status == 201 and data["text"] == reply["text"] and data["id"].isdigit()
        assert [r.api for r in client.app[RECORDS]] == ["x_dm", "x_tweet"]


async def test_x_refuses_duplicates_long_tweets_and_bad_tokens_with_problem_json():
    async with serving(create_x_double({TOKEN})) as client:
        assert (await client.post("/2/tweets", json={"text": "Dank voor uw melding"}, headers=AUTH)).status == 201
        response = await client.post("/2/tweets", json={"text": "Dank voor uw melding"}, headers=AUTH)
        assert response.status == 403
        assert await response.json() == {"title": "Forbidden", "type": "about:blank", "status": 403,
                                         "detail": "You are not allowed to create a Tweet with duplicate content."}
        response = await client.post("/2/tweets", json={"text": "x" * 281}, headers=AUTH)
        problem = await response.json()
        assert response.status == 400 and problem["title"] == "Invalid Request"
        assert problem["type"].endswith("/2/problems/invalid-request") and "text" in problem["errors"][0]["parameters"]
        response = await client.post("/2/tweets", data="text=hoi", headers=AUTH)
        assert response.status == 400
        response = await client.post("/2/tweets", json={"text": "hoi"}, headers={"Authorization": "Bearer nope"})
        assert response.status == 401 and (await response.json())["title"] == "Unauthorized"


async def test_an_x_rate_limit_fault_says_when_to_come_back():
    async with serving(create_x_double({TOKEN})) as client:
        client.app[FAULTS].add([{"match": {"api": "x_dm"}, "fault": x_error(429, reset_after_seconds=60)}])
        response = await client.post("/2/dm_conversations/with/2244994945/messages", json={"text": "Dag"}, headers=AUTH)
        assert response.status == 429 and (await response.json())["status"] == 429
        assert 0 < int(response.headers["x-rate-limit-reset"]) - time.time() <= 60


def mail(message_id: str = "<reply-1@gemeente.example>") -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "gemeente@gemeente.example", "inwoner@example.org", "Re: Afval"
    message["Message-ID"], message["In-Reply-To"] = message_id, "<citizen-1@example.org>"
    message.set_content("Uw container wordt morgen geleegd.")
    return message


def send_mail(port: int, message: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
        client.send_message(message)


async def test_the_smtp_sink_records_a_message_and_answers_a_scripted_451_once():
    sink = SmtpSink()
    sink.start()
    try:
        sink.faults.add([{"match": {"rcpt": "inwoner@example.org"}, "fault": smtp_error(451, "4.3.0 Try again later")}])
        with pytest.raises(smtplib.SMTPDataError) as refused:
            await asyncio.to_thread(send_mail, sink.port, mail())
        assert refused.value.smtp_code == 451
        await asyncio.to_thread(send_mail, sink.port, mail())
        assert [(r.outcome, r.status) for r in sink.records] == [("refused", 451), ("accepted", 250)]
        record = sink.records[1]
        assert record.api == "smtp" and record.mail_from == "gemeente@gemeente.example"
        assert record.rcpt_tos == ["inwoner@example.org"]
        assert record.headers["Message-ID"] == "<reply-1@gemeente.example>" and record.headers["Subject"] == "Re: Afval"
        assert "Uw container wordt morgen geleegd." in record.body
        async with serving(create_smtp_control(sink)) as control:
            listed = await (await control.get("/_double/requests")).json()
            assert [r["status"] for r in listed] == [451, 250]
    finally:
        sink.stop()


async def test_the_smtp_sink_can_be_down_or_drop_an_accepted_message():
    sink = SmtpSink()
    sink.start()
    try:
        sink.faults.add([
            {"match": {"message_id": "<down@gemeente.example>"}, "fault": {"kind": "down"}},
            {"match": {"message_id": "<crash@gemeente.example>"}, "fault": {"kind": "crash_after_accept"}}])
        with pytest.raises(smtplib.SMTPDataError) as down:
            await asyncio.to_thread(send_mail, sink.port, mail("<down@gemeente.example>"))
        assert down.value.smtp_code == 421
        with pytest.raises(smtplib.SMTPServerDisconnected):
            await asyncio.to_thread(send_mail, sink.port, mail("<crash@gemeente.example>"))
        assert [(r.outcome, r.fault) for r in sink.records] == [("refused", "down"), ("accepted", "crash_after_accept")]
    finally:
        sink.stop()


def test_status_webhooks_go_to_each_ingestors_registry_path():
    assert webhook_urls({"WHATSAPP_URL": "http://127.0.0.1:8081/", "INSTAGRAM_URL": "http://ig:8084"}) == {
        "whatsapp": "http://127.0.0.1:8081/webhooks/whatsapp", "instagram": "http://ig:8084/webhooks/instagram"}
