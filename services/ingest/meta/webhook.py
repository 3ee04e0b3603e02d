"""What every Meta webhook (WhatsApp, Messenger, Instagram) shares: the verification GET and the signature."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone

from aiohttp import web

from services.ingest.channels import META_SIGNATURE_HEADER, Channel
from services.ingest.delivery import Deliverer
from services.ingest.http import build_ingestor, webhook_handler
from services.ingest.meta.settings import MetaSettings
from services.ingest.payload import Normalised, parse_json_object
from services.ingest.pseudonym import Pseudonymizer
from services.ingest.signatures import SignatureCheck, check_hex_signature

SIGNATURE_HEADER = META_SIGNATURE_HEADER


def verification_answer(query: dict[str, str], verify_token: str) -> tuple[int, str]:
    """Meta's subscription check: echo hub.challenge when mode and token are right, else 403."""
    mode = query.get("hub.mode", "")
    token = query.get("hub.verify_token", "")
    challenge = query.get("hub.challenge", "")
    if mode == "subscribe" and challenge and hmac.compare_digest(token.encode(), verify_token.encode()):
        return 200, challenge
    return 403, "verification failed"


def verification_handler(verify_token: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def verify_subscription(request: web.Request) -> web.Response:
        status, text = verification_answer(dict(request.query), verify_token)
        return web.Response(status=status, text=text, content_type="text/plain")

    return verify_subscription


def signature_checker(app_secret: bytes) -> Callable[[bytes, web.Request], SignatureCheck]:
    def check_meta_signature(body: bytes, request: web.Request) -> SignatureCheck:
        return check_hex_signature(app_secret, body, request.headers.get(SIGNATURE_HEADER))

    return check_meta_signature


# A channel's pure normaliser: parsed body, receive time, pseudonymizer → what it holds.
MetaNormaliser = Callable[[dict, datetime, Pseudonymizer], Normalised]


def create_meta_app(settings: MetaSettings, channel: Channel, to_contacts: MetaNormaliser) -> web.Application:
    """A whole Meta webhook ingestor (WhatsApp, Facebook or Instagram): only the normaliser differs."""
    ingestor = build_ingestor(settings, channel.name)
    add_meta_routes(ingestor.app, channel.webhook_path, ingestor.deliverer, ingestor.pseudonymizer, to_contacts,
                    settings)
    return ingestor.app


def add_meta_routes(
    app: web.Application,
    path: str,
    deliverer: Deliverer,
    pseudonymizer: Pseudonymizer,
    to_contacts: MetaNormaliser,
    settings: MetaSettings,
) -> None:
    """GET verification and the signed POST on `path`."""

    def normalise(body: bytes, _: web.Request) -> Normalised:
        return to_contacts(parse_json_object(body), datetime.now(timezone.utc), pseudonymizer)

    app.router.add_get(path, verification_handler(settings.meta_verify_token.get_secret_value()))
    app.router.add_post(
        path,
        webhook_handler(deliverer, signature_checker(settings.meta_app_secret.get_secret_value().encode()), normalise),
    )
