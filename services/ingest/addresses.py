"""Where an answer must go, kept at the channel's edge: the ingestors write it, only the reply sender reads it.

A normaliser (pure) returns, beside each ContactMessage, the `ReplyAddress` an answer to it needs: the
citizen's WhatsApp number, page-scoped id, X user id, e-mail address with Message-ID and References, or
the id of the public comment or tweet. The address never goes on Kafka: the ingestor keeps it in Redis,
encrypted (AES-256-GCM) with REPLY_ADDRESS_KEY, which only the ingestors and the reply sender have. The
router, the console and the metrics service share the Redis but cannot read these values.

Keys (each with the channel's retention, `Replies.retention_days` in the channel registry: as long as an
answer is still possible there, then the address is gone):
  replyto:msg:<message id>        the address of one message (threading: context, In-Reply-To, comment id)
  replyto:conv:<conversation id>  the address of the conversation's latest citizen message, prefixed by its
                                  time in ms, so an older message arriving late never replaces a newer one
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Mapping, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from redis.asyncio import Redis

from services.ingest.payload import ReplyAddress

MESSAGE_PREFIX = "replyto:msg:"
CONVERSATION_PREFIX = "replyto:conv:"


class AddressUnreadable(Exception):
    """A stored address that no configured key decrypts (a key rotated away, or tampering)."""


class AddressCipher:
    """AES-256-GCM with keys derived (HKDF-SHA256) from REPLY_ADDRESS_KEY; the Redis key is the associated
    data, so a value copied under another key does not decrypt. The first key encrypts; every key decrypts
    (rotation: put the new key first, keep the old one until its values expired)."""

    def __init__(self, secrets: Sequence[str]) -> None:
        if not secrets or any(len(s) < 24 for s in secrets):
            raise ValueError("REPLY_ADDRESS_KEY must be set: at least 24 characters (comma-separated for rotation)")
        self._keys = {self._key_id(s): AESGCM(self._derive(s)) for s in secrets}
        self._current = self._key_id(secrets[0])

    @classmethod
    def from_setting(cls, value: str) -> "AddressCipher":
        return cls([part.strip() for part in value.split(",") if part.strip()])

    @staticmethod
    def _derive(secret: str) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"gemeente reply address v1").derive(
            secret.encode())

    @staticmethod
    def _key_id(secret: str) -> bytes:
        return hashlib.sha256(b"key id:" + secret.encode()).digest()[:4]

    def seal(self, redis_key: str, plaintext: bytes) -> bytes:
        nonce = os.urandom(12)
        sealed = self._keys[self._current].encrypt(nonce, plaintext, redis_key.encode())
        return base64.b64encode(self._current + nonce + sealed)

    def open(self, redis_key: str, value: bytes) -> bytes:
        raw = base64.b64decode(value)
        key = self._keys.get(raw[:4])
        if key is None:
            raise AddressUnreadable("sealed with a key that is no longer configured")
        try:
            return key.decrypt(raw[4:16], raw[16:], redis_key.encode())
        except InvalidTag:
            raise AddressUnreadable("does not decrypt under its own key") from None


# SET the conversation's address only when it is newer than the one kept (ARGV: ms, value, ttl).
_SET_IF_NEWER = """
local kept = redis.call('GET', KEYS[1])
if kept then
  local at = tonumber(string.match(kept, '^(%d+)|'))
  if at and at > tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], 'EX', ARGV[3])
return 1
"""


class ReplyAddressBook:
    """The Redis side of reply addresses: written by the ingestors, read by the reply sender."""

    def __init__(self, redis: Redis, cipher: AddressCipher) -> None:
        self.redis = redis
        self.cipher = cipher

    async def remember(self, addresses: Mapping[tuple[str, str], ReplyAddress], ttl_seconds: int) -> None:
        """Keep each (message id, conversation id) → address; raises RedisError when Redis is away."""
        if not addresses:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for (message_id, conversation_id), address in addresses.items():
                plain = address.to_json()
                key = MESSAGE_PREFIX + message_id
                pipe.set(key, self.cipher.seal(key, plain), ex=ttl_seconds)
                conversation_key = CONVERSATION_PREFIX + conversation_id
                # EVAL, not a registered script: a pipeline cannot load one (the script is 300 bytes).
                pipe.eval(_SET_IF_NEWER, 1, conversation_key, int(address.at * 1000),
                          self.cipher.seal(conversation_key, plain), ttl_seconds)
            await pipe.execute()

    async def lookup(self, conversation_id: str, message_id: str = "") -> tuple[ReplyAddress | None, ReplyAddress | None]:
        """(the conversation's latest address, the answered message's address), None where not kept."""
        conversation_key = CONVERSATION_PREFIX + conversation_id
        message_key = MESSAGE_PREFIX + message_id if message_id else None
        keys = [conversation_key, *([message_key] if message_key else [])]
        values = await self.redis.mget(keys)
        latest = None
        if values[0] is not None:
            _, _, sealed = values[0].partition(b"|")
            latest = ReplyAddress.from_json(self.cipher.open(conversation_key, sealed))
        answered = None
        if message_key and values[1] is not None:
            answered = ReplyAddress.from_json(self.cipher.open(message_key, values[1]))
        return latest, answered
