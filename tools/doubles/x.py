"""A local double of the X API v2 endpoints the gemeente answers with: a DM and a reply tweet.

    POST /2/dm_conversations/with/{participant_id}/messages  {"text": ...}
        → 201 {"data": {"dm_conversation_id": "<lower id>-<higher id>", "dm_event_id": ...}}
    POST /2/tweets  {"text": ..., "reply": {"in_reply_to_tweet_id": ...}}
        → 201 {"data": {"id": ..., "edit_history_tweet_ids": [id], "text": ...}}

Refusals are X's problem JSON: 401 for a missing or unknown bearer token; 400 invalid-request for a body
that is no JSON (X wants content-type application/json), a missing text, a tweet over 280 characters (the
double counts code points; X weighs URLs and CJK differently) or a DM over 10,000; 403 "You are not
allowed to create a Tweet with duplicate content." for a tweet whose text an earlier accepted tweet had.
Script 429 with x_error(429), which sets x-rate-limit-reset. Fault-match facts: api ("x_dm" | "x_tweet"),
path, participant_id, in_reply_to_tweet_id, text.

Sources (read 2026-12):
- X API response codes and error format (about:blank, invalid-request):
  https://docs.x.com/x-api/fundamentals/response-codes-and-errors
- The DM and post endpoints: https://docs.x.com/xdks/ruby/reference/clients/direct-messages and the X API
  v2 reference for POST /2/tweets
- The 403 duplicate problem as X sends it: https://github.com/akrherz/iembot/issues/163; the invalid-request
  body and the JSON content-type rule: https://github.com/abraham/twitteroauth/issues/1082
- /work/shared/reference/channel-replies.md (the project's summary)
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from tools.doubles.faults import (
    RECORDS,
    Answer,
    bearer,
    control_app,
    filled,
    nested,
    numeric_id,
    respond,
    x_error,
)

# The gemeente's own account in the double: the other side of every DM conversation.
ACCOUNT_ID = "1000000000000000001"
MAX_TWEET_CHARS = 280
MAX_DM_CHARS = 10_000
DUPLICATE = "You are not allowed to create a Tweet with duplicate content."
BEARER_TOKENS = web.AppKey("x_double_bearer_tokens", frozenset[str])


def create_x_double(bearer_tokens: set[str]) -> web.Application:
    """The X double, accepting the OAuth 2.0 user tokens in `bearer_tokens`."""
    app = control_app()
    app[BEARER_TOKENS] = frozenset(bearer_tokens)
    app.router.add_post(r"/2/dm_conversations/with/{participant_id:\d+}/messages", direct_message)
    app.router.add_post("/2/tweets", tweet)
    return app


async def direct_message(request: web.Request) -> web.StreamResponse:
    participant_id = request.match_info["participant_id"]
    body = await _body(request)
    text = nested(body, "text")

    def decide() -> Answer:
        refused = _refusal(request, body) or _text_refusal(text, MAX_DM_CHARS)
        if refused:
            return refused
        conversation = "-".join(sorted((ACCOUNT_ID, participant_id), key=int))
        return Answer(201, {"data": {"dm_conversation_id": conversation, "dm_event_id": numeric_id()}})

    return await respond(request, "x_dm", body, {"participant_id": participant_id, "text": text}, decide)


async def tweet(request: web.Request) -> web.StreamResponse:
    body = await _body(request)
    text = nested(body, "text")
    in_reply_to = nested(body, "reply", "in_reply_to_tweet_id")

    def decide() -> Answer:
        refused = _refusal(request, body) or _text_refusal(text, MAX_TWEET_CHARS)
        if refused:
            return refused
        if "reply" in body and not (isinstance(in_reply_to, str) and in_reply_to.isdigit()):
            return _invalid("reply.in_reply_to_tweet_id", in_reply_to, "in_reply_to_tweet_id must be a tweet id")
        if any(r.api == "x_tweet" and r.outcome == "accepted" and nested(r.body, "text") == text
               for r in request.app[RECORDS]):
            return Answer.refusal(x_error(403, DUPLICATE))
        tweet_id = numeric_id()
        return Answer(201, {"data": {"id": tweet_id, "edit_history_tweet_ids": [tweet_id], "text": text}})

    facts = {"in_reply_to_tweet_id": in_reply_to, "text": text}
    return await respond(request, "x_tweet", body, facts, decide)


async def _body(request: web.Request) -> dict | str:
    """The JSON object posted, or the raw text when it is none."""
    raw = await request.text()
    try:
        body = json.loads(raw)
    except json.JSONDecodeError:
        return raw
    return body if isinstance(body, dict) else raw


def _refusal(request: web.Request, body: dict | str) -> Answer | None:
    """401 without a known user token; 400 for a body that is no JSON object (checked in this order, as X)."""
    if bearer(request) not in request.app[BEARER_TOKENS]:
        return Answer.refusal(x_error(401))
    if request.content_type != "application/json" or not isinstance(body, dict):
        return Answer.refusal(x_error(400, errors=[
            {"parameters": {}, "message": "Requests with bodies must have content-type of application/json."}]))
    return None


def _text_refusal(text: Any, limit: int) -> Answer | None:
    if not filled(text):
        return _invalid("text", text, "text is required")
    if len(text) > limit:
        return _invalid("text", text, f"text must be at most {limit} characters")
    return None


def _invalid(parameter: str, value: object, message: str) -> Answer:
    return Answer.refusal(x_error(400, errors=[{"parameters": {parameter: [value]}, "message": message}]))
