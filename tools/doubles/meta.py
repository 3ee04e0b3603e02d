r"""A local double of Meta's Graph API send endpoints, with the signed status webhooks Meta posts afterwards.

    POST /{version}/{phone_number_id}/messages   messaging_product "whatsapp": WhatsApp Cloud API
    POST /{version}/{page_id|ig_id|me}/messages  a recipient object: Messenger / Instagram Send API
    POST /{version}/{comment_id}/comments        a public reply to a Facebook comment
    POST /{version}/{comment_id}/replies         a public reply to an Instagram comment

Any version prefix v\d+.\d+ is accepted; `version` is the one the app's webhooks are subscribed with, which
decides their shape (from v24.0 WhatsApp statuses carry no conversation object). As Graph does, parameters
come as a JSON body, form fields (objects JSON-encoded) or the query string, and the token as
`Authorization: Bearer` or an access_token parameter (never recorded). A missing or unknown token is
answered 401 with code 190, a malformed message 400 with code 100 naming the parameter. Fault-match facts:
api ("whatsapp" | "messenger" | "instagram" | "comment"), path, to, recipient, comment_id, text.

After an accepted message, receipts go to webhook_urls["whatsapp" | "facebook" | "instagram"] when set, one
per status in `statuses`, `status_delay_seconds` apart, signed with X-Hub-Signature-256: WhatsApp
`statuses[]` (sent, delivered, read; pricing with sent and the first receipt, and before v24.0 the
conversation), Messenger `delivery` (mids, watermark) and `read` (watermark), Instagram only
`messaging_seen` (`read.mid`): Instagram sends no delivery receipts. A page addressed as `me` is the double's
one page, ME_PAGE_ID; address an Instagram account by its id (instagram_account_ids) for Instagram.
Comments get no receipts. The double does not know the 24-hour and 7-day windows: script their errors
(code 131047 for WhatsApp, code 10 subcode 2018278 for Messenger) as faults.

Sources (read 2026-12):
- Graph API changelog, latest version v26.0 of 29 July 2026: https://developers.facebook.com/docs/graph-api/changelog
- WhatsApp error codes and the error syntax with error_data.details:
  https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes/
- WhatsApp status messages webhook reference (statuses[], pricing, conversation omitted from v24.0):
  https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status/
- Messenger Platform (https://developers.facebook.com/documentation/business-messaging/messenger-platform/):
  send-messages, error-codes, webhooks/webhook-events/message-deliveries and .../message-reads
- Instagram messaging webhooks (messaging_seen):
  https://developers.facebook.com/documentation/business-messaging/instagram-messaging/webhooks;
  the `read.mid` shape as captured payloads show it
- Private replies (recipient.comment_id, one per comment, within 7 days):
  https://developers.facebook.com/documentation/business-messaging/messenger-platform/discovery/private-replies
- /work/shared/reference/channel-replies.md and channel-formats.md (the project's summaries)
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import secrets
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import aiohttp
from aiohttp import web

from services.ingest.channels import META_SIGNATURE_HEADER
from services.ingest.signatures import hex_signature
from tools.doubles.faults import Answer, bearer, control_app, filled, meta_error, nested, numeric_id, respond

log = logging.getLogger(__name__)

GRAPH_VERSION = "v26.0"
STATUSES = ("sent", "delivered", "read")
ME_PAGE_ID = "100000000000001"  # the page Graph resolves `me` to for the double's page token
WABA_ID = "102290129340398"  # the WhatsApp Business account and number the status webhooks name
DISPLAY_PHONE_NUMBER = "31201234567"
WEBHOOK_ATTEMPTS = 3
WEBHOOK_RETRY_SECONDS = 0.2
# Message tags the Send API takes with messaging_type MESSAGE_TAG; Instagram takes only HUMAN_AGENT.
MESSENGER_TAGS = frozenset({"HUMAN_AGENT", "ACCOUNT_UPDATE", "CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE",
                            "CUSTOMER_FEEDBACK"})
INSTAGRAM_TAGS = frozenset({"HUMAN_AGENT"})
_VERSION = r"v\d+\.\d+"


@dataclass(frozen=True)
class MetaConfig:
    """What create_meta_double was given, for the handlers (app[CONFIG])."""

    access_tokens: frozenset[str]
    app_secret: bytes
    webhook_urls: Mapping[str, str]
    webhook_major_version: int
    instagram_account_ids: frozenset[str]
    statuses: tuple[str, ...]
    status_delay_seconds: float


CONFIG = web.AppKey("meta_double_config", MetaConfig)
SESSION = web.AppKey("meta_double_session", aiohttp.ClientSession)


def create_meta_double(access_tokens: set[str], app_secret: str, webhook_urls: dict[str, str] | None = None,
                       version: str = GRAPH_VERSION, *, instagram_account_ids: set[str] | frozenset[str] = frozenset(),
                       statuses: tuple[str, ...] = STATUSES, status_delay_seconds: float = 0.05) -> web.Application:
    """The Meta double: `access_tokens` it accepts (WhatsApp system user, page tokens), `app_secret` signing the
    status webhooks, `webhook_urls` by channel (whatsapp, facebook, instagram; receipts only where one is set),
    `version` the webhooks' Graph version, `instagram_account_ids` the Send API nodes that are Instagram."""
    if not re.fullmatch(_VERSION, version):
        raise ValueError(f"version {version!r} is not like v26.0")
    if not set(statuses) <= set(STATUSES):
        raise ValueError(f"statuses must be among {', '.join(STATUSES)}")
    app = control_app()
    app[CONFIG] = MetaConfig(frozenset(access_tokens), app_secret.encode(), dict(webhook_urls or {}),
                             int(version[1:].split(".")[0]), frozenset(instagram_account_ids), tuple(statuses),
                             status_delay_seconds)
    app.cleanup_ctx.append(_client_session)
    app.router.add_post(f"/{{version:{_VERSION}}}/{{node}}/messages", messages)
    app.router.add_post(f"/{{version:{_VERSION}}}/{{node}}/comments", comment_reply)
    app.router.add_post(f"/{{version:{_VERSION}}}/{{node}}/replies", comment_reply)
    return app


