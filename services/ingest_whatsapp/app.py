"""WhatsApp ingestor wiring: GET verification and signed POST on /webhooks/whatsapp."""

from __future__ import annotations

from datetime import datetime, timezone

from aiohttp import web

from services.common import meta
from services.common.ingest import Deliverer, Normalised, build_ingestor, parse_json_object, webhook_handler
from services.common.pseudonym import Pseudonymizer
from services.common.settings import WhatsAppSettings
from services.ingest_whatsapp.normalise import whatsapp_webhook_to_contacts

PATH = "/webhooks/whatsapp"


def create_app(settings: WhatsAppSettings) -> web.Application:
    app, deliverer = build_ingestor(settings, "whatsapp")
    add_whatsapp_routes(app, deliverer, settings)
    return app


def add_whatsapp_routes(app: web.Application, deliverer: Deliverer, settings: WhatsAppSettings) -> None:
    pseudonymizer = Pseudonymizer(settings.author_pseudonym_key.get_secret_value().encode())

    def normalise(body: bytes, _: web.Request) -> Normalised:
        return whatsapp_webhook_to_contacts(parse_json_object(body), datetime.now(timezone.utc), pseudonymizer)

    app.router.add_get(PATH, meta.verification_handler(settings.meta_verify_token.get_secret_value()))
    app.router.add_post(
        PATH,
        webhook_handler(deliverer, meta.signature_checker(settings.meta_app_secret.get_secret_value().encode()), normalise),
    )
