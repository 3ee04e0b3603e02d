"""Web form ingestor wiring: signed POST on /webhooks/webform."""

from __future__ import annotations

from datetime import datetime, timezone

from aiohttp import web

from services.ingest.channels import channel
from services.ingest.delivery import Deliverer
from services.ingest.http import build_ingestor, webhook_handler
from services.ingest.payload import Normalised
from services.ingest.pseudonym import Pseudonymizer
from services.ingest.signatures import SignatureCheck, check_hex_signature
from services.ingest.webform.normalise import parse_webform_body, webform_submission_to_contact
from services.ingest.webform.settings import WebformSettings

CHANNEL = channel("webform")
PATH = CHANNEL.webhook_path
SIGNATURE_HEADER = CHANNEL.signature_header


def create_app(settings: WebformSettings) -> web.Application:
    ingestor = build_ingestor(settings, CHANNEL.name)
    add_webform_routes(ingestor.app, ingestor.deliverer, ingestor.pseudonymizer, settings)
    return ingestor.app


def add_webform_routes(
    app: web.Application, deliverer: Deliverer, pseudonymizer: Pseudonymizer, settings: WebformSettings
) -> None:
    secret = settings.webform_secret.get_secret_value().encode()

    def check_signature(body: bytes, request: web.Request) -> SignatureCheck:
        return check_hex_signature(secret, body, request.headers.get(SIGNATURE_HEADER))

    def normalise(body: bytes, request: web.Request) -> Normalised:
        fields = parse_webform_body(body, request.content_type)
        return webform_submission_to_contact(fields, datetime.now(timezone.utc), pseudonymizer)

    app.router.add_post(PATH, webhook_handler(deliverer, check_signature, normalise))
