"""X / Twitter ingestor wiring: the CRC GET and the signed POST on /webhooks/twitter."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from aiohttp import web

from services.ingest.channels import channel
from services.ingest.delivery import Deliverer
from services.ingest.http import build_ingestor, webhook_handler
from services.ingest.payload import Normalised, parse_json_object
from services.ingest.pseudonym import Pseudonymizer
from services.ingest.signatures import SignatureCheck, base64_signature, check_base64_signature
from services.ingest.threads import ThreadIndex
from services.ingest.twitter.normalise import tweet_parents, twitter_webhook_to_contacts
from services.ingest.twitter.settings import TwitterSettings

CHANNEL = channel("twitter")
PATH = CHANNEL.webhook_path
SIGNATURE_HEADER = CHANNEL.signature_header


# X's CRC tokens are short base64-like strings. The CRC answer is the same HMAC as a POST's signature, so a
# token that could be a body would make us sign a forged webhook: accept only an alphabet no JSON body
# (which starts with "{") can be written in.
CRC_TOKEN = re.compile(r"[A-Za-z0-9+/=_-]{1,255}")


class BadCrcToken(ValueError):
    pass


def crc_response(consumer_secret: bytes, crc_token: str) -> dict[str, str]:
    if not CRC_TOKEN.fullmatch(crc_token):
        raise BadCrcToken("crc_token must be 1 to 255 characters of A-Z, a-z, 0-9, + / = _ -")
    return {"response_token": base64_signature(consumer_secret, crc_token.encode("utf-8"))}


def create_app(settings: TwitterSettings) -> web.Application:
    ingestor = build_ingestor(settings, CHANNEL.name)
    add_twitter_routes(ingestor.app, ingestor.deliverer, ingestor.pseudonymizer, ingestor.threads, settings)
    return ingestor.app


def add_twitter_routes(
    app: web.Application,
    deliverer: Deliverer,
    pseudonymizer: Pseudonymizer,
    threads: ThreadIndex,
    settings: TwitterSettings,
) -> None:
    secret = settings.twitter_consumer_secret.get_secret_value().encode()

    async def answer_crc(request: web.Request) -> web.Response:
        try:
            return web.json_response(crc_response(secret, request.query.get("crc_token", "")))
        except BadCrcToken as exc:
            return web.json_response({"error": str(exc)}, status=400)

    def check_signature(body: bytes, request: web.Request) -> SignatureCheck:
        return check_base64_signature(secret, body, request.headers.get(SIGNATURE_HEADER))

    async def normalise(body: bytes, _: web.Request) -> Normalised:
        payload = parse_json_object(body)
        roots = await threads.roots(CHANNEL.name, tweet_parents(payload))
        return twitter_webhook_to_contacts(payload, datetime.now(timezone.utc), pseudonymizer, roots)

    app.router.add_get(PATH, answer_crc)
    app.router.add_post(PATH, webhook_handler(deliverer, check_signature, normalise))
