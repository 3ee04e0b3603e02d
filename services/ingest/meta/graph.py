"""The Graph API transport of WhatsApp, Messenger and Instagram answers: one POST, its answer classified.

Meta's errors are told apart by `error.code` (never by the title), as its documentation asks: the
window closed (131047, 10), undeliverable (131026, 551), unsupported (131051), an invalid token (190,
HTTP 401: an operator must renew it, so it alerts), throttling (130429, 4, 80007, ...: retried with
back-off), the pair rate limit (131056: the same citizen again in 6 s), transient (1, 2, HTTP 5xx).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp

from services.contract import codec
from services.replies.http import post_json
from services.replies.senders import Accepted, Failed, Outgoing, Retry

Failure = codec.ReplyFailure
# https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/ and the Graph API's
# "Handling errors" page: codes by what the sender must do.
_PERMANENT = {
    131047: Failure.REPLY_FAILURE_WINDOW_CLOSED,
    10: Failure.REPLY_FAILURE_WINDOW_CLOSED,  # Messenger: "sent outside of allowed window"
    131026: Failure.REPLY_FAILURE_UNDELIVERABLE,
    551: Failure.REPLY_FAILURE_UNDELIVERABLE,  # Messenger: this person isn't available
    131051: Failure.REPLY_FAILURE_UNSUPPORTED,
    132001: Failure.REPLY_FAILURE_UNSUPPORTED,  # template does not exist (in this language)
    190: Failure.REPLY_FAILURE_TOKEN_INVALID,
    102: Failure.REPLY_FAILURE_TOKEN_INVALID,
}
_THROTTLED = {4, 17, 32, 341, 613, 80007, 130429}
_TRANSIENT = {1, 2, 131016, 133004}
PAIR_RATE_LIMIT = 131056
PAIR_RATE_SECONDS = 6.0


def graph_error(status: int, body: Mapping[str, Any]) -> Retry | Failed:
    """What an error answer of the Graph API means for the sender."""
    error = body.get("error") if isinstance(body.get("error"), dict) else {}
    code = error.get("code") if isinstance(error.get("code"), int) else None
    detail = f"Graph API {status}, error code {code}"
    if code == PAIR_RATE_LIMIT:
        return Retry("pair_rate_limited", PAIR_RATE_SECONDS, detail)
    if code in _THROTTLED or status == 429:
        return Retry("rate_limited", None, detail)
    if code in _TRANSIENT or status >= 500:
        return Retry("server_error", None, detail)
    if code in _PERMANENT:
        failure = _PERMANENT[code]
        return Failed(failure, detail, alert=failure == Failure.REPLY_FAILURE_TOKEN_INVALID)
    if status == 401:
        return Failed(Failure.REPLY_FAILURE_TOKEN_INVALID, detail, alert=True)
    return Failed(Failure.REPLY_FAILURE_REFUSED, detail)


def accepted_id(body: Mapping[str, Any]) -> str:
    """The platform's id of what it accepted: WhatsApp messages[0].id, Messenger message_id, a comment's id."""
    messages = body.get("messages")
    if isinstance(messages, list) and messages and isinstance(messages[0], dict) and messages[0].get("id"):
        return str(messages[0]["id"])
    return str(body.get("message_id") or body.get("id") or "")


class GraphTransport:
    """POST {META_GRAPH_API_URL}/{version}/{path} with the channel's token."""

    def __init__(self, settings: Any, session: aiohttp.ClientSession, token: str) -> None:
        self.base = f"{settings.meta_graph_api_url.rstrip('/')}/{settings.meta_graph_api_version}"
        self.session = session
        self.token = token
        self.timeout = settings.reply_request_timeout_seconds

    async def send(self, outgoing: Outgoing, reply_id: str) -> Accepted:
        status, _, answer = await post_json(self.session, f"{self.base}/{outgoing.path}", self.token,
                                            outgoing.body or {}, self.timeout)
        if 200 <= status < 300:
            return Accepted(accepted_id(answer))
        raise graph_error(status, answer)