async def _client_session(app: web.Application) -> AsyncIterator[None]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        app[SESSION] = session
        yield


async def messages(request: web.Request) -> web.StreamResponse:
    """Cloud API when the body says messaging_product, the Send API when it names a recipient."""
    params, token = await _params(request)
    # (The Cloud API has a recipient field of its own, for business-scoped user ids: messaging_product decides.)
    if isinstance(params, dict) and "recipient" in params and params.get("messaging_product") != "whatsapp":
        return await _send_api(request, params, token)
    return await _whatsapp(request, params, token)


async def _whatsapp(request: web.Request, params: dict | str, token: str | None) -> web.StreamResponse:
    app = request.app
    message = params if isinstance(params, dict) else {}
    to = message.get("to")

    def decide() -> Answer:
        if token not in app[CONFIG].access_tokens:
            return _unauthorized()
        problem = _whatsapp_problem(message) if isinstance(params, dict) else "The body is not a JSON object."
        if problem:
            return Answer.refusal(meta_error(100, "(#100) Invalid parameter", details=problem))
        wamid = "wamid." + base64.b64encode(secrets.token_bytes(30)).decode("ascii")
        wa_id = "".join(c for c in to if c.isdigit())
        after = None
        if "whatsapp" in app[CONFIG].webhook_urls:
            after = partial(_whatsapp_statuses, app, request.match_info["node"], wamid, wa_id, message)
        return Answer(200, {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": wa_id}],
                            "messages": [{"id": wamid}]}, after=after)

    return await respond(request, "whatsapp", params, {"to": to, "text": nested(message, "text", "body")}, decide)


