"""Web form ingestor wiring: signed POST on /webhooks/webform."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from aiohttp import web
from redis.asyncio import Redis
from redis.exceptions import RedisError

from services.ingest.channels import channel
from services.ingest.delivery import Deliverer
from services.ingest.http import build_ingestor, webhook_handler
from services.ingest.payload import Normalised, RateLimited
from services.ingest.pseudonym import Pseudonymizer
from services.ingest.signatures import SignatureCheck, check_hex_signature
from services.ingest.webform.normalise import (
    parse_webform_body,
    webform_submission_to_contact,
)
from services.ingest.webform.settings import WebformSettings
from services.runtime.redis_store import count_in_window

CHANNEL = channel("webform")
PATH = CHANNEL.webhook_path
SIGNATURE_HEADER = CHANNEL.signature_header


def create_app(settings: WebformSettings) -> web.Application:
    ingestor = build_ingestor(settings, CHANNEL.name)
    add_webform_routes(ingestor.app, ingestor.deliverer, ingestor.pseudonymizer, settings, ingestor.redis)
    return ingestor.app


class ClientLimit:
    """At most `limit` submissions per client per window, counted in Redis (a key per client that expires
    with its window). Without Redis the limit is not applied: a citizen is never refused for our outage."""

    def __init__(self, redis: Redis | None, limit: int, window_seconds: int) -> None:
        self.redis = redis
        self.limit = limit
        self.window = window_seconds

    async def check(self, client: str) -> None:
        if not client or self.redis is None:
            return
        key = "ratelimit:webform:" + hashlib.sha256(client.encode()).hexdigest()[:32]
        try:
            count, seconds_left = await count_in_window(self.redis, key, self.window)
        except RedisError:
            return
        if count > self.limit:
            raise RateLimited(max(1, seconds_left))


def add_webform_routes(
    app: web.Application, deliverer: Deliverer, pseudonymizer: Pseudonymizer, settings: WebformSettings,
    redis: Redis | None = None,
) -> None:
    secret = settings.webform_secret.get_secret_value().encode()
    limit = ClientLimit(redis, settings.webform_client_limit, settings.webform_client_window_seconds)

    def check_signature(body: bytes, request: web.Request) -> SignatureCheck:
        return check_hex_signature(secret, body, request.headers.get(SIGNATURE_HEADER))

    async def normalise(body: bytes, request: web.Request) -> Normalised:
        fields = parse_webform_body(body, request.content_type)
        await limit.check(fields.get("client", ""))
        return webform_submission_to_contact(fields, datetime.now(timezone.utc), pseudonymizer)

    app.router.add_post(PATH, webhook_handler(deliverer, check_signature, normalise))
