"""The send ledger: a reply id is sent once, however often it is published, and a crash is not a resend.

One Redis hash per reply, `reply:<reply id>` (expires after REPLY_LEDGER_TTL_SECONDS, 30 days):
  state      queued → sending → sent → delivered → read, or failed (final)
  inflight   1 while a request is at the platform: a crash then leaves the outcome unknown
  lease      ms until which the process working on it owns it (renewed before every attempt)
  since      ms of the first attempt (retries give up REPLY_RETRY_SECONDS after it)
  platform   the platform's id of what it accepted; `reply:pid:<platform id>` points back (status webhooks)
  failure    the reason of a failed reply (a ReplyFailure label)
  conversation, department   whose reply it is, noted by ReplyService (for Status and its permissions)
Why this and what window remains: docs/adr/0013-the-send-ledger.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from services.contract import codec

from services.runtime.redis_store import script

PREFIX = "reply:"
# How long a reply id is remembered (REPLY_LEDGER_TTL_SECONDS): a retry of the same id within it is not sent.
DEFAULT_TTL_SECONDS = 30 * 24 * 3600
PLATFORM_PREFIX = "reply:pid:"
# reply:sent:<conversation id>: a sorted set of the conversation's replies by the time they were sent, for
# receipts that name a watermark instead of messages (Messenger).
SENT_PREFIX = "reply:sent:"
ONCE_PREFIX = "reply:once:"

# ARGV: now ms, lease ms, ttl s, then field/value pairs of what the reply is about (set once). Returns
# {verdict, state, since, platform}.
_BEGIN = """
local k = KEYS[1]
local now, lease, ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
for i = 4, #ARGV, 2 do redis.call('HSETNX', k, ARGV[i], ARGV[i + 1]) end
local state = redis.call('HGET', k, 'state')
if state and state ~= 'queued' and state ~= 'sending' then
  return {'done', state, '', redis.call('HGET', k, 'platform') or ''}
end
local verdict = state and 'go' or 'new'
if state == 'sending' then
  if tonumber(redis.call('HGET', k, 'lease') or '0') > now then return {'busy', state, '', ''} end
  if redis.call('HGET', k, 'inflight') == '1' then verdict = 'unsure' end
end
redis.call('HSET', k, 'state', 'sending', 'lease', now + lease)
redis.call('HSETNX', k, 'since', now)
redis.call('EXPIRE', k, ttl)
return {verdict, state or '', redis.call('HGET', k, 'since'), ''}
"""


def public_state(kept: str) -> int:
    """The ReplyState of a ledger state: "sending" (and nothing yet) is still QUEUED to the outside."""
    if kept in ("", "queued", "sending"):
        return codec.ReplyState.REPLY_STATE_QUEUED
    return codec.ReplyState.Value(f"REPLY_STATE_{kept.upper()}")


# ARGV: platform id. SENT unless a receipt already moved the reply further.
_SENT = """
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'queued' or state == 'sending' or not state then redis.call('HSET', KEYS[1], 'state', 'sent') end
redis.call('HSET', KEYS[1], 'inflight', 0, 'platform', ARGV[1])
return 1
"""


@dataclass(frozen=True)
class Begun:
    """What the ledger said when work on a reply began."""

    verdict: str  # new | go (queued before) | unsure (a crash during a request) | busy (another owns it) | done
    state: str  # the state it had
    since_ms: int  # first attempt
    platform_id: str = ""


class SendLedger:
    def __init__(self, redis: Redis, ttl_seconds: int) -> None:
        self.redis = redis
        self.ttl = ttl_seconds

    @staticmethod
    def key(reply_id: str) -> str:
        return PREFIX + reply_id

    async def begin(self, reply_id: str, now_ms: int, lease_ms: int, about: dict[str, str] | None = None) -> Begun:
        """Own the reply for `lease_ms` unless another process does; `about` (conversation, channel, ...) is
        kept with it so a status webhook can say whose reply it was."""
        pairs = [item for field_value in (about or {}).items() for item in field_value]
        verdict, state, since, platform = await script(self.redis, _BEGIN)(
            keys=[self.key(reply_id)], args=[now_ms, lease_ms, self.ttl, *pairs])
        text = [v.decode() if isinstance(v, bytes) else str(v) for v in (verdict, state, since, platform)]
        return Begun(text[0], text[1], int(text[2] or 0), text[3])

    async def attempt(self, reply_id: str, lease_until_ms: int) -> None:
        """A request is about to go: from now until `not_sent` or `sent`, a crash leaves it unsure."""
        await self.redis.hset(self.key(reply_id), mapping={"inflight": 1, "lease": lease_until_ms})

    async def not_sent(self, reply_id: str, lease_until_ms: int) -> None:
        """The platform answered with a refusal: nothing went; the lease covers the back-off."""
        await self.redis.hset(self.key(reply_id), mapping={"inflight": 0, "lease": lease_until_ms})

    async def sent(self, reply_id: str, platform_id: str, conversation_id: str = "", at_ms: int = 0) -> None:
        """The platform accepted it. A receipt may have come first (delivered, read): it is not moved back."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.eval(_SENT, 1, self.key(reply_id), platform_id)
            if platform_id:
                pipe.set(PLATFORM_PREFIX + platform_id, reply_id, ex=self.ttl)
            if conversation_id:
                pipe.zadd(SENT_PREFIX + conversation_id, {reply_id: at_ms})
                pipe.expire(SENT_PREFIX + conversation_id, self.ttl)
            await pipe.execute()

    async def failed(self, reply_id: str, failure: str) -> None:
        await self.redis.hset(self.key(reply_id), mapping={"state": "failed", "inflight": 0, "failure": failure})

    async def state(self, reply_id: str) -> tuple[str, str]:
        """(state, platform id) as kept now ("" when unknown)."""
        state, platform = await self.redis.hmget(self.key(reply_id), ["state", "platform"])
        return (state or b"").decode(), (platform or b"").decode()

    async def note(self, reply_id: str, conversation_id: str, department: str) -> bool:
        """ReplyService: whose reply this is (for Status), before it is published. False when the reply id
        was noted before (a retry of the same Send: nothing is published twice)."""
        key = self.key(reply_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hsetnx(key, "conversation", conversation_id)
            pipe.hsetnx(key, "department", department)
            pipe.expire(key, self.ttl)
            new, _, _ = await pipe.execute()
        return bool(new)

    async def describe(self, reply_id: str) -> dict[str, str]:
        """Everything kept of a reply: state, platform, failure, conversation, department ({} when unknown)."""
        return {k.decode(): v.decode() for k, v in (await self.redis.hgetall(self.key(reply_id))).items()}

    async def claim_once(self, once_key: str, reply_id: str) -> bool:
        """Whether `once_key` (a comment's one private reply) is this reply's: the first to claim it keeps it."""
        key = ONCE_PREFIX + once_key
        if await self.redis.set(key, reply_id, nx=True, ex=self.ttl):
            return True
        return (await self.redis.get(key) or b"").decode() == reply_id