def _whatsapp_problem(message: dict) -> str | None:
    """The invalid parameter of a Cloud API text or template message, as Graph's details name it; None if valid."""
    if message.get("messaging_product") != "whatsapp":
        return "The parameter messaging_product is required and must be whatsapp."
    if not filled(message.get("to")):
        return "The parameter to is required."
    kind = message.get("type", "text")
    if kind == "text":
        body = nested(message, "text", "body")
        if not filled(body):
            return "The parameter text['body'] is required."
        if len(body) > 4096:
            return "Param text['body'] must be at most 4096 characters long."
    elif kind == "template":
        if not filled(nested(message, "template", "name")):
            return "The parameter template['name'] is required."
        if not filled(nested(message, "template", "language", "code")):
            return "The parameter template['language']['code'] is required."
        components = message["template"].get("components", [])
        if not isinstance(components, list) or not all(isinstance(c, dict) and filled(c.get("type"))
                                                       for c in components):
            return "Param template['components'] must be a list of components, each with its type."
    else:
        return f"Message type {kind!r}: this double takes text and template messages."
    if "context" in message and not filled(nested(message, "context", "message_id")):
        return "The parameter context['message_id'] is required."
    callback = message.get("biz_opaque_callback_data")
    if callback is not None and not (isinstance(callback, str) and len(callback.encode()) <= 512):
        return "Param biz_opaque_callback_data must be a string of at most 512 bytes."
    return None


async def _whatsapp_statuses(app: web.Application, phone_number_id: str, wamid: str, wa_id: str,
                             message: dict) -> None:
    config = app[CONFIG]
    template = message.get("type") == "template"
    category = "utility" if template else "service"
    pricing = {"billable": template, "pricing_model": "PMP", "category": category,
               "type": "regular" if template else "free_customer_service"}
    conversation_id = secrets.token_hex(16)
    receipt_billed = False
    for status in config.statuses:
        await asyncio.sleep(config.status_delay_seconds)
        now = int(time.time())
        entry: dict[str, Any] = {"id": wamid, "status": status, "timestamp": str(now), "recipient_id": wa_id}
        if "biz_opaque_callback_data" in message:
            entry["biz_opaque_callback_data"] = message["biz_opaque_callback_data"]
        if status == "sent" or not receipt_billed:  # pricing comes with sent and one of delivered / read
            receipt_billed = receipt_billed or status != "sent"
            if config.webhook_major_version < 24:
                expiry = {"expiration_timestamp": str(now + 24 * 3600)} if status == "sent" else {}
                entry["conversation"] = {"id": conversation_id, **expiry, "origin": {"type": category}}
            entry["pricing"] = pricing
        value = {"messaging_product": "whatsapp", "statuses": [entry],
                 "metadata": {"display_phone_number": DISPLAY_PHONE_NUMBER, "phone_number_id": phone_number_id}}
        await _post_signed(app, "whatsapp", {"object": "whatsapp_business_account",
                                             "entry": [{"id": WABA_ID, "changes": [{"value": value,
                                                                                    "field": "messages"}]}]})


async def _send_api(request: web.Request, params: dict, token: str | None) -> web.StreamResponse:
    app = request.app
    node = request.match_info["node"]
    instagram = node in app[CONFIG].instagram_account_ids
    recipient = params["recipient"] if isinstance(params["recipient"], dict) else {}

    def decide() -> Answer:
        if token not in app[CONFIG].access_tokens:
            return _unauthorized()
        problem = _send_api_problem(params, instagram)
        if problem:
            return Answer.refusal(meta_error(100, f"(#100) {problem}"))
        mid = "m_" + secrets.token_urlsafe(32)
        # A private reply names the comment; Meta answers with the commenter's id, which the double makes up.
        user_id = recipient.get("id") or numeric_id()
        after = None
        if ("instagram" if instagram else "facebook") in app[CONFIG].webhook_urls:
            after = partial(_messaging_receipts, app, instagram, ME_PAGE_ID if node == "me" else node, user_id, mid)
        return Answer(200, {"recipient_id": user_id, "message_id": mid}, after=after)

    facts = {"recipient": recipient.get("id"), "comment_id": recipient.get("comment_id"),
             "text": nested(params, "message", "text")}
    return await respond(request, "instagram" if instagram else "messenger", params, facts, decide)


def _send_api_problem(params: dict, instagram: bool) -> str | None:
    recipient = params["recipient"]
    if not isinstance(recipient, dict) or sum(filled(recipient.get(k)) for k in ("id", "comment_id")) != 1:
        return "param recipient must have exactly one of id and comment_id"
    # A private reply may leave messaging_type out.
    messaging_type = params.get("messaging_type", "RESPONSE" if "comment_id" in recipient else None)
    if messaging_type not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
        return "param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}"
    tags = INSTAGRAM_TAGS if instagram else MESSENGER_TAGS
    if messaging_type == "MESSAGE_TAG" and params.get("tag") not in tags:
        return f"param tag must be one of {{{', '.join(sorted(tags))}}}"
    text = nested(params, "message", "text")
    if not filled(text):
        return "param message must have text: this double takes text messages"
    if instagram and len(text.encode()) > 1000:
        return "Length of param message[text] must be less than or equal to 1000 bytes"
    if not instagram and len(text) > 2000:
        return "Length of param message[text] must be less than or equal to 2000"
    return None


