"""Claims: who is working on a conversation, so that no citizen gets two answers.

A claim is one Redis key per conversation with an expiry (the claim lapses by itself when its holder walks
away); taking and releasing are scripts, so two people opening the same conversation at once cannot both
win. Every change is published on a Redis channel, so every console replica tells its browsers at once.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from redis.asyncio import Redis

CLAIM_PREFIX = "console:claim:"
CHANGES_CHANNEL = "console:claims"
PLACING_PREFIX = "console:placing:"  # a message being or having been placed from a console: never twice
PLACING_SECONDS = 3600

# Take the claim when it is free or already ours (then extend it); otherwise answer the holder's value.
_TAKE = """
local current = redis.call('GET', KEYS[1])
if current then
  local holder = cjson.decode(current)
  if holder['staff'] ~= ARGV[1] then return current end
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return ARGV[2]
"""
# Release only our own claim.
_RELEASE = """
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
if cjson.decode(current)['staff'] ~= ARGV[1] then return -1 end
redis.call('DEL', KEYS[1])
return 1
"""


@dataclass(frozen=True)
class Claim:
    conversation_id: str
    staff: str  # the holder's pseudonymous staff id
    name: str  # the holder's display name, shown to colleagues ("in behandeling door ...")
    until: float  # epoch seconds

    @classmethod
    def stored(cls, conversation_id: str, value: bytes | str) -> "Claim":
        """The claim as its Redis value holds it."""
        holder = json.loads(value)
        return cls(conversation_id, holder["staff"], holder["name"], holder["until"])

    def as_event(self) -> dict:
        return {"conversation_id": self.conversation_id, "staff": self.staff, "name": self.name,
                "until": self.until}


class ClaimBook:
    def __init__(self, redis: Redis, seconds: int) -> None:
        self.redis = redis
        self.seconds = seconds
        self._take = redis.register_script(_TAKE)
        self._release = redis.register_script(_RELEASE)

    async def take(self, conversation_id: str, staff: str, name: str) -> tuple[bool, Claim]:
        """(True, our claim) or (False, the colleague's claim that stands)."""
        until = time.time() + self.seconds
        value = json.dumps({"staff": staff, "name": name, "until": until})
        answer = await self._take(keys=[CLAIM_PREFIX + conversation_id], args=[staff, value, self.seconds])
        claim = Claim.stored(conversation_id, answer)
        if claim.staff == staff:
            await self.redis.publish(CHANGES_CHANNEL, json.dumps({"claim": claim.as_event()}))
        return claim.staff == staff, claim

    async def release(self, conversation_id: str, staff: str) -> bool:
        """False when the claim is someone else's (it stays); True when ours is gone or there was none."""
        answer = await self._release(keys=[CLAIM_PREFIX + conversation_id], args=[staff])
        if answer == 1:
            await self.redis.publish(CHANGES_CHANNEL, json.dumps({"release": conversation_id}))
        return answer != -1

    async def holders(self, conversation_ids: list[str]) -> dict[str, Claim]:
        if not conversation_ids:
            return {}
        values = await self.redis.mget([CLAIM_PREFIX + c for c in conversation_ids])
        now = time.time()
        claims = (Claim.stored(c, value) for c, value in zip(conversation_ids, values) if value)
        return {claim.conversation_id: claim for claim in claims if claim.until > now}

    async def start_placing(self, message_id: str, staff: str) -> bool:
        """True for the one caller that may ask the router to place `message_id` (the mark outlives the
        replicas' catching up with the correction, and a repeated click)."""
        return bool(await self.redis.set(PLACING_PREFIX + message_id, staff, nx=True, ex=PLACING_SECONDS))

    async def placing_failed(self, message_id: str) -> None:
        """The router certainly did not place it: someone may try again."""
        await self.redis.delete(PLACING_PREFIX + message_id)
