"""Signed-in sessions, in Redis with an expiry: the cookie holds a random id, Redis holds its sha-256 (a
copy of Redis gives no one a usable cookie), the staff member and the session's CSRF token."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

from redis.asyncio import Redis

from services.console.staff import Staff

SESSION_PREFIX = "console:session:"


@dataclass(frozen=True)
class Session:
    staff: Staff
    csrf_token: str

    def csrf_matches(self, presented: str) -> bool:
        return bool(presented) and hmac.compare_digest(presented, self.csrf_token)


def _key(session_id: str) -> str:
    return SESSION_PREFIX + hashlib.sha256(session_id.encode("utf-8")).hexdigest()


class SessionStore:
    def __init__(self, redis: Redis, seconds: int) -> None:
        self.redis = redis
        self.seconds = seconds

    async def create(self, staff: Staff) -> tuple[str, Session]:
        session_id = secrets.token_urlsafe(32)
        session = Session(staff, secrets.token_urlsafe(32))
        value = {"staff_id": staff.staff_id, "name": staff.name, "roles": sorted(staff.roles),
                 "csrf": session.csrf_token}
        await self.redis.set(_key(session_id), json.dumps(value), ex=self.seconds)
        return session_id, session

    async def get(self, session_id: str) -> Session | None:
        if not session_id or len(session_id) > 128:
            return None
        value = await self.redis.get(_key(session_id))
        if value is None:
            return None
        stored = json.loads(value)
        return Session(Staff(stored["staff_id"], stored["name"], frozenset(stored["roles"])), stored["csrf"])

    async def delete(self, session_id: str) -> None:
        await self.redis.delete(_key(session_id))
