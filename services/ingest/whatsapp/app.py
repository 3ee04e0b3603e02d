"""The whatsapp ingestor's wiring: Meta's verification GET and the signed POST on its registry path."""

from __future__ import annotations

from aiohttp import web

from services.ingest.channels import channel
from services.ingest.meta.webhook import create_meta_app
from services.ingest.whatsapp.normalise import whatsapp_webhook_to_contacts
from services.ingest.whatsapp.settings import WhatsAppSettings

CHANNEL = channel("whatsapp")


def create_app(settings: WhatsAppSettings) -> web.Application:
    return create_meta_app(settings, CHANNEL, whatsapp_webhook_to_contacts)
