"""The reply contract (state order, validation), the platforms' errors as the transports read them, and the
encryption of reply addresses at the edge."""

from __future__ import annotations

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from services.contract import codec
from services.contract.replies import EXPLANATIONS, FAILURE_LABELS, InvalidReply, advances, check_reply
from services.ingest.addresses import AddressCipher, AddressUnreadable
from services.ingest.email.relay import smtp_error
from services.ingest.meta.graph import accepted_id, graph_error
from services.ingest.twitter.xapi import x_error
from services.replies.senders import Failed, Retry

State = codec.ReplyState
Failure = codec.ReplyFailure


def test_states_only_move_forward_and_failed_is_final():
    assert advances(State.REPLY_STATE_QUEUED, State.REPLY_STATE_SENT)
    assert advances(State.REPLY_STATE_SENT, State.REPLY_STATE_READ), "a read may come without a delivered"
    assert not advances(State.REPLY_STATE_READ, State.REPLY_STATE_DELIVERED)
    assert not advances(State.REPLY_STATE_SENT, State.REPLY_STATE_SENT)
    assert advances(State.REPLY_STATE_SENT, State.REPLY_STATE_FAILED)
    assert not advances(State.REPLY_STATE_FAILED, State.REPLY_STATE_SENT)


def test_every_failure_has_a_dutch_explanation():
    named = [v for v in Failure.values() if v != Failure.REPLY_FAILURE_UNSPECIFIED]
    assert set(named) == set(EXPLANATIONS)
    assert "window_closed" in FAILURE_LABELS and "personal_data_in_public_reply" in FAILURE_LABELS


def valid_reply(**fields) -> codec.Reply:
    base = dict(reply_id="r-1", conversation_id="wa-1", channel=codec.Channel.CHANNEL_WHATSAPP, text="Hallo",
                author_role=codec.AuthorRole.AUTHOR_ROLE_WEBCARE, department="triage", staff_id="w-17")
    return codec.Reply(**{**base, **fields})


@pytest.mark.parametrize("fields", [{"reply_id": ""}, {"conversation_id": ""}, {"text": ""}, {"department": "nergens"},
                                    {"staff_id": "jan@gemeente.nl"}, {"author_role": 0}, {"text": "x" * 5000},
                                    {"channel": 0}, {"reply_id": "a\nb"}])
def test_an_incomplete_reply_is_refused(fields):
    with pytest.raises(InvalidReply):
        check_reply(valid_reply(**fields), ["afval"], Timestamp(seconds=1))


def test_a_valid_reply_gets_its_created_time():
    assert check_reply(valid_reply(), ["afval"], Timestamp(seconds=7)).created_at.seconds == 7


@pytest.mark.parametrize(("status", "code", "kind", "meaning"), [
    (400, 131047, Failed, Failure.REPLY_FAILURE_WINDOW_CLOSED),
    (400, 131026, Failed, Failure.REPLY_FAILURE_UNDELIVERABLE),
    (400, 131051, Failed, Failure.REPLY_FAILURE_UNSUPPORTED),
    (401, 190, Failed, Failure.REPLY_FAILURE_TOKEN_INVALID),
    (400, 10, Failed, Failure.REPLY_FAILURE_WINDOW_CLOSED),
    (400, 100, Failed, Failure.REPLY_FAILURE_REFUSED),
    (429, 130429, Retry, "rate_limited"),
    (400, 131056, Retry, "pair_rate_limited"),
    (500, 2, Retry, "server_error"),
    (503, None, Retry, "server_error"),
])
def test_graph_errors_by_their_code(status, code, kind, meaning):
    body = {"error": {"message": "(#x) ...", "type": "OAuthException", "code": code, "fbtrace_id": "A"}} if code else {}
    outcome = graph_error(status, body)
    assert isinstance(outcome, kind)
    assert (outcome.failure if kind is Failed else outcome.reason) == meaning
    if code == 190:
        assert outcome.alert
    if code == 131056:
        assert outcome.after_seconds >= 6


def test_accepted_ids_of_each_graph_answer():
    assert accepted_id({"messaging_product": "whatsapp", "contacts": [], "messages": [{"id": "wamid.X"}]}) == "wamid.X"
    assert accepted_id({"recipient_id": "1", "message_id": "m_1"}) == "m_1"
    assert accepted_id({"id": "17858893269000001"}) == "17858893269000001"


def test_x_errors():
    limited = x_error(429, {"x-rate-limit-reset": "1000030"}, now=1000000)
    assert isinstance(limited, Retry) and limited.after_seconds == 30
    assert isinstance(x_error(403, {}, 0), Failed) and x_error(403, {}, 0).failure == Failure.REPLY_FAILURE_REFUSED
    assert x_error(401, {}, 0).alert
    assert isinstance(x_error(503, {}, 0), Retry)


def test_smtp_4xx_is_temporary_and_5xx_permanent():
    assert isinstance(smtp_error(451, "x"), Retry)
    assert smtp_error(550, "x").failure == Failure.REPLY_FAILURE_UNDELIVERABLE
    assert smtp_error(554, "x").failure == Failure.REPLY_FAILURE_REFUSED


def test_addresses_are_sealed_to_their_key_and_survive_a_rotation():
    old = AddressCipher(["old-reply-address-key-0123456789"])
    sealed = old.seal("replyto:msg:1", b'{"recipient":"31612345678"}')
    assert b"31612345678" not in sealed
    assert old.open("replyto:msg:1", sealed) == b'{"recipient":"31612345678"}'
    with pytest.raises(AddressUnreadable):
        old.open("replyto:msg:2", sealed)  # copied under another key
    rotated = AddressCipher.from_setting("new-reply-address-key-0123456789,old-reply-address-key-0123456789")
    assert rotated.open("replyto:msg:1", sealed) == b'{"recipient":"31612345678"}'
    with pytest.raises(AddressUnreadable):
        AddressCipher(["another-key-entirely-0123456789"]).open("replyto:msg:1", sealed)
    with pytest.raises(ValueError):
        AddressCipher.from_setting("")
