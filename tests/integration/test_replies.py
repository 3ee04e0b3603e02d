"""Answers go back in the citizen's channel, once: a platform's own webhook in through the real ingestor (which
keeps the reply address at the edge), a Reply on contact.replies, the reply sender's request at the platform
double, and the ReplyStatus. Real broker, Redis, services and doubles (tools/doubles)."""

from __future__ import annotations

import json
import smtplib
import time
import urllib.request
import uuid
from email import message_from_string
from email.message import EmailMessage

import grpc
import pytest
from gemeente.contact.v1 import replies_pb2, replies_pb2_grpc
from kafka import KafkaProducer

from services.contract import codec, topics
from services.runtime.grpc_client import authenticated_channel
from tests.conftest import SECRETS
from tests.helpers import read_topics
from tests.integration.test_channels import FIXTURES, meta_post, routed, twitter_post, unique

Failure = codec.ReplyFailure
State = codec.ReplyState


def control(port: int, path: str = "requests", method: str = "GET", body: object = None):  # noqa: ANN201
    request = urllib.request.Request(f"http://127.0.0.1:{port}/_double/{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def arrived(port: int, match, count: int = 1, timeout: float = 30) -> list[dict]:  # noqa: ANN001
    """The accepted requests at a double that `match`, once `count` of them arrived (or the timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [r for r in control(port) if r["outcome"] == "accepted" and match(r)]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def publish(broker, *replies: codec.Reply) -> None:
    producer = KafkaProducer(bootstrap_servers=broker.address, acks="all")
    for reply in replies:
        producer.send(topics.REPLIES, key=reply.conversation_id.encode(), value=reply.SerializeToString())
    producer.flush()
    producer.close()


def statuses(broker, reply_id: str, until_state: int, timeout: float = 40) -> list[codec.ReplyStatus]:
    def of_reply(records):  # noqa: ANN001, ANN202
        return [s for s in (codec.decode_reply_status(r.value) for r in records) if s.reply_id == reply_id]

    records = read_topics(broker.address, [topics.REPLY_STATUS],
                          until=lambda recs: any(s.state == until_state for s in of_reply(recs)), timeout=timeout)
    return of_reply(records)


def answer(message: codec.ContactMessage, text: str, **fields) -> codec.Reply:
    reply = codec.Reply(reply_id="r-" + uuid.uuid4().hex, conversation_id=message.conversation_id, in_reply_to=message.id,
                        channel=message.channel, text=text, department="afval", staff_id="afd-afval-7",
                        author_role=codec.AuthorRole.AUTHOR_ROLE_DEPARTMENT, **fields)
    reply.created_at.FromSeconds(int(time.time()))
    return reply


def whatsapp_message(stack, broker, sender: str) -> tuple[codec.ContactMessage, str]:
    urls, _, _ = stack
    wamid = "wamid." + uuid.uuid4().hex
    document = unique(json.loads((FIXTURES / "whatsapp" / "text.json").read_text()),
                      {"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=": wamid, "16505551234": sender})
    assert meta_post(urls["whatsapp"] + "/webhooks/whatsapp", document) == 200
    return routed(broker, codec.Channel.CHANNEL_WHATSAPP, wamid).message, wamid


def test_a_whatsapp_answer_reaches_the_citizen_once_quoting_their_message(stack, broker, doubles_ports):
    sender = "3161" + str(uuid.uuid4().int)[:7]
    message, wamid = whatsapp_message(stack, broker, sender)
    assert sender.encode() not in message.SerializeToString(), "the routed message never carries the number"
    reply = answer(message, "Dank u wel, we legen uw container morgen alsnog.")
    publish(broker, *[reply] * 5)  # the same reply id five times
    [request] = arrived(doubles_ports["meta"], lambda r: r["body"].get("to") == sender)
    assert request["body"]["text"]["body"] == reply.text
    assert request["body"]["context"] == {"message_id": wamid}
    assert request["body"]["biz_opaque_callback_data"] == reply.reply_id
    assert request["path"].endswith("/106540352242922/messages")
    sent = [s for s in statuses(broker, reply.reply_id, State.REPLY_STATE_SENT) if s.state == State.REPLY_STATE_SENT]
    assert sent and sent[0].platform_message_id.startswith("wamid.")
    assert sent[0].department == "afval" and sent[0].conversation_id == message.conversation_id
    # The platform's status webhooks (signed, through the WhatsApp ingestor) move it on, once each, in order.
    fates = [s.state for s in statuses(broker, reply.reply_id, State.REPLY_STATE_READ)]
    assert fates.count(State.REPLY_STATE_DELIVERED) == 1 and fates.count(State.REPLY_STATE_READ) == 1
    assert fates.index(State.REPLY_STATE_SENT) < fates.index(State.REPLY_STATE_DELIVERED) < fates.index(
        State.REPLY_STATE_READ)
    assert len(arrived(doubles_ports["meta"], lambda r: r["body"].get("to") == sender, count=2, timeout=1)) == 1


def test_throttling_is_retried_and_the_answer_sent_once(stack, broker, doubles_ports):
    sender = "3162" + str(uuid.uuid4().int)[:7]
    message, _ = whatsapp_message(stack, broker, sender)
    throttled = {"kind": "error", "status": 400, "body": {"error": {
        "message": "(#130429) Rate limit hit", "type": "OAuthException", "code": 130429, "fbtrace_id": "Az"}}}
    control(doubles_ports["meta"], "faults", "POST", [{"match": {"to": sender}, "times": 2, "fault": throttled}])
    reply = answer(message, "We kijken ernaar.")
    publish(broker, reply)
    [request] = arrived(doubles_ports["meta"], lambda r: r["body"].get("to") == sender)
    refused = [r for r in control(doubles_ports["meta"]) if r["outcome"] == "refused" and r["body"].get("to") == sender]
    assert len(refused) == 2, "two throttled attempts, then the one that went"
    assert any(s.state == State.REPLY_STATE_SENT for s in statuses(broker, reply.reply_id, State.REPLY_STATE_SENT))


def test_outside_the_window_the_platform_refusal_fails_the_reply_with_its_reason(stack, broker, doubles_ports):
    sender = "3163" + str(uuid.uuid4().int)[:7]
    message, _ = whatsapp_message(stack, broker, sender)
    closed = {"kind": "error", "status": 400, "body": {"error": {
        "message": "(#131047) Re-engagement message", "type": "OAuthException", "code": 131047, "fbtrace_id": "Az",
        "error_data": {"messaging_product": "whatsapp", "details": "Message failed to send because more than 24 "
                                                                   "hours have passed since the customer last replied"}}}}
    control(doubles_ports["meta"], "faults", "POST", [{"match": {"to": sender}, "times": 1, "fault": closed}])
    reply = answer(message, "Nog een vraag?")
    publish(broker, reply)
    failed = [s for s in statuses(broker, reply.reply_id, State.REPLY_STATE_FAILED) if s.state == State.REPLY_STATE_FAILED]
    assert failed and failed[0].failure == Failure.REPLY_FAILURE_WINDOW_CLOSED
    assert "sjabloon" in failed[0].explanation
    letters = read_topics(broker.address, [topics.DEADLETTER], timeout=10, until=lambda recs: any(
        codec.DeadLetter.FromString(r.value).stage == "replies.whatsapp"
        and codec.decode_reply(codec.DeadLetter.FromString(r.value).original).reply_id == reply.reply_id for r in recs))
    assert any(codec.DeadLetter.FromString(r.value).error.startswith("window_closed") for r in letters
               if codec.DeadLetter.FromString(r.value).stage == "replies.whatsapp")
    assert not arrived(doubles_ports["meta"], lambda r: r["body"].get("to") == sender, timeout=0)


def test_a_public_reply_to_a_mention_with_a_phone_number_is_refused_and_a_clean_one_goes(stack, broker, doubles_ports):
    urls, _, _ = stack
    tweet_id = str(uuid.uuid4().int)[:18]
    document = unique(json.loads((FIXTURES / "twitter" / "tweet_mention.json").read_text()),
                      {"1992177777777777777": tweet_id})
    assert twitter_post(urls["twitter"] + "/webhooks/twitter", document) == 200
    message = routed(broker, codec.Channel.CHANNEL_TWITTER, tweet_id).message
    personal = answer(message, "Bel ons even op 06-12345678, dan regelen we het.")
    clean = answer(message, "Dank voor uw melding! We sturen er vandaag iemand heen.")
    publish(broker, personal, clean)
    failed = [s for s in statuses(broker, personal.reply_id, State.REPLY_STATE_FAILED) if s.state == State.REPLY_STATE_FAILED]
    assert failed and failed[0].failure == Failure.REPLY_FAILURE_PERSONAL_DATA_IN_PUBLIC_REPLY
    [tweet] = arrived(doubles_ports["x"], lambda r: r["body"].get("reply", {}).get("in_reply_to_tweet_id") == tweet_id)
    assert tweet["body"]["text"] == clean.text


def test_an_email_answer_threads_under_the_citizens_mail(stack, broker, doubles_ports):
    _, extra, _ = stack
    own_id = f"<{uuid.uuid4().hex}@burger.example>"
    mail = EmailMessage()
    mail["From"] = "Inwoner <inwoner@burger.example>"
    mail["To"] = "info@gemeente.example"
    mail["Subject"] = "Grofvuil ophalen"
    mail["Message-ID"] = own_id
    mail["References"] = "<eerder@burger.example>"
    mail.set_content("Wanneer halen jullie mijn oude bank op?")
    with smtplib.SMTP("127.0.0.1", extra["email_smtp"], timeout=10) as smtp:
        smtp.send_message(mail)
    message = routed(broker, codec.Channel.CHANNEL_EMAIL, own_id).message
    reply = answer(message, "U kunt een afspraak maken via de website.")
    publish(broker, reply)
    [received] = arrived(doubles_ports["smtp_control"], lambda r: own_id in r["body"])
    delivered = message_from_string(received["body"])
    assert received["rcpt_tos"] == ["inwoner@burger.example"]
    assert delivered["From"] == "info@gemeente.example", "from the mailbox the citizen wrote to"
    assert delivered["In-Reply-To"] == own_id
    assert delivered["References"].split() == ["<eerder@burger.example>", own_id]
    assert delivered["Subject"] == "Re: Grofvuil ophalen"
    sent = [s for s in statuses(broker, reply.reply_id, State.REPLY_STATE_SENT) if s.state == State.REPLY_STATE_SENT]
    assert sent[0].platform_message_id == delivered["Message-ID"]


@pytest.mark.parametrize("channel", [codec.Channel.CHANNEL_KCC])
def test_a_channel_without_an_outbound_way_fails_with_no_reply_channel(stack, broker, channel):
    reply = codec.Reply(reply_id="r-" + uuid.uuid4().hex, conversation_id="kcc-" + uuid.uuid4().hex, channel=channel,
                        text="Teruggebeld", department="burgerzaken", author_role=codec.AuthorRole.AUTHOR_ROLE_WEBCARE)
    publish(broker, reply)
    failed = [s for s in statuses(broker, reply.reply_id, State.REPLY_STATE_FAILED) if s.state == State.REPLY_STATE_FAILED]
    assert failed and failed[0].failure == Failure.REPLY_FAILURE_NO_REPLY_CHANNEL


def department_token(department: str) -> str:
    return dict(p.split("=", 1) for p in SECRETS["DEPARTMENT_API_TOKENS"].split(","))[department]


def test_a_department_answers_through_reply_service_once_and_sees_its_status(stack, broker, doubles_ports):
    _, extra, _ = stack
    address = f"127.0.0.1:{extra['router_grpc']}"
    sender = "3164" + str(uuid.uuid4().int)[:7]
    message, wamid = whatsapp_message(stack, broker, sender)
    routed_to = routed(broker, codec.Channel.CHANNEL_WHATSAPP, wamid).decision.department or "afval"
    other = "verkeer" if routed_to != "verkeer" else "afval"
    reply = codec.Reply(reply_id="r-" + uuid.uuid4().hex, conversation_id=message.conversation_id,
                        in_reply_to=message.id, text="Uw melding is doorgezet naar de inzameldienst.",
                        department=routed_to, staff_id="afd-7")
    with authenticated_channel(address, department_token(other)) as elsewhere:
        foreign = codec.Reply()
        foreign.CopyFrom(reply)
        foreign.department = other
        with pytest.raises(grpc.RpcError) as refused:
            replies_pb2_grpc.ReplyServiceStub(elsewhere).Send(replies_pb2.SendReplyRequest(reply=foreign), timeout=10)
        assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED, "not this department's conversation"
    with authenticated_channel(address, SECRETS["WEBCARE_API_TOKEN"] if routed_to == "triage"
                               else department_token(routed_to)) as own:
        stub = replies_pb2_grpc.ReplyServiceStub(own)
        answers = [stub.Send(replies_pb2.SendReplyRequest(reply=reply), timeout=10) for _ in range(3)]
        assert {a.reply_id for a in answers} == {reply.reply_id}
        [request] = arrived(doubles_ports["meta"], lambda r: r["body"].get("to") == sender)
        assert request["body"]["text"]["body"] == reply.text
        deadline = time.monotonic() + 20
        went = (State.REPLY_STATE_SENT, State.REPLY_STATE_DELIVERED, State.REPLY_STATE_READ)
        while (status := stub.Status(replies_pb2.ReplyStatusRequest(reply_id=reply.reply_id), timeout=10)).state \
                not in went and time.monotonic() < deadline:
            time.sleep(0.2)
        assert status.state in went and status.platform_message_id.startswith("wamid.")
        assert stub.Send(replies_pb2.SendReplyRequest(reply=reply), timeout=10).state in went
        with pytest.raises(grpc.RpcError) as unknown:
            stub.Status(replies_pb2.ReplyStatusRequest(reply_id="r-nobody"), timeout=10)
        assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
    assert len(arrived(doubles_ports["meta"], lambda r: r["body"].get("to") == sender, count=2, timeout=1)) == 1
    # The KPIs count what really left, from contact.reply-status.
    urls, _, _ = stack
    series = f'contact_reply_statuses_total{{channel="whatsapp",department="{routed_to}",state="sent"}}'
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with urllib.request.urlopen(urls["metrics"] + "/metrics", timeout=5) as response:
            exported = response.read().decode()
        if series in exported:
            break
        time.sleep(0.5)
    assert series in exported


def test_reply_service_refuses_what_cannot_go(stack):
    _, extra, _ = stack
    with authenticated_channel(f"127.0.0.1:{extra['router_grpc']}", SECRETS["WEBCARE_API_TOKEN"]) as webcare:
        stub = replies_pb2_grpc.ReplyServiceStub(webcare)
        kcc = codec.Reply(reply_id="r-" + uuid.uuid4().hex, conversation_id="kcc-" + uuid.uuid4().hex, text="Hallo")
        with pytest.raises(grpc.RpcError) as no_channel:
            stub.Send(replies_pb2.SendReplyRequest(reply=kcc), timeout=10)
        assert no_channel.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "kanaal" in no_channel.value.details()
        empty = codec.Reply(reply_id="r-" + uuid.uuid4().hex, conversation_id="wa-" + uuid.uuid4().hex)
        with pytest.raises(grpc.RpcError) as invalid:
            stub.Send(replies_pb2.SendReplyRequest(reply=empty), timeout=10)
        assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with authenticated_channel(f"127.0.0.1:{extra['router_grpc']}", SECRETS["KCC_API_TOKEN"]) as kcc_app:
        with pytest.raises(grpc.RpcError) as not_allowed:
            replies_pb2_grpc.ReplyServiceStub(kcc_app).Status(replies_pb2.ReplyStatusRequest(reply_id="r"), timeout=10)
        assert not_allowed.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_a_platform_that_is_down_gets_every_answer_afterwards_in_the_order_written(stack, broker, doubles_ports):
    """The Graph API answers 503 for a while; the conversation's three answers wait and leave in order."""
    sender = "3165" + str(uuid.uuid4().int)[:7]
    message, _ = whatsapp_message(stack, broker, sender)
    control(doubles_ports["meta"], "faults", "POST", [{"match": {"to": sender}, "times": 6, "fault": {"kind": "down"}}])
    written = [answer(message, f"Bericht {n} van 3 over uw container.") for n in (1, 2, 3)]
    publish(broker, *written)
    requests = arrived(doubles_ports["meta"], lambda r: r["body"].get("to") == sender, count=3, timeout=60)
    assert [r["body"]["text"]["body"] for r in requests] == [r.text for r in written]
    refused = [r for r in control(doubles_ports["meta"]) if r["outcome"] == "refused" and r["body"].get("to") == sender]
    assert len(refused) == 6, "the outage was seen and waited out"


def test_an_answer_lost_after_the_platform_accepted_it_is_not_sent_twice(stack, broker, doubles_ports):
    """The Graph API accepts, then the connection drops before its answer: the sender cannot know whether it
    went. WhatsApp's status webhook carries our reply id, so it waits for that instead of sending again."""
    sender = "3166" + str(uuid.uuid4().int)[:7]
    message, _ = whatsapp_message(stack, broker, sender)
    control(doubles_ports["meta"], "faults", "POST",
            [{"match": {"to": sender}, "times": 1, "fault": {"kind": "crash_after_accept"}}])
    reply = answer(message, "Dit antwoord gaat precies één keer.")
    publish(broker, reply)
    fates = [s.state for s in statuses(broker, reply.reply_id, State.REPLY_STATE_READ)]
    assert State.REPLY_STATE_SENT in fates and State.REPLY_STATE_READ in fates
    time.sleep(1)
    assert len(arrived(doubles_ports["meta"], lambda r: r["body"].get("to") == sender, count=2, timeout=0)) == 1


def test_the_sender_killed_after_the_platform_accepted_does_not_send_again(stack, broker, doubles_ports):
    """SIGKILL between the platform accepting and the sender recording it: the restarted sender finds the
    reply in flight, waits for its lease, and the platform's status webhook (carrying the reply id) has
    meanwhile said it went; nothing is sent a second time."""
    urls, _, processes = stack
    sender = "3167" + str(uuid.uuid4().int)[:7]
    message, _ = whatsapp_message(stack, broker, sender)
    control(doubles_ports["meta"], "faults", "POST",
            [{"match": {"to": sender}, "times": 1, "fault": {"kind": "slow_answer", "seconds": 12}}])
    reply = answer(message, "Ook na een harde herstart gaat dit antwoord maar één keer.")
    publish(broker, reply)
    assert arrived(doubles_ports["meta"], lambda r: r["body"].get("to") == sender), "the platform accepted it"
    processes["replies"].kill_and_start()  # before the answer: the ledger still says "sending"
    processes["replies"].wait_ready(urls["replies"] + "/readyz")
    fates = [s.state for s in statuses(broker, reply.reply_id, State.REPLY_STATE_READ, timeout=60)]
    assert State.REPLY_STATE_READ in fates
    time.sleep(2)
    assert len(arrived(doubles_ports["meta"], lambda r: r["body"].get("to") == sender, count=2, timeout=0)) == 1
