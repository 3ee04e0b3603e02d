"""Redis helpers shared by the ingestors and the router."""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

# One command for a whole batch: a pipeline of SET ... EX costs the client ~50 µs per key to build,
# which at 500 keys a batch was a tenth of the router's time. The script sets them server-side.
_SET_MANY = """
local ttl = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('SET', key, ARGV[i + 1], 'EX', ttl)
end
return #KEYS
"""


async def set_many(redis: Redis, values: Mapping[str, bytes | str], ttl_seconds: int) -> None:
    """SET every key with the same expiry in one round trip (raises RedisError when Redis is away)."""
    if not values:
        return
    await script(redis, _SET_MANY)(keys=list(values), args=[ttl_seconds, *values.values()])


# Several groups of keys, each with its own expiry, in one round trip: ARGV = group count, then per group
# its size and TTL, then the values; KEYS = the keys of all groups in that order.
_SET_GROUPS = """
local groups = tonumber(ARGV[1])
local key, value = 1, 2 + 2 * groups
for g = 0, groups - 1 do
  local size, ttl = tonumber(ARGV[2 + 2 * g]), tonumber(ARGV[3 + 2 * g])
  for _ = 1, size do
    redis.call('SET', KEYS[key], ARGV[value], 'EX', ttl)
    key, value = key + 1, value + 1
  end
end
return #KEYS
"""


async def set_groups(redis: Redis, groups: Sequence[tuple[Mapping[str, bytes | str], int]]) -> None:
    """set_many() of several (values, ttl_seconds) groups in one round trip (raises RedisError)."""
    groups = [(values, ttl) for values, ttl in groups if values]
    if not groups:
        return
    keys = [key for values, _ in groups for key in values]
    sizes = [arg for values, ttl in groups for arg in (len(values), ttl)]
    await script(redis, _SET_GROUPS)(keys=keys, args=[len(groups), *sizes, *(v for values, _ in groups for v in values.values())])


# INCR and, for a new key, EXPIRE in one step: a key that is counted always expires (no window left without
# a TTL if the client dies between two commands).
_COUNT_IN_WINDOW = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return {count, redis.call('TTL', KEYS[1])}
"""


async def count_in_window(redis: Redis, key: str, window_seconds: int) -> tuple[int, int]:
    """Count one more event under `key` in a window that starts with its first event: (count, seconds
    the window has left). Raises RedisError when Redis is away."""
    count, ttl = await script(redis, _COUNT_IN_WINDOW)(keys=[key], args=[window_seconds])
    return int(count), int(ttl)


def script(redis: Redis, source: str) -> AsyncScript:
    """The registered Lua script for `source` on this client (registered once; call it with client=pipe
    to queue it in a pipeline)."""
    scripts = _scripts.setdefault(redis, {})
    if source not in scripts:
        scripts[source] = redis.register_script(source)
    return scripts[source]


_scripts: weakref.WeakKeyDictionary[Redis, dict[str, AsyncScript]] = weakref.WeakKeyDictionary()
