"""The facebook ingestor's wiring: Meta's verification GET and the signed POST on its registry path."""

from __future__ import annotations

from aiohttp import web

from services.ingest.channels import channel
from services.ingest.facebook.normalise import facebook_webhook_to_contacts
from services.ingest.facebook.settings import FacebookSettings
from services.ingest.meta.webhook import create_meta_app

CHANNEL = channel("facebook")


def create_app(settings: FacebookSettings) -> web.Application:
    return create_meta_app(settings, CHANNEL, facebook_webhook_to_contacts)