async def _messaging_receipts(app: web.Application, instagram: bool, page_id: str, user_id: str, mid: str) -> None:
    config = app[CONFIG]
    receipts = ("read",) if instagram else ("delivered", "read")  # Instagram sends no delivery receipts
    for status in (s for s in config.statuses if s in receipts):
        await asyncio.sleep(config.status_delay_seconds)
        now_ms = int(time.time() * 1000)
        if status == "delivered":
            event: dict[str, Any] = {"delivery": {"mids": [mid], "watermark": now_ms}}
        else:  # Instagram's messaging_seen names the message, Messenger's message_reads a watermark
            event = {"timestamp": now_ms, "read": {"mid": mid} if instagram else {"watermark": now_ms}}
        messaging = {"sender": {"id": user_id}, "recipient": {"id": page_id}, **event}
        await _post_signed(app, "instagram" if instagram else "facebook",
                           {"object": "instagram" if instagram else "page",
                            "entry": [{"id": page_id, "time": now_ms, "messaging": [messaging]}]})


async def comment_reply(request: web.Request) -> web.StreamResponse:
    """A public reply: Facebook answers the new comment's id "<post>_<comment>", Instagram a bare id."""
    params, token = await _params(request)
    comment_id = request.match_info["node"]
    text = params.get("message") if isinstance(params, dict) else None

    def decide() -> Answer:
        if token not in request.app[CONFIG].access_tokens:
            return _unauthorized()
        if not filled(text):
            return Answer.refusal(meta_error(100, "(#100) The parameter message is required"))
        if request.path.endswith("/replies"):
            return Answer(200, {"id": numeric_id()})
        return Answer(200, {"id": f"{comment_id.split('_')[0]}_{numeric_id()}"})

    return await respond(request, "comment", params, {"comment_id": comment_id, "text": text}, decide)


async def _params(request: web.Request) -> tuple[dict | str, str | None]:
    """The request's parameters (query string, then form fields or a JSON object; the raw text when the body
    is no JSON object) and its access token, which is taken out of them."""
    params: dict[str, Any] = {key: _decoded(value) for key, value in request.query.items()}
    if request.content_type == "application/json":
        raw = await request.text()
        try:
            body = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            body = None
        if not isinstance(body, dict):
            return raw, bearer(request) or params.get("access_token")
        params.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        params.update({key: _decoded(value) for key, value in (await request.post()).items()
                       if isinstance(value, str)})
    token = params.pop("access_token", None)
    return params, bearer(request) or token


def _decoded(value: str) -> Any:
    """A form or query value; Graph takes objects and lists in them JSON-encoded."""
    if value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _unauthorized() -> Answer:
    return Answer.refusal(meta_error(190, "Invalid OAuth access token - Cannot parse access token", 401))


async def _post_signed(app: web.Application, channel: str, payload: dict) -> None:
    """POST a webhook as Meta does, signed over the raw bytes; retried a few times, a failure only logged."""
    url = app[CONFIG].webhook_urls[channel]
    raw = json.dumps(payload, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", META_SIGNATURE_HEADER: hex_signature(app[CONFIG].app_secret, raw)}
    for attempt in range(1, WEBHOOK_ATTEMPTS + 1):
        try:
            async with app[SESSION].post(url, data=raw, headers=headers) as response:
                if response.status < 300:
                    return
                problem = f"HTTP {response.status}"
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
            problem = type(exc).__name__
        log.warning("%s status webhook to %s failed (%s), attempt %d of %d", channel, url, problem, attempt,
                    WEBHOOK_ATTEMPTS)
        if attempt < WEBHOOK_ATTEMPTS:
            await asyncio.sleep(WEBHOOK_RETRY_SECONDS * attempt)
