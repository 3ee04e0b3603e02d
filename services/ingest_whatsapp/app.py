"""WhatsApp ingestor wiring: GET verification and signed POST on /webhooks/whatsapp."""

from __future__ import annotations

from datetime import datetime, timezone

from aiohttp import web

from services.common import meta
from services.common.ingest import Deliverer, build_ingestor
from services.common.payload import Normalised, parse_json_object
from services.common.pseudonym import Pseudonymizer
from services.common.settings import WhatsAppSettings
from services.ingest_whatsapp.normalise import whatsapp_webhook_to_contacts

PATH = "/webhooks/whatsapp"


def create_app(settings: WhatsAppSettings) -> web.Application:
    ingestor = build_ingestor(settings, "whatsapp")
    add_whatsapp_routes(ingestor.app, ingestor.deliverer, ingestor.pseudonymizer, settings)
    return ingestor.app


def add_whatsapp_routes(
    app: web.Application, deliverer: Deliverer, pseudonymizer: Pseudonymizer, settings: WhatsAppSettings
) -> None:
    def normalise(body: bytes, _: web.Request) -> Normalised:
        return whatsapp_webhook_to_contacts(parse_json_object(body), datetime.now(timezone.utc), pseudonymizer)

    meta.add_meta_routes(app, PATH, deliverer, normalise, settings)
