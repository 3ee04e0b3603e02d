"""gRPC ReplyService: departments' own systems and webcare answer a citizen; the reply goes to contact.replies.

Send is idempotent by reply id (the second Send of an id publishes nothing and answers the reply's state);
webcare may answer any conversation, a department only one the router routed to it. The channel follows
from the conversation id (the registry's prefixes); a channel that cannot answer (KCC) is refused at once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection

import grpc
from gemeente.contact.v1 import replies_pb2, replies_pb2_grpc
from google.protobuf.timestamp_pb2 import Timestamp
from prometheus_client import Counter
from redis.exceptions import RedisError

from services.contract import codec, topics
from services.contract.access import WEBCARE
from services.contract.replies import EXPLANATIONS, InvalidReply, check_reply
from services.contract.vocabulary import TRIAGE
from services.ingest.channels import channel_of_conversation
from services.replies.ledger import SendLedger, public_state
from services.router.memory import ConversationMemory
from services.runtime.grpc_server import CALLER

log = logging.getLogger(__name__)
SERVICE_NAME = replies_pb2.DESCRIPTOR.services_by_name["ReplyService"].full_name
ACCEPTED = Counter("contact_replies_accepted_total", "Replies accepted over gRPC, by channel and author role.",
                   ["channel", "role"])
Publish = Callable[[str, bytes, bytes], Awaitable[None]]
State = codec.ReplyState
Failure = codec.ReplyFailure


class ReplyServicer(replies_pb2_grpc.ReplyServiceServicer):
    def __init__(self, departments: Collection[str], memory: ConversationMemory, ledger: SendLedger,
                 publish: Publish) -> None:
        self.departments = departments
        self.memory = memory
        self.ledger = ledger
        self.publish = publish

    async def Send(self, request, context):  # noqa: N802, ANN001, ANN201 - gRPC's names
        caller = CALLER.get()
        reply = codec.Reply()
        reply.CopyFrom(request.reply)
        channel = channel_of_conversation(reply.conversation_id)
        if channel is None:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, EXPLANATIONS[Failure.REPLY_FAILURE_UNKNOWN_CONVERSATION])
        if not channel.replies.can_reply:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, EXPLANATIONS[Failure.REPLY_FAILURE_NO_REPLY_CHANNEL])
        reply.channel = codec.Channel.Value(f"CHANNEL_{channel.name.upper()}")
        webcare = caller.role == WEBCARE
        reply.author_role = codec.AuthorRole.AUTHOR_ROLE_WEBCARE if webcare else codec.AuthorRole.AUTHOR_ROLE_DEPARTMENT
        if webcare and not reply.department:
            reply.department = TRIAGE
        now = Timestamp()
        now.GetCurrentTime()
        try:
            reply = check_reply(reply, self.departments, now)
        except InvalidReply as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        try:
            if not webcare:
                routed_to = (await self.memory.departments([reply.conversation_id])).get(reply.conversation_id)
                if routed_to != caller.department:
                    await context.abort(grpc.StatusCode.PERMISSION_DENIED,
                                        "Dit gesprek is niet naar uw afdeling gerouteerd; alleen webcare of die "
                                        "afdeling kan antwoorden.")
            if not await self.ledger.note(reply.reply_id, reply.conversation_id, reply.department):
                state = public_state((await self.ledger.describe(reply.reply_id)).get("state", ""))
                return replies_pb2.SendReplyResponse(reply_id=reply.reply_id, state=state)
        except RedisError:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "Redis not reachable; retry with the same reply id")
        try:
            await self.publish(topics.REPLIES, reply.conversation_id.encode(), reply.SerializeToString())
        except Exception as exc:  # noqa: BLE001 - whatever Kafka raised, the caller must retry
            log.warning("Reply not published: %s", type(exc).__name__)
            await self.ledger.redis.delete(self.ledger.key(reply.reply_id))  # a retry of this id may publish
            await context.abort(grpc.StatusCode.UNAVAILABLE, "Kafka did not acknowledge the reply; retry")
        ACCEPTED.labels(channel.name, caller.role).inc()
        return replies_pb2.SendReplyResponse(reply_id=reply.reply_id, state=State.REPLY_STATE_QUEUED)

    async def Status(self, request, context):  # noqa: N802, ANN001, ANN201
        caller = CALLER.get()
        try:
            kept = await self.ledger.describe(request.reply_id)
        except RedisError:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "Redis not reachable; retry")
        if not kept:
            await context.abort(grpc.StatusCode.NOT_FOUND, "no reply with this id (or older than its retention)")
        if caller.role != WEBCARE and kept.get("department") != caller.department:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, "a reply of another department")
        failure = (Failure.Value(f"REPLY_FAILURE_{kept['failure'].upper()}") if kept.get("failure")
                   else Failure.REPLY_FAILURE_UNSPECIFIED)
        return replies_pb2.ReplyStatusResponse(
            reply_id=request.reply_id, conversation_id=kept.get("conversation", ""),
            state=public_state(kept.get("state", "")), platform_message_id=kept.get("platform", ""),
            failure=failure, explanation=EXPLANATIONS.get(failure, ""))
