"""The instagram ingestor's wiring: Meta's verification GET and the signed POST on its registry path."""

from __future__ import annotations

from aiohttp import web

from services.ingest.channels import channel
from services.ingest.instagram.normalise import instagram_webhook_to_contacts
from services.ingest.instagram.settings import InstagramSettings
from services.ingest.meta.webhook import create_meta_app

CHANNEL = channel("instagram")


def create_app(settings: InstagramSettings) -> web.Application:
    return create_meta_app(settings, CHANNEL, instagram_webhook_to_contacts)
