"""The X API v2 transport: a DM or a reply tweet, its answer classified.

429: wait until `x-rate-limit-reset` (Unix seconds); 403: refused (duplicate text, replies restricted,
access tier), never retried; 401: the user token is no longer valid (an operator renews it: alert);
5xx and no answer: retried with back-off.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp

from services.contract import codec
from services.replies.http import post_json
from services.replies.senders import Accepted, Failed, Outgoing, Retry

Failure = codec.ReplyFailure


def x_error(status: int, headers: Mapping[str, str], now: float) -> Retry | Failed:
    detail = f"X API {status}"
    if status == 429:
        try:
            wait = max(0.0, float(headers.get("x-rate-limit-reset", "")) - now)
        except ValueError:
            wait = None
        return Retry("rate_limited", wait, detail)
    if status >= 500:
        return Retry("server_error", None, detail)
    if status == 401:
        return Failed(Failure.REPLY_FAILURE_TOKEN_INVALID, detail, alert=True)
    return Failed(Failure.REPLY_FAILURE_REFUSED, detail)


def accepted_id(body: Mapping[str, Any]) -> str:
    data = body.get("data") if isinstance(body.get("data"), dict) else {}
    return str(data.get("dm_event_id") or data.get("id") or "")


class XTransport:
    """POST {X_API_URL}/{path} with the gemeente account's OAuth 2.0 user token."""

    def __init__(self, settings: Any, session: aiohttp.ClientSession, token: str,
                 clock: Callable[[], float] = time.time) -> None:
        self.base = settings.x_api_url.rstrip("/")
        self.session = session
        self.token = token
        self.timeout = settings.reply_request_timeout_seconds
        self.clock = clock

    async def send(self, outgoing: Outgoing, reply_id: str) -> Accepted:
        status, headers, answer = await post_json(self.session, f"{self.base}/{outgoing.path}", self.token,
                                                  outgoing.body or {}, self.timeout)
        if 200 <= status < 300:
            return Accepted(accepted_id(answer))
        raise x_error(status, headers, self.clock())
